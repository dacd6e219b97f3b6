/**
 * The controller's operator decisions as pure functions: controlled shutdown, preferred and
 * unclean election, the rebalance choice, the reassignment steps, and the replication throttle.
 */
import { describe, expect, it } from 'vitest';
import { KafkaErrorCode } from '../../src/errors.js';
import { controlledShutdownChange, imbalancedPartitions, preferredElection, uncleanElection } from '../../src/cluster/leader-election.js';
import { addingRemoving, mergedReplicas, reassignmentStep } from '../../src/cluster/reassignment.js';
import { ByteRateThrottle } from '../../src/cluster/throttle.js';
import { NO_LEADER, type PartitionState } from '../../src/cluster/types.js';

const state = (over: Partial<PartitionState> = {}): PartitionState => ({ topic: 't', partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 9, controllerEpoch: 2, ...over });
const all = (b: number): boolean => [1, 2, 3, 4].includes(b);

describe('controlled shutdown', () => {
  it('moves leadership to the first live ISR replica not shutting down and drops the broker from the ISR', () => {
    expect(controlledShutdownChange(state(), new Set([1, 2, 3]), new Set([1]), 3)).toEqual(state({ leader: 2, isr: [2, 3], leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 3 }));
  });
  it('takes a follower out of the ISR without touching the leader epoch', () => {
    expect(controlledShutdownChange(state(), new Set([1, 2, 3]), new Set([3]), 3)).toEqual(state({ isr: [1, 2], partitionEpoch: 10, controllerEpoch: 3 }));
  });
  it('keeps a leader no other ISR member can replace, and changes nothing for partitions without the broker', () => {
    expect(controlledShutdownChange(state({ isr: [1] }), new Set([1, 2, 3]), new Set([1]), 3)).toBeNull();
    expect(controlledShutdownChange(state({ replicas: [1, 2], isr: [1, 2] }), new Set([1, 2, 3]), new Set([3]), 3)).toBeNull();
    // Two brokers shutting: the third leads.
    expect(controlledShutdownChange(state(), new Set([1, 2, 3]), new Set([1, 2]), 3)).toEqual(state({ leader: 3, isr: [3], leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 3 }));
  });
});

describe('elections', () => {
  it('PREFERRED: elects the first replica, or says why not', () => {
    expect(preferredElection(state({ leader: 2 }), all, 3)).toEqual({ state: state({ leader: 1, leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 3 }) });
    expect(preferredElection(state(), all, 3)).toEqual({ errorCode: KafkaErrorCode.ELECTION_NOT_NEEDED, message: 'Leader election not needed for topic partition t-0' });
    expect(preferredElection(state({ leader: 2, isr: [2, 3] }), all, 3)).toEqual({ errorCode: KafkaErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, message: 'Failed to elect leader for partition t-0 under strategy PreferredReplicaPartitionLeaderElectionStrategy' });
    expect(preferredElection(state({ leader: 2 }), (b) => b !== 1, 3)).toMatchObject({ errorCode: KafkaErrorCode.PREFERRED_LEADER_NOT_AVAILABLE });
  });
  it('UNCLEAN: only without a live leader; a live ISR member first, else any live replica becomes the whole ISR', () => {
    expect(uncleanElection(state(), all, 3)).toMatchObject({ errorCode: KafkaErrorCode.ELECTION_NOT_NEEDED });
    expect(uncleanElection(state({ leader: NO_LEADER, isr: [1, 3] }), (b) => b !== 1, 3)).toEqual({ state: state({ leader: 3, isr: [3], leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 3 }) });
    expect(uncleanElection(state({ leader: NO_LEADER, isr: [1] }), (b) => b === 2, 3)).toEqual({ state: state({ leader: 2, isr: [2], leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 3 }) });
    expect(uncleanElection(state({ leader: NO_LEADER, isr: [1] }), () => false, 3)).toEqual({ errorCode: KafkaErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, message: 'Failed to elect leader for partition t-0 under strategy UncleanLeaderElectionStrategy' });
  });
  it('rebalance: only brokers above the imbalance percentage, only where the preferred replica is in the ISR', () => {
    const ps = [
      state({ partition: 0, replicas: [1, 2, 3], leader: 2 }),
      state({ partition: 1, replicas: [1, 2, 3], leader: 1 }),
      state({ partition: 2, replicas: [1, 2, 3], leader: 3, isr: [2, 3] }),
      state({ partition: 3, replicas: [2, 3, 1], leader: 2 }),
    ];
    expect(imbalancedPartitions(ps, all, 10).map((s) => s.partition)).toEqual([0]);
    // 2 of 3 not led by broker 1 is 66%: not above 70.
    expect(imbalancedPartitions(ps, all, 70)).toEqual([]);
    expect(imbalancedPartitions(ps, (b) => b !== 1, 10)).toEqual([]);
  });
});

