/**
 * The partition assignors a v2 consumer instance runs when the coordinator makes it its group's
 * leader, under the names the other members know them by: Kafka's `range` (RangeAssignor) and
 * `roundrobin` (RoundRobinAssignor), and kafkajs's `RoundRobinAssigner`, which deals partitions
 * the same way, so an instance shares a group with Java consumers and with kafkajs ones.
 */
export interface MemberSubscription {
  memberId: string;
  topics: readonly string[];
}

/** topic -> partitions, per member id. */
export type Assignment = Map<string, Map<string, number[]>>;

export const ASSIGNORS = ['range', 'roundrobin', 'RoundRobinAssigner'] as const;
export type AssignorName = (typeof ASSIGNORS)[number];

const byId = (a: { memberId: string }, b: { memberId: string }): number => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0);

function empty(members: readonly MemberSubscription[]): Assignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
}

function give(out: Assignment, memberId: string, topic: string, partition: number): void {
  const topics = out.get(memberId)!;
  topics.set(topic, [...(topics.get(topic) ?? []), partition]);
}

/** Kafka's RangeAssignor: per topic, its subscribers in member id order each take a contiguous range; the first ones one more. */
export function rangeAssign(members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): Assignment {
  const out = empty(members);
  for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const subscribers = members.filter((m) => m.topics.includes(topic)).sort(byId);
    if (subscribers.length === 0) continue;
    const per = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    subscribers.forEach((m, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) give(out, m.memberId, topic, p);
    });
  }
  return out;
}

/** Kafka's RoundRobinAssignor: every partition of every topic in order, dealt to the members in id order that subscribe to its topic. */
export function roundRobinAssign(members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): Assignment {
  const out = empty(members);
  const sorted = [...members].sort(byId);
  let next = 0;
  for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (let p = 0; p < count; p++) {
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[next++ % sorted.length]!;
        if (m.topics.includes(topic)) {
          give(out, m.memberId, topic, p);
          break;
        }
      }
    }
  }
  return out;
}

export function assign(name: string, members: readonly MemberSubscription[], partitionCounts: ReadonlyMap<string, number>): Assignment {
  return name === 'range' ? rangeAssign(members, partitionCounts) : roundRobinAssign(members, partitionCounts);
}
