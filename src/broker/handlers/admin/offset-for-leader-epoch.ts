/**
 * OffsetForLeaderEpoch (23), v0-4: where a leader epoch ends in the leader's log (KIP-101,
 * KIP-279), for followers truncating after a change of leader and for consumers validating their
 * position (KIP-320). The answer is the largest epoch at or below the one asked for and the
 * offset where it ends, from the log's leader epoch cache (-1/-1 when unknown, as Kafka's
 * LeaderEpochFileCache answers). Only the leader answers; current_leader_epoch is checked as for
 * Fetch (-1 skips the check).
 *
 * A single broker leads every partition in epoch 0 from its start: epoch 0 ends at the log end
 * offset and any later epoch is unknown.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, OffsetForLeaderEpochResponseEpochEndOffset } from '../../../protocol/messages/offset-for-leader-epoch.js';
import { SINGLE_NODE_LEADER_EPOCH } from '../../single-node-replication.js';
import type { Handler } from '../../context.js';

export const handleOffsetForLeaderEpoch: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = (req, ctx) => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): OffsetForLeaderEpochResponseEpochEndOffset => {
      const answer = (errorCode: number, leaderEpoch = -1, endOffset = -1n) => ({ errorCode, partition: p.partition, leaderEpoch, endOffset });
      const core = ctx.broker;
      const log = core.topics.log(t.topic, p.partition);
      if (log === null) {
        const known = core.topics.get(t.topic);
        return answer(known !== undefined && p.partition >= 0 && p.partition < known.partitions ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
      const leadership = core.replication.leaderCheck(t.topic, p.partition, p.currentLeaderEpoch);
      if (leadership !== ErrorCode.NONE) return answer(leadership);
      if (!core.replication.clustered) {
        if (p.leaderEpoch === SINGLE_NODE_LEADER_EPOCH) return answer(ErrorCode.NONE, SINGLE_NODE_LEADER_EPOCH, BigInt(log.endOffset));
        if (p.leaderEpoch < -1) return answer(ErrorCode.NONE, p.leaderEpoch, BigInt(log.startOffset));
        return answer(ErrorCode.NONE);
      }
      const end = log.endOffsetForEpoch(p.leaderEpoch);
      return answer(ErrorCode.NONE, end.epoch, BigInt(end.endOffset));
    }),
  })),
});
