/**
 * The operator's leader changes, as pure functions beside partition-change.ts: controlled
 * shutdown, preferred and unclean election (ElectLeaders), and the choice of partitions for
 * automatic preferred-leader rebalancing. Each leader change bumps the leader epoch by one and
 * every change the partition epoch by one; the caller writes the result with a compare-and-swap.
 */
import { KafkaErrorCode } from '../errors.js';
import { NO_LEADER, type PartitionState } from './types.js';

/**
 * A broker in controlled shutdown (Kafka's ControlledShutdownLeaderSelector, and KRaft's
 * handling of a broker that asked to shut down): it gives up the leadership of each partition to
 * the first replica that is alive, not shutting down and in the ISR, and leaves the ISRs where it
 * follows. Where no other replica can lead, it keeps leading until it stops (Kafka's controller
 * then fails that partition's move and the broker stops after its retries): the partition stays
 * available meanwhile. The leader never leaves the ISR, so the ISR never becomes empty.
 */
export function controlledShutdownChange(state: PartitionState, live: ReadonlySet<number>, shutting: ReadonlySet<number>, controllerEpoch: number): PartitionState | null {
  if (!state.replicas.some((b) => shutting.has(b))) return null;
  let leader = state.leader;
  if (shutting.has(leader)) {
    const next = state.replicas.find((b) => live.has(b) && !shutting.has(b) && state.isr.includes(b));
    if (next !== undefined) leader = next;
  }
  const isr = state.isr.filter((b) => !shutting.has(b) || b === leader);
  return changed(state, leader, isr, controllerEpoch);
}

export type ElectionOutcome = { state: PartitionState } | { errorCode: number; message: string };

/**
 * PREFERRED election (Kafka's PreferredReplicaPartitionLeaderElectionStrategy): the first
 * assigned replica leads if it is alive and in the ISR; ELECTION_NOT_NEEDED when it leads
 * already, PREFERRED_LEADER_NOT_AVAILABLE otherwise, with Kafka's messages.
 */
export function preferredElection(state: PartitionState, eligible: (broker: number) => boolean, controllerEpoch: number): ElectionOutcome {
  const preferred = state.replicas[0];
  if (preferred === undefined) return { errorCode: KafkaErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: `Failed to elect leader for partition ${state.topic}-${state.partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy` };
  if (state.leader === preferred) return { errorCode: KafkaErrorCode.ELECTION_NOT_NEEDED, message: `Leader election not needed for topic partition ${state.topic}-${state.partition}` };
  if (!eligible(preferred) || !state.isr.includes(preferred)) {
    return { errorCode: KafkaErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: `Failed to elect leader for partition ${state.topic}-${state.partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy` };
  }
  return { state: changed(state, preferred, state.isr, controllerEpoch)! };
}

/**
 * UNCLEAN election (KIP-460): only for a partition without a live leader; an ISR member that is
 * alive is still preferred, else the first live replica leads and becomes the whole ISR (what
 * it has is all there is). ELECTION_NOT_NEEDED when the leader is alive,
 * ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is.
 */
export function uncleanElection(state: PartitionState, eligible: (broker: number) => boolean, controllerEpoch: number): ElectionOutcome {
  if (state.leader !== NO_LEADER && eligible(state.leader)) return { errorCode: KafkaErrorCode.ELECTION_NOT_NEEDED, message: `Leader election not needed for topic partition ${state.topic}-${state.partition}` };
  const clean = state.replicas.find((b) => eligible(b) && state.isr.includes(b));
  if (clean !== undefined) return { state: changed(state, clean, state.isr.filter(eligible).length > 0 ? state.isr.filter(eligible) : [clean], controllerEpoch)! };
  const unclean = state.replicas.find(eligible);
  if (unclean === undefined) return { errorCode: KafkaErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, message: `Failed to elect leader for partition ${state.topic}-${state.partition} under strategy UncleanLeaderElectionStrategy` };
  return { state: changed(state, unclean, [unclean], controllerEpoch)! };
}

/**
 * Automatic rebalancing (Kafka's checkAndTriggerAutoLeaderRebalance): for each broker, the share
 * of the partitions it is the preferred leader of that another broker leads; above
 * `leader.imbalance.per.broker.percentage`, those of its partitions where it can lead (alive and
 * in the ISR) are given back to it. Returns the partitions to elect.
 */
export function imbalancedPartitions(states: readonly PartitionState[], eligible: (broker: number) => boolean, imbalancePercentage: number): PartitionState[] {
  const byPreferred = new Map<number, PartitionState[]>();
  for (const s of states) {
    const preferred = s.replicas[0];
    if (preferred === undefined) continue;
    const list = byPreferred.get(preferred) ?? [];
    list.push(s);
    byPreferred.set(preferred, list);
  }
  const out: PartitionState[] = [];
  for (const [broker, list] of [...byPreferred].sort(([a], [b]) => a - b)) {
    const notLed = list.filter((s) => s.leader !== broker);
    if (notLed.length === 0 || notLed.length / list.length <= imbalancePercentage / 100) continue;
    if (!eligible(broker)) continue;
    out.push(...notLed.filter((s) => s.isr.includes(broker)));
  }
  return out;
}

function changed(state: PartitionState, leader: number, isr: number[], controllerEpoch: number): PartitionState | null {
  const leaderChanged = leader !== state.leader;
  const isrChanged = isr.length !== state.isr.length || isr.some((b) => !state.isr.includes(b));
  if (!leaderChanged && !isrChanged) return null;
  return { ...state, leader, isr, leaderEpoch: leaderChanged ? state.leaderEpoch + 1 : state.leaderEpoch, partitionEpoch: state.partitionEpoch + 1, controllerEpoch };
}
