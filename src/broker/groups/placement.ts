/**
 * Which broker coordinates a group: in a cluster, the leader of the group's `__consumer_offsets`
 * partition (Kafka's rule), which loads that partition's groups when it becomes leader and drops
 * them when it stops; a single broker coordinates every group.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { partitionForGroup } from './hash.js';
import { OFFSETS_TOPIC } from './offsets-topic.js';

export interface GroupPlacement {
  partition: number;
  /** The coordinating broker, -1 when the partition has no leader (or the topic does not exist yet). */
  leader: number;
}

/** Where group `groupId` lives in a cluster; null on a single broker. */
export function placeGroup(core: BrokerCore, groupId: string): GroupPlacement | null {
  if (!core.replication.clustered) return null;
  const topic = core.topics.get(OFFSETS_TOPIC);
  if (topic === undefined) return { partition: -1, leader: -1 };
  const partition = partitionForGroup(groupId, topic.partitions);
  return { partition, leader: core.replication.view(OFFSETS_TOPIC, partition)?.leader ?? -1 };
}

/**
 * 0 when this broker may serve group `groupId` now; else Kafka's answer: NOT_COORDINATOR (another
 * broker coordinates it: clients look it up again), COORDINATOR_LOAD_IN_PROGRESS (this broker has
 * just become its coordinator and is loading it), COORDINATOR_NOT_AVAILABLE (no leader yet).
 */
export function coordinationError(core: BrokerCore, groupId: string, loading: ReadonlySet<number>): number {
  const place = placeGroup(core, groupId);
  if (place === null) return ErrorCode.NONE;
  if (place.leader < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (place.leader !== core.nodeId || core.replication.leaderCheck(OFFSETS_TOPIC, place.partition, -1) !== ErrorCode.NONE) return ErrorCode.NOT_COORDINATOR;
  return loading.has(place.partition) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
}
