import { describe, expect, it } from 'vitest';
import { NO_LEADER, type PartitionState, reconcilePartition } from '../../src/cluster/index.js';

const state = (over: Partial<PartitionState> = {}): PartitionState => ({ topic: 't', partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 9, controllerEpoch: 1, ...over });

describe('reconcilePartition (the controller\'s decision for one partition)', () => {
  it('changes nothing while the leader and the ISR are alive', () => {
    expect(reconcilePartition(state(), new Set([1, 2, 3]), false, 2)).toBeNull();
  });

  it('drops a dead follower from the ISR without a new leader epoch', () => {
    expect(reconcilePartition(state(), new Set([1, 3]), false, 2)).toEqual(state({ isr: [1, 3], partitionEpoch: 10, controllerEpoch: 2 }));
  });

  it('elects the first live ISR member in assignment order when the leader dies, leader epoch + 1', () => {
    expect(reconcilePartition(state({ replicas: [1, 3, 2] }), new Set([2, 3]), false, 2)).toEqual(state({ replicas: [1, 3, 2], isr: [2, 3], leader: 3, leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 2 }));
  });

  it('never elects a live replica outside the ISR unless unclean election is on', () => {
    const s = state({ isr: [1] });
    expect(reconcilePartition(s, new Set([2, 3]), false, 2)).toEqual(state({ isr: [1], leader: NO_LEADER, leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 2 }));
    expect(reconcilePartition(s, new Set([2, 3]), true, 2)).toEqual(state({ isr: [2], leader: 2, leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 2 }));
  });

  it('gives a leaderless partition its last ISR member back as leader when it returns', () => {
    const s = state({ isr: [1], leader: NO_LEADER, leaderEpoch: 5, partitionEpoch: 10 });
    expect(reconcilePartition(s, new Set([2, 3]), false, 2)).toBeNull();
    expect(reconcilePartition(s, new Set([1, 2, 3]), false, 3)).toEqual(state({ isr: [1], leader: 1, leaderEpoch: 6, partitionEpoch: 11, controllerEpoch: 3 }));
  });
});
