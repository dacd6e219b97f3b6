/**
 * OffsetFetch (9), v0-9. v0-1 name a group and its partitions, errors per partition; v2+ add
 * a top-level error and a null topic list meaning "every committed offset of the group"; v5+
 * the leader epoch; v7 require_stable (a partition with a transactional offset still waiting
 * for its transaction gets UNSTABLE_OFFSET_COMMIT, see groups/txn-offsets.ts); v8+ (KIP-709) a batch of groups, each with its own error. v9's
 * member id and epoch are checked for consumer-protocol groups (UNKNOWN_MEMBER_ID,
 * STALE_MEMBER_EPOCH) and ignored for classic groups, as in Kafka.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../../protocol/messages/offset-fetch.js';
import type { Handler } from '../../context.js';
import type { FetchResult } from '../../groups/offsets.js';
import { noOffset } from '../../groups/offsets.js';
import { coordinator, unavailable } from './common.js';

type Topics = ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null;

export const handleOffsetFetch: Handler<OffsetFetchRequest, OffsetFetchResponse> = (req, ctx) => {
  const v = ctx.apiVersion;
  const c = coordinator(ctx);
  const unstable = (r: FetchResult, groupId: string): FetchResult => {
    if (!(v >= 7 && req.requireStable) || c === undefined) return r;
    for (const t of r.topics) t.partitions = t.partitions.map((p) => (c.transactionalOffsets.isPending(groupId, t.name, p.partitionIndex) ? noOffset(p.partitionIndex, ErrorCode.UNSTABLE_OFFSET_COMMIT) : p));
    return r;
  };
  const fetch = (groupId: string, topics: Topics, member?: { memberId: string | null; memberEpoch: number }): FetchResult => {
    if (c !== undefined && coordinator(ctx, groupId) !== undefined) return unstable(c.fetchOffsets(groupId, topics, member), groupId);
    const code = unavailable(ctx, groupId);
    return { errorCode: code, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => noOffset(p, code)) })) };
  };
  if (v >= 8) {
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((g) => {
        const r = fetch(g.groupId, g.topics, v >= 9 ? { memberId: g.memberId ?? null, memberEpoch: g.memberEpoch ?? -1 } : undefined);
        return { groupId: g.groupId, errorCode: r.errorCode, topics: r.errorCode === ErrorCode.NONE ? r.topics : [] };
      }),
    };
  }
  // v0-1 cannot ask for "all": an empty list is just empty.
  const r = fetch(req.groupId, v < 2 ? (req.topics ?? []) : req.topics);
  if (v < 2) return { throttleTimeMs: 0, topics: r.topics, errorCode: ErrorCode.NONE };
  return { throttleTimeMs: 0, topics: r.errorCode === ErrorCode.NONE ? r.topics : [], errorCode: r.errorCode };
};
