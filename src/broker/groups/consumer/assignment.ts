/**
 * A set of partitions by topic id, the unit of every KIP-848 assignment (target, assigned,
 * pending revocation), with the set operations Kafka's CurrentAssignmentBuilder needs.
 * Empty topics are never kept, so two equal assignments compare equal entry by entry.
 */
export type Assignment = Map<string, Set<number>>;

export const emptyAssignment = (): Assignment => new Map();

export function cloneAssignment(a: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const [t, ps] of a) if (ps.size > 0) out.set(t, new Set(ps));
  return out;
}

export function addPartition(a: Assignment, topicId: string, partition: number): void {
  let set = a.get(topicId);
  if (set === undefined) a.set(topicId, (set = new Set()));
  set.add(partition);
}

export function hasPartition(a: Assignment, topicId: string, partition: number): boolean {
  return a.get(topicId)?.has(partition) ?? false;
}

export function assignmentSize(a: Assignment): number {
  let n = 0;
  for (const ps of a.values()) n += ps.size;
  return n;
}

export function assignmentsEqual(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [t, ps] of a) {
    const other = b.get(t);
    if (other === undefined || other.size !== ps.size) return false;
    for (const p of ps) if (!other.has(p)) return false;
  }
  return true;
}

/** Partitions of `a` that are not in `b`. */
export function minus(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const [t, ps] of a) for (const p of ps) if (!hasPartition(b, t, p)) addPartition(out, t, p);
  return out;
}

/** Partitions in both. */
export function intersect(a: Assignment, b: Assignment): Assignment {
  const out: Assignment = new Map();
  for (const [t, ps] of a) for (const p of ps) if (hasPartition(b, t, p)) addPartition(out, t, p);
  return out;
}

/** Whether every partition of `a` is in `b`. */
export function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [t, ps] of a) for (const p of ps) if (!hasPartition(b, t, p)) return false;
  return true;
}

/** From the wire's [{topicId, partitions}] list. */
export function fromTopicPartitions(list: ReadonlyArray<{ topicId: string; partitions: readonly number[] }>): Assignment {
  const out: Assignment = new Map();
  for (const tp of list) for (const p of tp.partitions) addPartition(out, tp.topicId, p);
  return out;
}

/** To the wire's list, topics and partitions in a stable order. */
export function toTopicPartitions(a: Assignment): Array<{ topicId: string; partitions: number[] }> {
  return [...a.keys()].sort().map((topicId) => ({ topicId, partitions: [...a.get(topicId)!].sort((x, y) => x - y) }));
}
