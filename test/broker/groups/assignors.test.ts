import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Assignment, assignmentSize, hasPartition } from '../../../src/broker/groups/consumer/assignment.js';
import { type AssignorMember, rangeAssignor, uniformAssignor } from '../../../src/broker/groups/consumer/assignors.js';

const topics = (spec: Record<string, number>) => new Map(Object.entries(spec).map(([topicId, numPartitions]) => [topicId, { topicId, numPartitions }]));
const member = (memberId: string, topicIds: string[], previous: Assignment = new Map()): AssignorMember => ({ memberId, topicIds: new Set(topicIds), previous });
const plain = (r: Map<string, Assignment>) => Object.fromEntries([...r].map(([m, a]) => [m, Object.fromEntries([...a].map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]))]));

describe('server-side assignors', () => {
  it('range: consecutive ranges per topic in member id order, the first members one more', () => {
    expect(plain(rangeAssignor([member('b', ['t']), member('a', ['t']), member('c', ['t'])], topics({ t: 7 })))).toEqual({ a: { t: [0, 1, 2] }, b: { t: [3, 4] }, c: { t: [5, 6] } });
  });

  it('uniform: a new member takes partitions from the others without moving any other partition', () => {
    const first = uniformAssignor([member('a', ['t']), member('b', ['t'])], topics({ t: 6 }));
    expect(plain(first)).toEqual({ a: { t: [0, 2, 4] }, b: { t: [1, 3, 5] } });
    const second = uniformAssignor([member('a', ['t'], first.get('a')), member('b', ['t'], first.get('b')), member('c', ['t'])], topics({ t: 6 }));
    expect(plain(second)).toEqual({ a: { t: [0, 2] }, b: { t: [1, 3] }, c: { t: [4, 5] } });
  });

  it('uniform: every partition once, loads within one, subscriptions respected, and kept partitions stay put', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1 << 20 }), (m, p, seed) => {
        const ids = Array.from({ length: m }, (_, i) => `m${i}`);
        const before = uniformAssignor(ids.map((id) => member(id, ['t'])), topics({ t: p }));
        // One member leaves (when there are two or more): the others keep everything they had.
        const stay = m > 1 ? ids.filter((_, i) => i !== seed % m) : ids;
        const after = uniformAssignor(stay.map((id) => member(id, ['t'], before.get(id))), topics({ t: p }));
        const sizes = stay.map((id) => assignmentSize(after.get(id)!));
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(p);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (let q = 0; q < p; q++) expect(stay.filter((id) => hasPartition(after.get(id)!, 't', q)).length).toBe(1);
        for (const id of stay) for (const q of before.get(id)!.get('t') ?? []) expect(hasPartition(after.get(id)!, 't', q)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('uniform with different subscriptions: only subscribers get a topic', () => {
    const r = uniformAssignor([member('a', ['x']), member('b', ['x', 'y'])], topics({ x: 2, y: 2 }));
    expect(plain(r)).toEqual({ a: { x: [0, 1] }, b: { y: [0, 1] } });
  });
});
