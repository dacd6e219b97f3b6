/**
 * Kafka RecordBatch v2 encode, validate and record iteration, byte-compatible with Kafka's
 * `DefaultRecordBatch` / `DefaultRecord`. See `batch-header.ts` for the header layout.
 *
 * Encoding sizes everything first and writes into one exactly-sized Buffer, so a batch of
 * N records costs one allocation. Validation walks varints in place and creates no objects.
 */
import { CorruptBatchError, InvalidRecordError } from '../errors.js';
import { crc32c, recordSectionValid } from '../io/index.js';
import {
  ATTRIBUTES, BASE_OFFSET, BASE_SEQUENCE, BASE_TIMESTAMP, BATCH_LENGTH, COMPRESSION_MASK, CONTROL_MASK, CRC,
  CURRENT_MAGIC, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAGIC, MAX_TIMESTAMP, PARTITION_LEADER_EPOCH, PRODUCER_EPOCH,
  PRODUCER_ID, RECORD_COUNT, RECORDS, TIMESTAMP_TYPE_MASK, readInt64, writeInt64,
} from './batch-header.js';
import { decompressRecords } from './codecs.js';
import type { RecordHeader, RecordInput, StoredRecord } from './record.js';
import { type Cursor, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';

export interface EncodeBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Attribute bits other than compression (transactional, control, timestamp type). */
  attributes?: number;
  /** Timestamp for records without one; defaults to Date.now(). */
  now?: number;
}

type Bytes = Buffer | Uint8Array | string | null | undefined;

function byteLength(v: Bytes): number {
  if (v === null || v === undefined) return -1;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

function writeBytes(buf: Buffer, pos: number, v: Bytes, len: number): number {
  pos = writeVarint(buf, pos, len);
  if (len <= 0) return pos;
  if (typeof v === 'string') buf.write(v, pos, len, 'utf8');
  else buf.set(v as Uint8Array, pos);
  return pos + len;
}

function headerList(h: RecordInput['headers']): ReadonlyArray<{ key: string; value: Bytes }> {
  if (h === undefined) return EMPTY;
  if (Array.isArray(h)) return h;
  return Object.entries(h as Record<string, Bytes>).map(([key, value]) => ({ key, value }));
}
const EMPTY: ReadonlyArray<{ key: string; value: Bytes }> = [];

// Per-record sizes from the sizing pass, reused across calls (grows, never shrinks).
let scratch = new Int32Array(1024);

/**
 * Encode records as one uncompressed v2 batch. Offsets are assigned relative to
 * `options.baseOffset` (0 by default; a log rewrites it on append).
 */
export function encodeBatch(records: readonly RecordInput[], options: EncodeBatchOptions = {}): Buffer {
  const count = records.length;
  if (count === 0) throw new InvalidRecordError('a record batch needs at least one record');
  const now = options.now ?? Date.now();
  if (scratch.length < count * 3) scratch = new Int32Array(count * 3);
  const sizes = scratch;

  let baseTimestamp = records[0]!.timestamp ?? now;
  let maxTimestamp = -1;
  let total = RECORDS;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? now;
    if (!Number.isSafeInteger(ts)) throw new InvalidRecordError(`record ${i} has timestamp ${ts}; use an integer number of milliseconds`);
    if (ts > maxTimestamp) maxTimestamp = ts;
    const keyLen = byteLength(r.key);
    const valueLen = byteLength(r.value);
    let body = 1 + sizeOfVarlong(ts - baseTimestamp) + sizeOfVarint(i)
      + sizeOfVarint(keyLen) + (keyLen > 0 ? keyLen : 0)
      + sizeOfVarint(valueLen) + (valueLen > 0 ? valueLen : 0);
    const headers = headerList(r.headers);
    body += sizeOfVarint(headers.length);
    for (let h = 0; h < headers.length; h++) {
      const hk = Buffer.byteLength(headers[h]!.key);
      const hv = byteLength(headers[h]!.value);
      body += sizeOfVarint(hk) + hk + sizeOfVarint(hv) + (hv > 0 ? hv : 0);
    }
    sizes[i * 3] = body;
    sizes[i * 3 + 1] = keyLen;
    sizes[i * 3 + 2] = valueLen;
    total += sizeOfVarint(body) + body;
  }

  const buf = Buffer.allocUnsafe(total);
  writeInt64(buf, BASE_OFFSET, options.baseOffset ?? 0);
  buf.writeInt32BE(total - LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH);
  buf[MAGIC] = CURRENT_MAGIC;
  buf.writeInt16BE((options.attributes ?? 0) & ~COMPRESSION_MASK, ATTRIBUTES);
  buf.writeInt32BE(count - 1, LAST_OFFSET_DELTA);
  writeInt64(buf, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP, maxTimestamp);
  writeInt64(buf, PRODUCER_ID, options.producerId ?? -1);
  buf.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH);
  buf.writeInt32BE(options.baseSequence ?? -1, BASE_SEQUENCE);
  buf.writeInt32BE(count, RECORD_COUNT);

  let pos = RECORDS;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    pos = writeVarint(buf, pos, sizes[i * 3]!);
    buf[pos++] = 0; // record attributes: unused
    pos = writeVarlong(buf, pos, (r.timestamp ?? now) - baseTimestamp);
    pos = writeVarint(buf, pos, i);
    pos = writeBytes(buf, pos, r.key, sizes[i * 3 + 1]!);
    pos = writeBytes(buf, pos, r.value, sizes[i * 3 + 2]!);
    const headers = headerList(r.headers);
    pos = writeVarint(buf, pos, headers.length);
    for (let h = 0; h < headers.length; h++) {
      const { key, value } = headers[h]!;
      pos = writeBytes(buf, pos, key, Buffer.byteLength(key));
      pos = writeBytes(buf, pos, value, byteLength(value));
    }
  }
  buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES)), CRC);
  return buf;
}

