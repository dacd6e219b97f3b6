/**
 * OffsetCommit (8), v0-9. v0 has no generation or member (a plain offset store; Kafka kept
 * v0 commits in ZooKeeper, strand keeps every version in `__consumer_offsets`); v1 adds the
 * generation, member id and a per-partition commit timestamp; v2-v4 a retention time; v6 the
 * leader epoch; v7 group.instance.id; v9 names the generation "member epoch" (the same number
 * for a classic group; a consumer-protocol group checks it as Kafka's validateOffsetCommit does). Errors are per partition.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../../protocol/messages/offset-commit.js';
import type { Handler } from '../../context.js';
import { coordinator, unavailable } from './common.js';

export const handleOffsetCommit: Handler<OffsetCommitRequest, OffsetCommitResponse> = async (req, ctx) => {
  const v = ctx.apiVersion;
  const c = coordinator(ctx, req.groupId);
  if (c === undefined) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: unavailable(ctx, req.groupId) })) })) };
  }
  const topics = await c.commitOffsets({
    groupId: req.groupId,
    memberId: v >= 1 ? req.memberId : '',
    groupInstanceId: v >= 7 ? req.groupInstanceId : null,
    generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
    retentionTimeMs: v >= 2 && v <= 4 ? req.retentionTimeMs : -1n,
    apiVersion: v,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: p.committedOffset,
        committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
        commitTimestamp: v === 1 ? p.commitTimestamp : -1n,
        committedMetadata: p.committedMetadata,
      })),
    })),
  });
  return { throttleTimeMs: 0, topics };
};
