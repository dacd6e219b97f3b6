/**
 * OffsetForLeaderEpoch (23), v0-4. A single node leads every partition in epoch 0 from its
 * start, so: epoch 0 ends at the log end offset; an epoch above 0 is unknown (-1/-1, as Kafka's
 * epoch cache answers); a current_leader_epoch above 0 is UNKNOWN_LEADER_EPOCH (the client knows
 * a newer leader than this broker), -1 skips the check.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, OffsetForLeaderEpochResponseEpochEndOffset } from '../../../protocol/messages/offset-for-leader-epoch.js';
import type { Handler } from '../../context.js';

/** The leader epoch of every partition on a single node. */
export const LEADER_EPOCH = 0;

export const handleOffsetForLeaderEpoch: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = (req, ctx) => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): OffsetForLeaderEpochResponseEpochEndOffset => {
      const answer = (errorCode: number, leaderEpoch = -1, endOffset = -1n) => ({ errorCode, partition: p.partition, leaderEpoch, endOffset });
      const log = ctx.broker.topics.log(t.topic, p.partition);
      if (log === null) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      if (p.currentLeaderEpoch > LEADER_EPOCH) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH);
      if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < LEADER_EPOCH) return answer(ErrorCode.FENCED_LEADER_EPOCH);
      if (p.leaderEpoch === LEADER_EPOCH) return answer(ErrorCode.NONE, LEADER_EPOCH, BigInt(log.endOffset));
      if (p.leaderEpoch < -1) return answer(ErrorCode.NONE, p.leaderEpoch, BigInt(log.startOffset));
      return answer(ErrorCode.NONE);
    }),
  })),
});