/** Why a batch failed a check; `null` means it passed. */
export type BatchProblem = string | null;

/**
 * Total size of the batch at `pos` if its framing is sane and fits in `end`, else -1.
 * Reads only the length and magic: used to walk a buffer of batches.
 */
export function batchSizeAt(buf: Buffer, pos: number, end: number): number {
  if (end - pos < RECORDS) return -1;
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
  if (batchLength < RECORDS - LOG_OVERHEAD) return -1;
  const size = batchLength + LOG_OVERHEAD;
  if (size > end - pos) return -1;
  return size;
}

/**
 * Check the batch at [pos, pos+size): magic, CRC-32C, record count against the offset delta.
 * Returns a description of the first problem found, or null. Allocation-free.
 */
export function checkBatch(buf: Buffer, pos: number, size: number): BatchProblem {
  if (buf[pos + MAGIC] !== CURRENT_MAGIC) return `unsupported magic ${buf[pos + MAGIC]} (only v2 record batches are stored)`;
  return checkBatchHeader(buf, pos, crc32c(buf.subarray(pos + ATTRIBUTES, pos + size)));
}

/**
 * `checkBatch` for a batch whose CRC-32C (over the bytes from the attributes to its end) the
 * caller computed, so `buf` needs to hold only the batch's header: a batch read in pieces (log
 * recovery reads a batch larger than its window that way).
 */
export function checkBatchHeader(buf: Buffer, pos: number, actual: number): BatchProblem {
  if (buf[pos + MAGIC] !== CURRENT_MAGIC) return `unsupported magic ${buf[pos + MAGIC]} (only v2 record batches are stored)`;
  const stored = buf.readUInt32BE(pos + CRC);
  if (stored !== actual) return `CRC-32C mismatch (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)})`;
  const count = buf.readInt32BE(pos + RECORD_COUNT);
  const lastDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
  if (count < 0) return `negative record count ${count}`;
  if (lastDelta < 0 && !(lastDelta === -1 && count === 0)) return `negative last offset delta ${lastDelta}`;
  // Compaction keeps the batch header but removes records, so count may be below delta + 1.
  if (count > lastDelta + 1) return `record count ${count} exceeds last offset delta ${lastDelta} + 1`;
  return null;
}

