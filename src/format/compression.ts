/**
 * Whole-batch compression: build a compressed v2 batch from records, recompress batches to
 * another codec (Kafka's compression.type), decompress them, and the deep validation of
 * compressed batches (decompress, then walk every record). These run on any thread; the worker
 * pool (`src/workers`) calls them for large batches.
 *
 * Recompression keeps everything but the records section's encoding: base offset, partition
 * leader epoch, offset deltas, timestamps (and the timestamp type), producer id, epoch and
 * sequence, the transactional bit; it rewrites the attributes' codec bits, the batch length and
 * the CRC-32C. Control batches (transaction markers) are never compressed, as in Kafka, and pass
 * through unchanged.
 */
import { CorruptBatchError, DecompressedTooLargeError, InvalidRecordError } from '../errors.js';
import { crc32c } from '../io/index.js';
import {
  ATTRIBUTES, BASE_TIMESTAMP, BATCH_LENGTH, COMPRESSION_MASK, CONTROL_MASK, CRC, type CompressionName, LAST_OFFSET_DELTA,
  LOG_OVERHEAD, RECORD_COUNT, RECORDS, TIMESTAMP_TYPE_MASK, readInt64,
} from './batch-header.js';
import { CODEC_NAMES, codecId, compressRecords, decompressRecords } from './codecs.js';
import { type BatchProblem, type EncodeBatchOptions, batchSizeAt, checkBatch, checkRecordSection, encodeBatch, keylessError, keylessRecords, recordSectionError } from './record-batch.js';
import type { RecordInput } from './record.js';

/** A codec by name (Kafka's 'uncompressed' is accepted for 'none') or by attribute id. */
export type CodecSpec = CompressionName | 'uncompressed' | number;

export interface CompressBatchOptions extends EncodeBatchOptions {
  /** Codec level (gzip 1-9, zstd up to 22); the codec's default when omitted. */
  level?: number;
}

/** What the deep validation of produced batches checks beyond the format itself. */
export interface RecordChecks {
  /** Names the partition in error messages. */
  where: string;
  /** A compacted log: every record must have a key (Kafka's LogValidator.validateKey). */
  keysRequired?: boolean;
  /** Largest records section a compressed batch may decompress to (DecompressedTooLargeError). */
  maxDecompressedBytes?: number;
}

/** Codec id (attributes bits 0-2) of the batch at `pos`. */
export function batchCodec(buf: Buffer, pos = 0): number {
  return buf.readInt16BE(pos + ATTRIBUTES) & COMPRESSION_MASK;
}

/**
 * Records as one v2 batch compressed with `codec`, or a buffer of one or more batches
 * recompressed to `codec` (see `recompressBatches`). `options` other than `level` apply to
 * records only.
 */
export function compressBatch(input: readonly RecordInput[] | Buffer, codec: CodecSpec, options: CompressBatchOptions = {}): Buffer {
  const id = codecId(codec);
  if (Buffer.isBuffer(input)) return recompressBatches(input, id, options.level);
  const plain = encodeBatch(input, options);
  return id === 0 ? plain : recompressOne(plain, 0, plain.length, id, options.level);
}

/** Every batch of `buf` with its records uncompressed (`buf` itself if none was compressed). */
export function decompressBatch(buf: Buffer): Buffer {
  return recompressBatches(buf, 0);
}

/**
 * Every batch of `buf` (one or more, as a producer sends them) with its records encoded with
 * `codec`. Batches already in that codec and control batches are kept byte for byte; when all
 * are, `buf` itself is returned. Framing is checked as batches are walked (CorruptBatchError).
 * With `validate`, every batch is also deep-checked as by `validateBatchesDeep` (CorruptBatchError,
 * InvalidRecordError), each decompressed only once; without it CRCs and records are not checked.
 */
