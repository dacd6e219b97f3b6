import { describe, expect, it } from 'vitest';
import { assignReplicas, rackAlternatedBrokers } from '../../src/cluster/assignment.js';

const racked = (spec: Record<number, string>) => Object.entries(spec).map(([id, rack]) => ({ nodeId: Number(id), rack }));

describe('replica assignment (Kafka AdminUtils)', () => {
  it('rack-unaware: Kafka\'s own expected assignment for brokers 0-4, 10 partitions, RF 3, start 0', () => {
    const brokers = [0, 1, 2, 3, 4].map((nodeId) => ({ nodeId, rack: null }));
    expect(assignReplicas(10, 3, brokers, 0)).toEqual([
      [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1],
      [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
    ]);
  });

  it('orders brokers rack by rack as Kafka\'s getRackAlternatedBrokerList does', () => {
    expect(rackAlternatedBrokers(racked({ 0: 'rack1', 1: 'rack3', 2: 'rack3', 3: 'rack2', 4: 'rack2', 5: 'rack1' }))).toEqual([0, 3, 1, 5, 4, 2]);
  });

  it('3 racks, RF 3: every partition on three racks, leaders round-robin, the shift grows after a full round', () => {
    const brokers = racked({ 1: 'a', 2: 'b', 3: 'c', 4: 'a', 5: 'b', 6: 'c' });
    const got = assignReplicas(7, 3, brokers, 0);
    expect(got).toEqual([[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 1], [6, 1, 2], [1, 5, 6]]);
    const rack = new Map(brokers.map((b) => [b.nodeId, b.rack]));
    for (const replicas of got) expect(new Set(replicas.map((b) => rack.get(b))).size).toBe(3);
  });

  it('uneven racks: a rack gets a second replica only when every rack has one', () => {
    expect(assignReplicas(4, 3, racked({ 1: 'a', 2: 'a', 3: 'b', 4: 'c' }), 0)).toEqual([[1, 3, 4], [3, 4, 2], [4, 2, 3], [2, 3, 4]]);
  });

  it('refuses more replicas than brokers', () => {
    expect(() => assignReplicas(1, 3, racked({ 1: 'a', 2: 'b' }))).toThrow(RangeError);
  });
});