/**
 * Walk the records of an uncompressed batch without creating objects: lengths must tile the
 * batch exactly, every varint must be well formed, and (for freshly produced batches, where
 * `sequential` is true) offset deltas must run 0..count-1 as Kafka's LogValidator requires.
 * With `keysRequired` (a compacted log) every record must have a key.
 */
export function checkRecords(buf: Buffer, pos: number, size: number, sequential: boolean, keysRequired = false): BatchProblem {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  if ((attributes & COMPRESSION_MASK) !== 0) return null; // checked after decompression, in the worker pool
  return checkRecordSection(buf, pos + RECORDS, pos + size, buf.readInt32BE(pos + RECORD_COUNT), buf.readInt32BE(pos + LAST_OFFSET_DELTA), sequential, undefined, keysRequired);
}

/** What `checkRecordSection` learnt on its walk (for callers that want more than a verdict). */
export interface RecordSectionStats {
  /** Largest timestamp delta seen (-Infinity when there are no records). */
  maxTimestampDelta: number;
}

/**
 * The record walk of `checkRecords` over a records section [start, end) that holds `count`
 * records with offset deltas up to `lastDelta`: the bytes of an uncompressed batch, or the
 * decompressed records of a compressed one.
 */
export function checkRecordSection(buf: Buffer, start: number, end: number, count: number, lastDelta: number, sequential: boolean, stats?: RecordSectionStats, keysRequired = false): BatchProblem {
  // The native walk gives the verdict in a few ns per record; this walk stays the reference and
  // the one that says what is wrong (and the only one with the portable backend).
  if (stats === undefined && recordSectionValid !== null && start >= 0 && start <= end && end <= buf.length && recordSectionValid(buf, start, end, count, lastDelta, sequential, keysRequired)) return null;
  return walkRecordSection(buf, start, end, count, lastDelta, sequential, stats, keysRequired, null);
}

/**
 * The indexes of every keyless record of a records section (arguments as for
 * `checkRecordSection`), for a batch already known to hold one: Kafka's LogValidator walks the
 * whole batch and reports each refused record, so a client fails those and retries the others.
 * A problem of another kind anywhere in the section is returned instead (a string): Kafka's
 * record iterator throws on it, and the batch is refused for that, without record errors.
 */
export function keylessRecords(buf: Buffer, start: number, end: number, count: number, lastDelta: number, sequential: boolean): number[] | string {
  const found: number[] = [];
  return walkRecordSection(buf, start, end, count, lastDelta, sequential, undefined, true, found) ?? found;
}