export function recompressBatches(buf: Buffer, codec: CodecSpec, level?: number, validate?: RecordChecks): Buffer {
  const id = codecId(codec);
  const parts: Buffer[] = [];
  let changed = false;
  let total = 0;
  for (let pos = 0, n = 0; pos < buf.length; n++) {
    const size = batchSizeAt(buf, pos, buf.length);
    if (size < 0) throw new CorruptBatchError(`batch ${n} at byte ${pos} has a bad length or is truncated`, pos);
    const keep = batchCodec(buf, pos) === id || (buf.readInt16BE(pos + ATTRIBUTES) & CONTROL_MASK) !== 0;
    const at = `batch ${n} at byte ${pos}`;
    if (keep && validate !== undefined) throwProblem(deepCheckBatch(buf, pos, size, true, validate), validate.where, at, pos);
    const part = keep ? buf.subarray(pos, pos + size) : recompressOne(buf, pos, size, id, level, validate, at);
    if (!keep) changed = true;
    parts.push(part);
    total += part.length;
    pos += size;
  }
  if (!changed) return buf;
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

/** The batch at [pos, pos+size) with its records re-encoded with codec `id`; deep-checked on the way with `checks` (`at` names the batch). */
function recompressOne(buf: Buffer, pos: number, size: number, id: number, level: number | undefined, checks?: RecordChecks, at = ''): Buffer {
  if (checks !== undefined) {
    const corrupt = checkBatch(buf, pos, size);
    if (corrupt !== null) throw new CorruptBatchError(`${checks.where}: ${at}: ${corrupt}`, pos);
  }
  const from = batchCodec(buf, pos);
  const section = buf.subarray(pos + RECORDS, pos + size);
  let records = section;
  try {
    if (from !== 0) records = decompressRecords(from, section, checks?.maxDecompressedBytes);
  } catch (err) {
    if (checks !== undefined && err instanceof CorruptBatchError) throw new CorruptBatchError(`${checks.where}: ${at}: ${err.message}`, pos);
    if (checks !== undefined && err instanceof DecompressedTooLargeError) throw new DecompressedTooLargeError(`${checks.where}: ${at}: ${err.message}`, err.limit);
    throw err;
  }
  if (checks !== undefined) {
    const count = buf.readInt32BE(pos + RECORD_COUNT);
    const lastDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
    const invalid = checkRecordSection(records, 0, records.length, count, lastDelta, true, undefined, checks.keysRequired === true);
    if (invalid !== null) throw recordSectionError(checks.where, at, invalid, records, 0, records.length, count, lastDelta, true);
  }
  const body = id === 0 ? records : compressRecords(id, records, level);
  // Its own ArrayBuffer (allocUnsafeSlow), so a worker can hand it back without a copy.
  const out = Buffer.allocUnsafeSlow(RECORDS + body.length);
  buf.copy(out, 0, pos, pos + RECORDS);
  out.set(body, RECORDS);
  out.writeInt32BE(RECORDS - LOG_OVERHEAD + body.length, BATCH_LENGTH);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES) & ~COMPRESSION_MASK) | id, ATTRIBUTES);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC);
  return out;
}

/** Outcome of a deep check: which error a producer gets, and what the walk learnt. */
export interface DeepCheck {
  /** null when the batch passed. 'corrupt': framing, CRC or codec stream; 'invalid': records; 'too-large': decompressed past the bound. */
  problem: BatchProblem;
  kind: 'corrupt' | 'invalid' | 'too-large' | null;
  /** 'invalid' for keyless records (a compacted log): the index of every one, as Kafka lists them in record_errors. */
  keyless?: number[];
  /** The bound that a 'too-large' batch passed. */
  limit?: number;
  /** Uncompressed size of the records section. */
  uncompressedBytes: number;
  /** Largest record timestamp (CREATE_TIME batches; -1 when empty or LOG_APPEND_TIME). */
  maxRecordTimestamp: number;
}

