/**
 * DeleteRecords (21), v0-2: move each partition's log start offset forward (records below it
 * are no longer served; whole segments below it are deleted). Offset -1 means the high
 * watermark (the log end offset on a single node). Answers the new low watermark.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DeleteRecordsRequest, DeleteRecordsResponse, DeleteRecordsResponseDeleteRecordsPartitionResult } from '../../../protocol/messages/delete-records.js';
import type { Handler } from '../../context.js';
import { errorOf } from './common.js';

const HIGH_WATERMARK = -1n;

export const handleDeleteRecords: Handler<DeleteRecordsRequest, DeleteRecordsResponse> = (req, ctx) => {
  let changed = false;
  const topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p): DeleteRecordsResponseDeleteRecordsPartitionResult => {
      const fail = (errorCode: number) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode });
      const log = ctx.broker.topics.log(t.name, p.partitionIndex);
      if (log === null) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      try {
        const end = log.endOffset;
        const offset = p.offset === HIGH_WATERMARK ? end : p.offset;
        if (offset < 0n || offset > BigInt(end)) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
        if (Number(offset) > log.startOffset) {
          log.advanceStartOffset(Number(offset));
          changed = true;
        }
        return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(log.startOffset), errorCode: ErrorCode.NONE };
      } catch (err) {
        return fail(errorOf(err, ctx, `delete records of ${t.name}-${p.partitionIndex}`).errorCode);
      }
    }),
  }));
  // The new log start offsets survive a crash from now on, not from the next periodic checkpoint.
  if (changed) {
    try {
      ctx.broker.store.writeCheckpoints();
    } catch (err) {
      ctx.broker.logger.warn({ err }, 'could not write the log start offset checkpoint after DeleteRecords');
    }
  }
  return { throttleTimeMs: 0, topics };
};