/** The JS walk; with `keyless`, keyless records are listed there and the walk goes on. */
function walkRecordSection(buf: Buffer, start: number, end: number, count: number, lastDelta: number, sequential: boolean, stats: RecordSectionStats | undefined, keysRequired: boolean, keyless: number[] | null): BatchProblem {
  const cur: Cursor = { pos: start };
  let prevDelta = -1;
  let maxTsDelta = -Infinity;
  for (let i = 0; i < count; i++) {
    const length = readVarint(buf, cur, end);
    if (!(length > 0) || cur.pos + length > end) return `record ${i} has bad length ${length}`;
    const recordEnd = cur.pos + length;
    cur.pos++; // attributes
    const tsDelta = readVarlong(buf, cur, recordEnd);
    if (Number.isNaN(tsDelta)) return `record ${i} has a malformed timestamp delta`;
    if (tsDelta > maxTsDelta) maxTsDelta = tsDelta;
    const delta = readVarint(buf, cur, recordEnd);
    if (Number.isNaN(delta) || delta <= prevDelta || delta > lastDelta) return `record ${i} has offset delta ${delta} out of order`;
    if (sequential && delta !== i) return `record ${i} has offset delta ${delta}, expected ${i}`;
    prevDelta = delta;
    for (let field = 0; field < 2; field++) {
      const len = readVarint(buf, cur, recordEnd);
      if (Number.isNaN(len) || len < -1 || cur.pos + Math.max(len, 0) > recordEnd) return `record ${i} has a bad ${field === 0 ? 'key' : 'value'} length`;
      if (len > 0) cur.pos += len;
      else if (len < 0 && field === 0 && keysRequired) {
        if (keyless === null) return keylessProblem(i);
        keyless.push(i);
      }
    }
    const headers = readVarint(buf, cur, recordEnd);
    if (Number.isNaN(headers) || headers < 0) return `record ${i} has a bad header count`;
    for (let h = 0; h < headers; h++) {
      const kl = readVarint(buf, cur, recordEnd);
      if (Number.isNaN(kl) || kl < 0 || cur.pos + kl > recordEnd) return `record ${i} header ${h} has a bad key length`;
      cur.pos += kl;
      const vl = readVarint(buf, cur, recordEnd);
      if (Number.isNaN(vl) || vl < -1 || cur.pos + Math.max(vl, 0) > recordEnd) return `record ${i} header ${h} has a bad value length`;
      if (vl > 0) cur.pos += vl;
    }
    if (cur.pos !== recordEnd) return `record ${i} length ${length} does not match its fields`;
  }
  if (cur.pos !== end) return `${end - cur.pos} trailing bytes after ${count} records`;
  if (stats !== undefined) stats.maxTimestampDelta = maxTsDelta;
  return null;
}

const KEYLESS = /^record \d+ has a null key$/;

function keylessProblem(i: number): string {
  return `record ${i} has a null key`;
}

/** The error for the keyless records `indexes` of a batch for a compacted log `where`, with Kafka's messages (LogValidator.validateKey). */
export function keylessError(where: string, indexes: readonly number[]): InvalidRecordError {
  const message = `Compacted topic cannot accept message without key in topic partition ${where}`;
  return InvalidRecordError.forRecords(indexes.map((batchIndex) => ({ batchIndex, message })));
}

/**
 * The InvalidRecordError for `problem`, which `checkRecordSection` found in the records section
 * [start, end) of `buf` (batch `at` of partition `where`). A keyless record in a compacted log
 * is reported with every other keyless record of the batch, found by walking it again: only a
 * batch already refused pays for that walk.
 */
export function recordSectionError(where: string, at: string, problem: string, buf: Buffer, start: number, end: number, count: number, lastDelta: number, sequential: boolean): InvalidRecordError {
  if (!KEYLESS.test(problem)) return new InvalidRecordError(`${where}: ${at}: ${problem}`);
  const found = keylessRecords(buf, start, end, count, lastDelta, sequential);
  return typeof found === 'string' ? new InvalidRecordError(`${where}: ${at}: ${found}`) : keylessError(where, found);
}

/**
 * Validate a buffer of one or more batches as received from a producer; returns the number of
 * batches. Throws CorruptBatchError (framing, magic, CRC) or InvalidRecordError (records that
 * disagree with their header, or a keyless record when `keysRequired`) naming the batch index
 * and the problem.
 */
export function validateBatches(buf: Buffer, where: string, keysRequired = false): number {
  let pos = 0;
  let n = 0;
  while (pos < buf.length) {
    const size = batchSizeAt(buf, pos, buf.length);
    if (size < 0) throw new CorruptBatchError(`${where}: batch ${n} at byte ${pos} has a bad length or is truncated`, pos);
    const corrupt = checkBatch(buf, pos, size);
    if (corrupt !== null) throw new CorruptBatchError(`${where}: batch ${n} at byte ${pos}: ${corrupt}`, pos);
    // The CRC matched, so the producer built these records this way: INVALID_RECORD, as Kafka's LogValidator says.
    const invalid = checkRecords(buf, pos, size, true, keysRequired);
    if (invalid !== null) throw recordSectionError(where, `batch ${n} at byte ${pos}`, invalid, buf, pos + RECORDS, pos + size, buf.readInt32BE(pos + RECORD_COUNT), buf.readInt32BE(pos + LAST_OFFSET_DELTA), true);
    pos += size;
    n++;
  }
  if (n === 0) throw new CorruptBatchError(`${where}: no record batch in ${buf.length} bytes`, 0);
  return n;
}