describe('reassignment steps (KIP-455)', () => {
  const r = { target: [4, 1], original: [1, 2, 3] };
  it('adds the target first, in the order target + (original - target)', () => {
    expect(mergedReplicas(r)).toEqual([4, 1, 2, 3]);
    expect(addingRemoving(r)).toEqual({ adding: [4], removing: [2, 3] });
    expect(reassignmentStep(state(), r, all, 3)).toEqual({ kind: 'expand', state: state({ replicas: [4, 1, 2, 3], partitionEpoch: 10, controllerEpoch: 3 }) });
  });
  it('waits for the target in the ISR, then completes in one change', () => {
    const expanded = state({ replicas: [4, 1, 2, 3], partitionEpoch: 10 });
    expect(reassignmentStep(expanded, r, all, 3)).toEqual({ kind: 'wait' });
    expect(reassignmentStep({ ...expanded, isr: [1, 2, 3, 4] }, r, all, 3)).toEqual({ kind: 'complete', state: state({ replicas: [4, 1], isr: [1, 4], partitionEpoch: 11, controllerEpoch: 3 }) });
    // A leader outside the target is replaced by the first target replica in the ISR.
    expect(reassignmentStep({ ...expanded, leader: 2, isr: [1, 2, 3, 4] }, r, all, 3)).toEqual({ kind: 'complete', state: state({ replicas: [4, 1], isr: [1, 4], leader: 4, leaderEpoch: 5, partitionEpoch: 11, controllerEpoch: 3 }) });
  });
  it('a cancellation restores the original replicas at once', () => {
    const expanded = state({ replicas: [4, 1, 2, 3], isr: [1, 2, 3, 4], leader: 4, partitionEpoch: 12 });
    expect(reassignmentStep(expanded, { ...r, cancel: true }, all, 3)).toEqual({ kind: 'complete', state: state({ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 5, partitionEpoch: 13, controllerEpoch: 3 }) });
  });
});

describe('replication throttle', () => {
  it('lets a second of bytes through, then delays by what is over the rate', () => {
    const t = new ByteRateThrottle(1000, 0);
    expect(t.take(1000, 0)).toBe(0);
    expect(t.take(500, 0)).toBe(500);
    expect(t.take(0, 500)).toBe(0);
    expect(t.fetchBytes(1 << 20)).toBe(1000);
    const unlimited = new ByteRateThrottle(Number('9223372036854775807'));
    expect(unlimited.take(1e12)).toBe(0);
    expect(unlimited.fetchBytes(1 << 20)).toBe(1 << 20);
  });

  it('is exceeded while more than the rate was taken, until time pays it back (the leader side)', () => {
    const t = new ByteRateThrottle(1000, 0);
    expect(t.exceeded(0)).toBe(false);
    t.take(1000, 0);
    expect(t.exceeded(0)).toBe(false); // used up exactly: nothing owed
    t.take(300, 0);
    expect([t.exceeded(0), t.exceeded(299), t.exceeded(300)]).toEqual([true, true, false]);
    expect(new ByteRateThrottle(Number('9223372036854775807')).exceeded()).toBe(false);
  });
});
