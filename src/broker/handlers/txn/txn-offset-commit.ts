/**
 * TxnOffsetCommit (28), v0-4: a transactional producer commits a group's offsets inside its
 * transaction (sendOffsetsToTransaction). The transaction coordinator checks the producer and
 * that AddOffsetsToTxn added the group's `__consumer_offsets` partition; the group coordinator
 * checks the member (v3+, when given) and, in a cluster, that it coordinates the group
 * (NOT_COORDINATOR otherwise), writes the offsets as the producer's transactional batch
 * and holds them until the transaction's marker (groups/txn-offsets.ts). Errors per partition.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../../protocol/messages/txn-offset-commit.js';
import type { Handler } from '../../context.js';
import { coordinator as groupCoordinator, unavailable } from '../groups/common.js';
import { coordinator } from './common.js';

export const handleTxnOffsetCommit: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = async (req, ctx) => {
  const v = ctx.apiVersion;
  const all = (errorCode: number): TxnOffsetCommitResponse => ({ throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) });
  const txn = coordinator(ctx);
  const groups = groupCoordinator(ctx, req.groupId);
  if (txn === undefined || groups === undefined) return all(txn === undefined ? ErrorCode.COORDINATOR_NOT_AVAILABLE : unavailable(ctx, req.groupId));
  // In a cluster the transaction's coordinator is usually another broker: the group's partition
  // checks the producer epoch as it appends (Kafka without KIP-890's verification).
  if (!ctx.broker.replication.clustered) {
    const check = txn.checkOffsetCommit(req.transactionalId, Number(req.producerId), req.producerEpoch, req.groupId);
    if (check !== ErrorCode.NONE) return all(check);
  }
  const topics = await groups.transactionalOffsets.commit({
    groupId: req.groupId,
    producerId: Number(req.producerId),
    producerEpoch: req.producerEpoch,
    generationId: v >= 3 ? req.generationId ?? -1 : -1,
    memberId: v >= 3 ? req.memberId ?? '' : '',
    groupInstanceId: v >= 3 ? req.groupInstanceId ?? null : null,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, committedOffset: p.committedOffset, committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch ?? -1 : -1, committedMetadata: p.committedMetadata })),
    })),
  });
  return { throttleTimeMs: 0, topics };
};