function readNullableBytes(data: Buffer, cur: Cursor, end: number): Buffer | null {
  const len = readVarint(data, cur, end);
  if (len < 0) return null;
  const start = cur.pos;
  cur.pos += len;
  return data.subarray(start, start + len);
}

/**
 * Decode the records of the batch at `pos` and push them to `out`. Views share memory with
 * `buf` (or with the decompressed copy). Skips nothing: control batches are returned too, the
 * caller filters them. Throws CorruptBatchError if the records do not parse.
 */
export function readBatchRecords(buf: Buffer, pos: number, size: number, out: StoredRecord[]): void {
  const baseOffset = readInt64(buf, pos + BASE_OFFSET);
  const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP);
  const count = buf.readInt32BE(pos + RECORD_COUNT);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  const codec = attributes & COMPRESSION_MASK;
  const logAppendTime = (attributes & 0x08) !== 0;
  const maxTimestamp = logAppendTime ? readInt64(buf, pos + MAX_TIMESTAMP) : 0;
  let data = buf;
  let start = pos + RECORDS;
  let end = pos + size;
  if (codec !== 0) {
    data = decompressRecords(codec, buf.subarray(start, end));
    start = 0;
    end = data.length;
  }
  const cur: Cursor = { pos: start };
  for (let i = 0; i < count; i++) {
    const length = readVarint(data, cur, end);
    const recordEnd = cur.pos + length;
    if (!(length > 0) || recordEnd > end) throw new CorruptBatchError(`batch at offset ${baseOffset}: record ${i} has bad length ${length}`, pos);
    cur.pos++;
    const tsDelta = readVarlong(data, cur, recordEnd);
    const offsetDelta = readVarint(data, cur, recordEnd);
    const key = readNullableBytes(data, cur, recordEnd);
    const value = readNullableBytes(data, cur, recordEnd);
    const headerCount = readVarint(data, cur, recordEnd);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const kl = readVarint(data, cur, recordEnd);
      const hk = data.toString('utf8', cur.pos, cur.pos + kl);
      cur.pos += kl;
      headers.push({ key: hk, value: readNullableBytes(data, cur, recordEnd) });
    }
    if (cur.pos !== recordEnd || Number.isNaN(tsDelta) || Number.isNaN(offsetDelta)) {
      throw new CorruptBatchError(`batch at offset ${baseOffset}: record ${i} does not parse`, pos);
    }
    out.push({ offset: baseOffset + offsetDelta, timestamp: logAppendTime ? maxTimestamp : baseTimestamp + tsDelta, key, value, headers });
  }
}

/**
 * Mark the batch at [pos, pos+size) as LogAppendTime with `now` as its max timestamp and
 * recompute its CRC, as Kafka's LogValidator does for topics with
 * message.timestamp.type=LogAppendTime. Readers then give every record that timestamp.
 */
export function stampLogAppendTime(buf: Buffer, pos: number, size: number, now: number): void {
  buf.writeInt16BE(buf.readInt16BE(pos + ATTRIBUTES) | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES);
  writeInt64(buf, pos + MAX_TIMESTAMP, now);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + ATTRIBUTES, pos + size)), pos + CRC);
}

/** True when the batch at `pos` is a control batch (transaction marker). */
export function isControlBatch(buf: Buffer, pos: number): boolean {
  return (buf.readInt16BE(pos + ATTRIBUTES) & CONTROL_MASK) !== 0;
}
