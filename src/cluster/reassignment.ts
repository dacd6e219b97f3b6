/**
 * Partition reassignment as KIP-455 and KRaft's PartitionReassignmentReplicas do it, as a pure
 * step function the controller applies to a partition with a reassignment in progress:
 *
 * 1. the replicas become target + (original - target): the target replicas not yet assigned
 *    ("adding") start following, the others ("removing") keep replicating meanwhile;
 * 2. once every target replica is in the ISR, one change completes it: the replicas become the
 *    target, the ISR loses the removing replicas, and a leader outside the target (or not alive)
 *    is replaced by the first target replica that is alive and in the ISR;
 * 3. a cancellation (AlterPartitionReassignments with null replicas) goes back to the original
 *    replicas at once, the same way.
 *
 * The reassignment record is deleted in the same transaction as the completing change.
 */
import { NO_LEADER, type PartitionState } from './types.js';
import type { ReassignmentRecord } from './records.js';

export type ReassignmentStep =
  | { kind: 'wait' }
  | { kind: 'expand'; state: PartitionState }
  | { kind: 'complete'; state: PartitionState };

/** target + (original - target), the replica list while a reassignment is in progress. */
export function mergedReplicas(r: ReassignmentRecord): number[] {
  return [...r.target, ...r.original.filter((b) => !r.target.includes(b))];
}

/** The adding and removing replicas ListPartitionReassignments reports. */
export function addingRemoving(r: ReassignmentRecord): { adding: number[]; removing: number[] } {
  return { adding: r.target.filter((b) => !r.original.includes(b)), removing: r.original.filter((b) => !r.target.includes(b)) };
}

export function reassignmentStep(state: PartitionState, r: ReassignmentRecord, eligible: (broker: number) => boolean, controllerEpoch: number): ReassignmentStep {
  const merged = mergedReplicas(r);
  if (!r.cancel && !sameOrder(state.replicas, merged) && !sameOrder(state.replicas, r.target)) {
    return { kind: 'expand', state: { ...state, replicas: merged, partitionEpoch: state.partitionEpoch + 1, controllerEpoch } };
  }
  const final = r.cancel ? r.original : r.target;
  if (!r.cancel && !r.target.every((b) => state.isr.includes(b))) return { kind: 'wait' };
  let isr = state.isr.filter((b) => final.includes(b));
  let leader = state.leader;
  if (!final.includes(leader) || !eligible(leader)) leader = final.find((b) => eligible(b) && isr.includes(b)) ?? NO_LEADER;
  // Cancelled with no original replica in the ISR: the partition waits leaderless for one,
  // keeping the ISR non-empty as partition-change.ts does.
  if (isr.length === 0) isr = [final[0]!];
  return {
    kind: 'complete',
    state: {
      ...state, replicas: [...final], isr, leader,
      leaderEpoch: leader !== state.leader ? state.leaderEpoch + 1 : state.leaderEpoch,
      partitionEpoch: state.partitionEpoch + 1, controllerEpoch,
    },
  };
}

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
