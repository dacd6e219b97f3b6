/**
 * The controller's decisions for one partition, as pure functions (Kafka's PartitionChangeBuilder):
 * what a partition's state becomes when brokers come and go. The caller writes the result with a
 * compare-and-swap; a null result means nothing changes.
 */
import { NO_LEADER, type PartitionState } from './types.js';

/**
 * Applied when the set of live brokers changes:
 * - dead brokers leave the ISR; but the ISR never becomes empty: its last member stays, so that
 *   broker is the one clean choice of leader when it returns (Kafka does the same);
 * - a dead leader is replaced by the first replica, in assignment order, that is alive and in
 *   the ISR; with none, the partition is leaderless (NO_LEADER) unless unclean election is
 *   allowed, which takes the first live replica and makes it the whole ISR;
 * - a leaderless partition gets a leader as soon as an ISR member is alive again;
 * - each change of leader bumps the leader epoch by one; every change bumps the partition epoch.
 */
export function reconcilePartition(state: PartitionState, live: ReadonlySet<number>, uncleanLeaderElection: boolean, controllerEpoch: number): PartitionState | null {
  const liveIsr = state.isr.filter((b) => live.has(b));
  let isr = liveIsr.length > 0 ? liveIsr : state.isr;
  let leader = state.leader;
  if (leader === NO_LEADER || !live.has(leader)) {
    leader = state.replicas.find((b) => live.has(b) && isr.includes(b)) ?? NO_LEADER;
    if (leader === NO_LEADER && uncleanLeaderElection) {
      // An observer is never elected, not even uncleanly: it is promoted by its placement first.
      const unclean = state.replicas.find((b) => live.has(b) && !(state.observers ?? []).includes(b));
      if (unclean !== undefined) {
        leader = unclean;
        isr = [unclean];
      }
    }
  }
  const leaderChanged = leader !== state.leader;
  const isrChanged = !sameMembers(isr, state.isr);
  if (!leaderChanged && !isrChanged) return null;
  return {
    ...state,
    isr,
    leader,
    leaderEpoch: leaderChanged ? state.leaderEpoch + 1 : state.leaderEpoch,
    partitionEpoch: state.partitionEpoch + 1,
    controllerEpoch,
  };
}

/** The first state of a new partition: every replica but the observers in the ISR, the first one leading, epochs 0. */
export function initialPartitionState(topic: string, partition: number, replicas: number[], controllerEpoch: number, observers: readonly number[] = []): PartitionState {
  const state: PartitionState = { topic, partition, replicas: [...replicas], isr: replicas.filter((r) => !observers.includes(r)), leader: replicas[0] ?? NO_LEADER, leaderEpoch: 0, partitionEpoch: 0, controllerEpoch };
  return observers.length > 0 ? { ...state, observers: [...observers] } : state;
}

export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
