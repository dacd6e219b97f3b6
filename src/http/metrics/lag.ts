/**
 * Consumer group lag as kafka-consumer-groups.sh shows it: per committed partition, the
 * partition's end (the high watermark, what ListOffsets latest answers) minus the committed
 * offset. Groups this broker coordinates only (in a cluster, each coordinator reports its own).
 */
import { groupCoordinatorOf } from '../../broker/groups/index.js';
import type { HttpBroker } from '../server.js';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  committed: number;
  /** -1 when this broker has no log of the partition. */
  end: number;
  /** -1 when the end is not known here. */
  lag: number;
}

export interface GroupSummary {
  group: string;
  state: string;
  type: string;
  protocolType: string;
}

export function listGroups(broker: HttpBroker): GroupSummary[] {
  const coordinator = groupCoordinatorOf(broker);
  if (coordinator === undefined) return [];
  const { groups } = coordinator.listGroups([], []);
  return groups.map((g) => ({ group: g.groupId, state: g.groupState, type: g.groupType, protocolType: g.protocolType })).sort((a, b) => a.group.localeCompare(b.group));
}

/** Lag of every committed partition of `groups` (default: every group). */
export function consumerLag(broker: HttpBroker, groups: readonly string[] = listGroups(broker).map((g) => g.group)): PartitionLag[] {
  const coordinator = groupCoordinatorOf(broker);
  if (coordinator === undefined) return [];
  const out: PartitionLag[] = [];
  for (const group of groups) {
    const fetched = coordinator.fetchOffsets(group, null);
    if (fetched.errorCode !== 0) continue;
    for (const t of fetched.topics) {
      for (const p of t.partitions) {
        const committed = Number(p.committedOffset);
        if (p.errorCode !== 0 || committed < 0) continue;
        const log = broker.topics.log(t.name, p.partitionIndex);
        const end = log === null ? -1 : broker.replication.highWatermark(t.name, p.partitionIndex, log);
        out.push({ group, topic: t.name, partition: p.partitionIndex, committed, end, lag: end < 0 ? -1 : Math.max(0, end - committed) });
      }
    }
  }
  return out;
}
