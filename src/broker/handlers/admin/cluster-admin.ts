/** The cluster membership behind the operator's cluster requests: null on a single broker. */
import type { ClusterMember } from '../../../cluster/member.js';
import type { RequestContext } from '../../context.js';

export function clusterAdmin(ctx: RequestContext): ClusterMember | null {
  return (ctx.broker as { clusterAdmin?: ClusterMember | null }).clusterAdmin ?? null;
}

/** Results grouped by topic, topics and partitions in the order first seen. */
export function byTopic<T extends { topic: string }, P>(items: readonly T[], map: (item: T) => P): Array<{ topic: string; partitions: P[] }> {
  const out = new Map<string, P[]>();
  for (const i of items) {
    const list = out.get(i.topic) ?? [];
    list.push(map(i));
    out.set(i.topic, list);
  }
  return [...out].map(([topic, partitions]) => ({ topic, partitions }));
}
