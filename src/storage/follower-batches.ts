/**
 * The checks a follower makes on record batches fetched from its leader before appending them
 * verbatim (Kafka's UnifiedLog.append with validateAndAssignOffsets = false): framing, magic
 * and CRC-32C of every batch, offsets increasing from batch to batch, and the first batch not
 * below the log end. Records are not walked and offsets are not assigned: the leader did that,
 * and the bytes must stay the leader's, byte for byte. Per-batch work only.
 */
import { CorruptBatchError, KafkaErrorCode, StrandError } from '../errors.js';
import { BASE_OFFSET, BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, readInt64 } from '../format/batch-header.js';
import { batchSizeAt, checkBatch } from '../format/record-batch.js';

/**
 * Fetched batches that do not continue the log: the first one starts below its end offset (Kafka's
 * UnexpectedAppendOffsetException), or the offsets do not increase from batch to batch (Kafka's
 * OffsetsOutOfOrderException). `firstOffset` and `lastOffset` are those of the appended data, so
 * a replica whose log is empty at its start offset can restart the log at `firstOffset` and
 * append again, as Kafka's Partition.appendRecordsToFollowerOrFutureReplica does when the
 * leader's log start offset falls inside a batch.
 */
export class UnexpectedAppendOffsetError extends StrandError {
  constructor(message: string, readonly firstOffset: number, readonly lastOffset: number) {
    super(message, 'ERR_STRAND_UNEXPECTED_APPEND_OFFSET', KafkaErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

/** What a follower append learnt about the batches it checked. */
export interface FollowerBatches {
  firstOffset: number;
  lastOffset: number;
}

/**
 * Check fetched batches for partition `where` whose log ends at `endOffset`. Throws
 * CorruptBatchError (CORRUPT_MESSAGE) for framing, magic or CRC, UnexpectedAppendOffsetError for
 * offsets; nothing is changed either way. `bytes` must not be empty.
 */
export function checkFollowerBatches(bytes: Buffer, where: string, endOffset: number): FollowerBatches {
  let previousLast = -1;
  let firstOffset = -1;
  let n = 0;
  for (let pos = 0; pos < bytes.length; n++) {
    const size = batchSizeAt(bytes, pos, bytes.length);
    if (size < 0) throw new CorruptBatchError(`${where}: fetched batch ${n} at byte ${pos} (log end offset ${endOffset}) has a bad length or is truncated`, pos);
    const base = readInt64(bytes, pos + BASE_OFFSET);
    const problem = checkBatch(bytes, pos, size);
    if (problem !== null) throw new CorruptBatchError(`${where}: fetched batch ${n} at byte ${pos} (base offset ${base}, log end offset ${endOffset}): ${problem}`, pos);
    const last = base + bytes.readInt32BE(pos + LAST_OFFSET_DELTA);
    if (n === 0) {
      firstOffset = base;
      if (base < endOffset) {
        throw new UnexpectedAppendOffsetError(`${where}: unexpected offset in a follower append: first offset ${base} is below the log end offset ${endOffset}`, base, lastOffsetOf(bytes));
      }
    } else if (base <= previousLast) {
      throw new UnexpectedAppendOffsetError(`${where}: out of order offsets in a follower append: batch ${n} at byte ${pos} starts at ${base}, after a batch ending at ${previousLast}`, firstOffset, lastOffsetOf(bytes));
    }
    previousLast = last;
    pos += size;
  }
  return { firstOffset, lastOffset: previousLast };
}

/** Last offset of the last well-framed batch of `bytes` (for error reports only). */
function lastOffsetOf(bytes: Buffer): number {
  let last = -1;
  for (let pos = 0; pos < bytes.length;) {
    const size = batchSizeAt(bytes, pos, bytes.length);
    if (size < 0) break;
    last = readInt64(bytes, pos + BASE_OFFSET) + bytes.readInt32BE(pos + LAST_OFFSET_DELTA);
    pos += size;
  }
  return last;
}

/** Size of the batch at `pos` of bytes already checked. */
export function batchSize(bytes: Buffer, pos: number): number {
  return bytes.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
}