/**
 * Deep check of the batch at [pos, pos+size): magic and CRC-32C, then the records (decompressed
 * first when compressed, never past `checks.maxDecompressedBytes`): lengths that tile the
 * section, well-formed varints, the record count, offset deltas in order (0..count-1 when
 * `sequential`, as Kafka requires of fresh produce) and within lastOffsetDelta, timestamp
 * deltas, key, value and header lengths, and keys present when `checks.keysRequired`.
 */
export function deepCheckBatch(buf: Buffer, pos: number, size: number, sequential: boolean, checks: Omit<RecordChecks, 'where'> = {}): DeepCheck {
  const result: DeepCheck = { problem: null, kind: null, uncompressedBytes: size - RECORDS, maxRecordTimestamp: -1 };
  const corrupt = checkBatch(buf, pos, size);
  if (corrupt !== null) return { ...result, problem: corrupt, kind: 'corrupt' };
  const codec = batchCodec(buf, pos);
  let data = buf;
  let start = pos + RECORDS;
  let end = pos + size;
  if (codec !== 0) {
    try {
      data = decompressRecords(codec, buf.subarray(start, end), checks.maxDecompressedBytes);
    } catch (err) {
      if (err instanceof DecompressedTooLargeError) return { ...result, problem: err.message, kind: 'too-large', limit: err.limit };
      return { ...result, problem: `${CODEC_NAMES[codec] ?? codec} records: ${(err as Error).message}`, kind: 'corrupt' };
    }
    start = 0;
    end = data.length;
    result.uncompressedBytes = data.length;
  }
  const stats = { maxTimestampDelta: -Infinity };
  const count = buf.readInt32BE(pos + RECORD_COUNT);
  const lastDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
  const invalid = checkRecordSection(data, start, end, count, lastDelta, sequential, stats, checks.keysRequired === true);
  if (invalid !== null) {
    // A refused batch is walked again to list every keyless record, or to find what else is wrong.
    const keyless = checks.keysRequired === true ? keylessRecords(data, start, end, count, lastDelta, sequential) : invalid;
    return typeof keyless === 'string' ? { ...result, problem: keyless, kind: 'invalid' } : { ...result, problem: invalid, kind: 'invalid', keyless };
  }
  const logAppendTime = (buf.readInt16BE(pos + ATTRIBUTES) & TIMESTAMP_TYPE_MASK) !== 0;
  if (count > 0 && !logAppendTime) result.maxRecordTimestamp = readInt64(buf, pos + BASE_TIMESTAMP) + stats.maxTimestampDelta;
  return result;
}

/**
 * `validateBatches` with compressed batches checked too: every batch of `buf` is deep-checked.
 * Returns the number of batches; throws CorruptBatchError, InvalidRecordError or
 * DecompressedTooLargeError naming the partition and the batch.
 */
export function validateBatchesDeep(buf: Buffer, checks: RecordChecks | string): number {
  if (typeof checks === 'string') checks = { where: checks };
  const { where } = checks;
  let pos = 0;
  let n = 0;
  while (pos < buf.length) {
    const size = batchSizeAt(buf, pos, buf.length);
    if (size < 0) throw new CorruptBatchError(`${where}: batch ${n} at byte ${pos} has a bad length or is truncated`, pos);
    throwProblem(deepCheckBatch(buf, pos, size, true, checks), where, `batch ${n} at byte ${pos}`, pos);
    pos += size;
    n++;
  }
  if (n === 0) throw new CorruptBatchError(`${where}: no record batch in ${buf.length} bytes`, 0);
  return n;
}

function throwProblem(check: DeepCheck, where: string, at: string, pos: number): void {
  if (check.kind === 'corrupt') throw new CorruptBatchError(`${where}: ${at}: ${check.problem}`, pos);
  if (check.kind === 'invalid') throw check.keyless !== undefined ? keylessError(where, check.keyless) : new InvalidRecordError(`${where}: ${at}: ${check.problem}`);
  if (check.kind === 'too-large') throw new DecompressedTooLargeError(`${where}: ${at}: ${check.problem}`, check.limit!);
}
