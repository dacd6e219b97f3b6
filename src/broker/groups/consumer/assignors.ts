/**
 * The server-side assignors of KIP-848, as Kafka ships them
 * (org.apache.kafka.coordinator.group.assignor):
 *
 * - `uniform` (UniformAssignor): spreads all subscribed partitions as evenly as possible and is
 *   sticky: a member keeps what it had in the previous target assignment up to its quota
 *   (Kafka's OptimizedUniformAssignmentBuilder: floor(P/M), one more for P mod M members), and
 *   only the rest moves. With subscriptions that differ, each partition left over goes to the
 *   least loaded member subscribed to its topic (Kafka's GeneralUniformAssignmentBuilder
 *   balances the same way, with more effort to keep partitions in place).
 * - `range` (RangeAssignor): per topic, the members subscribed to it in member id order take
 *   consecutive ranges, the first (P mod M) one partition more, so members of co-partitioned
 *   topics get the same partition numbers.
 *
 * Members without a subscription to a topic never get its partitions. Deterministic: the same
 * input gives the same output.
 */
import { type Assignment, addPartition } from './assignment.js';

export interface AssignorMember {
  memberId: string;
  /** Topic ids the member subscribes to that exist. */
  topicIds: ReadonlySet<string>;
  /** Its previous target assignment (for stickiness). */
  previous: Assignment;
}

export interface AssignorTopic {
  topicId: string;
  numPartitions: number;
}

export type AssignorFn = (members: readonly AssignorMember[], topics: ReadonlyMap<string, AssignorTopic>) => Map<string, Assignment>;

function byId(members: readonly AssignorMember[]): AssignorMember[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

export const rangeAssignor: AssignorFn = (members, topics) => {
  const out = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
  const sorted = byId(members);
  for (const topic of [...topics.values()].sort((a, b) => (a.topicId < b.topicId ? -1 : 1))) {
    const subscribers = sorted.filter((m) => m.topicIds.has(topic.topicId));
    if (subscribers.length === 0) continue;
    const per = Math.floor(topic.numPartitions / subscribers.length);
    const extra = topic.numPartitions % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const count = per + (i < extra ? 1 : 0);
      for (let k = 0; k < count; k++) addPartition(out.get(m.memberId)!, topic.topicId, next++);
    });
  }
  return out;
};

export const uniformAssignor: AssignorFn = (members, topics) => {
  const sorted = byId(members);
  const out = new Map<string, Assignment>(sorted.map((m) => [m.memberId, new Map()]));
  const load = new Map<string, number>(sorted.map((m) => [m.memberId, 0]));
  if (sorted.length === 0) return out;
  // The topics some member subscribes to, and which of their partitions are given (one flag per partition).
  const subscribed = [...topics.values()].filter((t) => sorted.some((m) => m.topicIds.has(t.topicId))).sort((a, b) => (a.topicId < b.topicId ? -1 : 1));
  const taken = new Map<string, Uint8Array>(subscribed.map((t) => [t.topicId, new Uint8Array(t.numPartitions)]));
  let total = 0;
  for (const t of subscribed) total += t.numPartitions;
  const first = sorted[0]!.topicIds;
  const homogeneous = sorted.every((m) => m.topicIds.size === first.size && [...m.topicIds].every((t) => first.has(t)));
  const minQuota = Math.floor(total / sorted.length);
  let extra = total % sorted.length;
  const give = (m: AssignorMember, topicId: string, p: number) => {
    addPartition(out.get(m.memberId)!, topicId, p);
    load.set(m.memberId, load.get(m.memberId)! + 1);
    taken.get(topicId)![p] = 1;
  };
  // Stickiness: keep previous partitions (still subscribed and existing) up to the quota, one
  // above it while extra slots remain. Walks each member's previous assignment only: O(P).
  for (const m of sorted) {
    const kept: Array<[string, number]> = [];
    for (const topicId of [...m.previous.keys()].sort()) {
      const flags = taken.get(topicId);
      if (flags === undefined || !m.topicIds.has(topicId)) continue;
      for (const p of [...m.previous.get(topicId)!].sort((a, b) => a - b)) if (p < flags.length && flags[p] === 0) kept.push([topicId, p]);
    }
    let quota = homogeneous ? minQuota : kept.length;
    if (homogeneous && kept.length > minQuota && extra > 0) {
      quota++;
      extra--;
    }
    for (const [topicId, p] of kept.slice(0, quota)) give(m, topicId, p);
  }
  // The rest to the least loaded subscribed member (ties: member id order), so with one
  // subscription everyone ends with floor or ceil of P/M. Topics with the fewest subscribers
  // go first, so members that can take only them are not left idle.
  const subscribers = (t: AssignorTopic) => sorted.filter((m) => m.topicIds.has(t.topicId)).length;
  for (const t of [...subscribed].sort((a, b) => subscribers(a) - subscribers(b) || (a.topicId < b.topicId ? -1 : 1))) {
    const flags = taken.get(t.topicId)!;
    const eligible = sorted.filter((m) => m.topicIds.has(t.topicId));
    for (let p = 0; p < t.numPartitions; p++) {
      if (flags[p] === 1) continue;
      let best = eligible[0]!;
      for (const m of eligible) if (load.get(m.memberId)! < load.get(best.memberId)!) best = m;
      give(best, t.topicId, p);
    }
  }
  return out;
};

export const ASSIGNORS: Readonly<Record<string, AssignorFn>> = { uniform: uniformAssignor, range: rangeAssignor };
