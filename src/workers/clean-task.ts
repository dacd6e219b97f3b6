/**
 * The CPU-heavy half of log compaction, run in the batch pool's threads (Kafka's Cleaner): build
 * the offset map of a log's dirty range, then rewrite a group of sealed segments into one
 * `.cleaned` segment keeping only what compaction keeps. The caller (src/storage/cleaner) picks
 * the ranges and swaps the result in; these tasks only read sealed segment files and write new
 * files of their own.
 *
 * Rewriting follows Kafka's MemoryRecords.filterTo with the cleaner's filter:
 *
 * - a record stays if it is the latest of its key in the map (or past the map's end); keyless
 *   records are dropped, as Kafka's cleaner drops them;
 * - a tombstone (null value) stays until its batch's delete horizon: the first cleaning that
 *   keeps it stamps the batch with horizon = now + delete.retention.ms (the DELETE_HORIZON
 *   attribute bit, the horizon as base timestamp; KIP-534), a later cleaning after that drops it;
 * - transactions: see clean-txn.ts (aborted data goes, markers stay while needed);
 * - the last batch of each live producer stays, emptied of its records if they all go, so that
 *   producer state (sequence numbers, epochs) survives a rebuild from the log;
 * - a batch whose records all stay, and that needs no horizon, is copied byte for byte; otherwise
 *   it is rebuilt with the kept records: same base offset, last offset delta, offset deltas and
 *   timestamps, producer fields and codec (recompressed), new count, length and CRC-32C.
 *
 * The cleaned segment's offset and time indexes are written as Segment.recover would rebuild
 * them, and its `.txnindex` lists the aborted transactions whose marker stayed.
 */
import { writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { CorruptBatchError } from '../errors.js';
import {
  ATTRIBUTES, BASE_OFFSET, BASE_TIMESTAMP, BATCH_LENGTH, COMPRESSION_MASK, CONTROL_MASK, CRC, DELETE_HORIZON_MASK,
  LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, PRODUCER_EPOCH, PRODUCER_ID, RECORD_COUNT, RECORDS, TIMESTAMP_TYPE_MASK,
  readInt64, writeInt64,
} from '../format/batch-header.js';
import { compressRecords, decompressRecords } from '../format/codecs.js';
import { checkBatch } from '../format/record-batch.js';
import { type Cursor, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../format/varint.js';
import { crc32c } from '../io/index.js';
import { BufferedFileWriter, SegmentBatchReader } from './clean-io.js';
import { OffsetMap, type OffsetMapShape } from './clean-offset-map.js';
import { type AbortedTxnInfo, CleanedTransactionMetadata, type TxnCleanState } from './clean-txn.js';

/** A sealed segment to read: its `.log` file and the bytes of it that are the log. */
export interface CleanSegmentRef {
  path: string;
  size: number;
  baseOffset: number;
}

export interface BuildMapTask {
  kind: 'map';
  /** The dirty segments, in order. */
  segments: CleanSegmentRef[];
  /** First dirty offset: records below it are not mapped. */
  startOffset: number;
  /** First offset not to clean (a segment base): mapping stops before it. */
  endOffset: number;
  /** Aborted transactions overlapping the range: their data never enters the map. */
  aborted: AbortedTxnInfo[];
  map: OffsetMapShape;
  /** Int32 flag set to 1 by the caller to stop the task early. */
  abort: SharedArrayBuffer;
}

export interface BuildMapResult {
  kind: 'map';
  /** Last offset mapped (the map covers [startOffset, latestOffset]); -1 if nothing was. */
  latestOffset: number;
  /** The map filled up before endOffset. */
  full: boolean;
  keys: number;
  records: number;
  bytesRead: number;
  aborted?: boolean;
}

export interface CleanGroupTask {
  kind: 'group';
  segments: CleanSegmentRef[];
  /** Base offset of the cleaned segment (the first segment's). */
  baseOffset: number;
  /** Paths of the `.cleaned` files to write. */
  out: { log: string; index: string; timeIndex: string; txnIndex: string };
  map: OffsetMapShape;
  /** Records after this offset are kept whatever the map says (it does not cover them). */
  mapLatestOffset: number;
  now: number;
  deleteRetentionMs: number;
  indexIntervalBytes: number;
  /** Aborted transactions of the group's segments, added to the pass's transaction state. */
  aborted: AbortedTxnInfo[];
  txn: TxnCleanState;
  /** Live producers: id, offset of the last record it wrote (-1: none), epoch. */
  producers: Array<[number, number, number]>;
  abort: SharedArrayBuffer;
}

export interface CleanGroupResult {
  kind: 'group';
  /** Bytes of the cleaned log file. */
  size: number;
  recordsRead: number;
  recordsKept: number;
  batchesRead: number;
  batchesKept: number;
  bytesRead: number;
  /** Largest delete horizon stamped on or carried by a kept batch; -1 if none. */
  latestDeleteHorizon: number;
  txnIndexEntries: number;
  /** State for the next group of the same pass. */
  txn: TxnCleanState;
  aborted?: boolean;
}

export type CleanTask = BuildMapTask | CleanGroupTask;
export type CleanTaskResult = BuildMapResult | CleanGroupResult;

class Aborted extends Error {}

const CHECK_ABORT_EVERY = 256;

function checkAbort(flag: Int32Array, n: number): void {
  if (n % CHECK_ABORT_EVERY === 0 && Atomics.load(flag, 0) !== 0) throw new Aborted();
}

export function runCleanTask(task: CleanTask): CleanTaskResult {
  try {
    return task.kind === 'map' ? buildOffsetMap(task) : cleanGroup(task);
  } catch (err) {
    if (err instanceof Aborted) {
      return task.kind === 'map'
        ? { kind: 'map', latestOffset: -1, full: false, keys: 0, records: 0, bytesRead: 0, aborted: true }
        : { kind: 'group', size: 0, recordsRead: 0, recordsKept: 0, batchesRead: 0, batchesKept: 0, bytesRead: 0, latestDeleteHorizon: -1, txnIndexEntries: 0, txn: task.txn, aborted: true };
    }
    throw err;
  }
}

/** The records section of the batch at `pos` (decompressed when needed). */
function recordSection(buf: Buffer, pos: number, size: number): { data: Buffer; start: number; end: number } {
  const codec = buf.readInt16BE(pos + ATTRIBUTES) & COMPRESSION_MASK;
  if (codec === 0) return { data: buf, start: pos + RECORDS, end: pos + size };
  const data = decompressRecords(codec, buf.subarray(pos + RECORDS, pos + size));
  return { data, start: 0, end: data.length };
}

function buildOffsetMap(task: BuildMapTask): BuildMapResult {
  const map = OffsetMap.attach(task.map);
  const flag = new Int32Array(task.abort);
  const txn = new CleanedTransactionMetadata();
  txn.addAborted(task.aborted);
  const result: BuildMapResult = { kind: 'map', latestOffset: -1, full: false, keys: 0, records: 0, bytesRead: 0 };
  const cur: Cursor = { pos: 0 };
  let n = 0;
  outer: for (const seg of task.segments) {
    const reader = new SegmentBatchReader(seg.path, seg.size);
    try {
      while (reader.advance()) {
        checkAbort(flag, n++);
        const buf = reader.buffer;
        const pos = reader.pos;
        const base = readInt64(buf, pos + BASE_OFFSET);
        const last = base + buf.readInt32BE(pos + LAST_OFFSET_DELTA);
        if (base >= task.endOffset) break outer;
        result.bytesRead += reader.size;
        const attributes = buf.readInt16BE(pos + ATTRIBUTES);
        if ((attributes & CONTROL_MASK) !== 0) {
          txn.onControlBatchRead(buf, pos);
        } else if (!txn.onBatchRead(buf, pos)) {
          const count = buf.readInt32BE(pos + RECORD_COUNT);
          if (map.size + count > map.maxEntries) {
            if (result.latestOffset < task.startOffset) throw new Error(`the cleaner's offset map (${map.maxEntries} keys) cannot hold the ${count} records of the batch at offset ${base} of ${seg.path}`);
            result.full = true;
            break outer;
          }
          const { data, start, end } = recordSection(buf, pos, reader.size);
          cur.pos = start;
          for (let i = 0; i < count; i++) {
            const length = readVarint(data, cur, end);
            const recordEnd = cur.pos + length;
            if (!(length > 0) || recordEnd > end) throw new CorruptBatchError(`${seg.path}: batch at offset ${base}: record ${i} has bad length ${length}`, reader.filePos);
            cur.pos++; // attributes
            readVarlong(data, cur, recordEnd);
            const offset = base + readVarint(data, cur, recordEnd);
            const keyLength = readVarint(data, cur, recordEnd);
            if (keyLength >= 0 && offset >= task.startOffset) map.put(data.subarray(cur.pos, cur.pos + keyLength), offset);
            cur.pos = recordEnd;
          }
          result.records += count;
        }
        if (last >= task.startOffset) result.latestOffset = last;
      }
    } finally {
      reader.close();
    }
  }
  result.keys = map.size;
  return result;
}

/** Kept records of one batch, as spans of its records section (struct of arrays, reused). */
class KeptRecords {
  count = 0;
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  tsStarts = new Int32Array(256);
  tsEnds = new Int32Array(256);
  tsDeltas = new Float64Array(256);

  reset(): void {
    this.count = 0;
  }

  push(start: number, end: number, tsStart: number, tsEnd: number, tsDelta: number): void {
    if (this.count === this.starts.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
      this.tsStarts = grow(this.tsStarts);
      this.tsEnds = grow(this.tsEnds);
      this.tsDeltas = grow(this.tsDeltas);
    }
    const i = this.count++;
    this.starts[i] = start;
    this.ends[i] = end;
    this.tsStarts[i] = tsStart;
    this.tsEnds[i] = tsEnd;
    this.tsDeltas[i] = tsDelta;
  }
}

/** Index entries of the cleaned segment, built as Segment.recover builds them. */
class IndexBuilder {
  private offsets: Buffer = Buffer.allocUnsafe(8 * 64);
  private offsetBytes = 0;
  private times: Buffer = Buffer.allocUnsafe(12 * 64);
  private timeBytes = 0;
  private lastTime = -Infinity;
  private bytesSinceEntry = 0;
  private maxTimestamp = -1;
  private offsetOfMax = -1;

  constructor(private readonly baseOffset: number, private readonly intervalBytes: number) {}

  /** A batch written at `position`. */
  add(position: number, size: number, lastOffset: number, maxTimestamp: number): void {
    if (this.bytesSinceEntry > this.intervalBytes) {
      this.offsets = ensure(this.offsets, this.offsetBytes + 8);
      this.offsets.writeInt32BE(lastOffset - this.baseOffset, this.offsetBytes);
      this.offsets.writeInt32BE(position, this.offsetBytes + 4);
      this.offsetBytes += 8;
      this.maybeAppendTime(this.maxTimestamp, this.offsetOfMax);
      this.bytesSinceEntry = 0;
    }
    this.bytesSinceEntry += size;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMax = lastOffset;
    }
  }

  /** The final entry of a sealed segment, then the two files' contents. */
  finish(): { offsetIndex: Buffer; timeIndex: Buffer } {
    this.maybeAppendTime(this.maxTimestamp, this.offsetOfMax);
    return { offsetIndex: this.offsets.subarray(0, this.offsetBytes), timeIndex: this.times.subarray(0, this.timeBytes) };
  }

  private maybeAppendTime(timestamp: number, offset: number): void {
    if (this.timeBytes > 0 && timestamp <= this.lastTime) return;
    this.times = ensure(this.times, this.timeBytes + 12);
    writeInt64(this.times, this.timeBytes, timestamp);
    this.times.writeInt32BE(offset - this.baseOffset, this.timeBytes + 8);
    this.timeBytes += 12;
    this.lastTime = timestamp;
  }
}

function ensure(buf: Buffer, need: number): Buffer {
  if (need <= buf.length) return buf;
  const grown = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
  buf.copy(grown);
  return grown;
}

/** Kafka's BatchRetention. */
const Retention = { DELETE: 0, DELETE_EMPTY: 1, RETAIN_EMPTY: 2 } as const;

function cleanGroup(task: CleanGroupTask): CleanGroupResult {
  const map = OffsetMap.attach(task.map);
  const flag = new Int32Array(task.abort);
  const txn = new CleanedTransactionMetadata(task.txn);
  txn.addAborted(task.aborted);
  const txnEntries: AbortedTxnInfo[] = [];
  txn.onRetainedAbort = (t) => txnEntries.push(t);
  const producers = new Map(task.producers.map(([id, lastDataOffset, epoch]) => [id, { lastDataOffset, epoch }]));
  const { now } = task;
  const writer = new BufferedFileWriter(task.out.log);
  const index = new IndexBuilder(task.baseOffset, task.indexIntervalBytes);
  const kept = new KeptRecords();
  const cur: Cursor = { pos: 0 };
  const result: CleanGroupResult = {
    kind: 'group', size: 0, recordsRead: 0, recordsKept: 0, batchesRead: 0, batchesKept: 0, bytesRead: 0, latestDeleteHorizon: -1, txnIndexEntries: 0, txn: task.txn,
  };
  const emit = (batch: Uint8Array, lastOffset: number) => {
    const b = Buffer.from(batch.buffer, batch.byteOffset, batch.length);
    index.add(writer.position, b.length, lastOffset, readInt64(b, MAX_TIMESTAMP));
    if ((b.readInt16BE(ATTRIBUTES) & DELETE_HORIZON_MASK) !== 0) result.latestDeleteHorizon = Math.max(result.latestDeleteHorizon, readInt64(b, BASE_TIMESTAMP));
    writer.write(b);
    result.batchesKept++;
  };
  let n = 0;
  try {
    for (const seg of task.segments) {
      const reader = new SegmentBatchReader(seg.path, seg.size);
      try {
        while (reader.advance()) {
          checkAbort(flag, n++);
          const buf = reader.buffer;
          const pos = reader.pos;
          const size = reader.size;
          const bad = checkBatch(buf, pos, size);
          if (bad !== null) throw new CorruptBatchError(`${seg.path}: batch at byte ${reader.filePos}: ${bad}`, reader.filePos);
          result.batchesRead++;
          result.bytesRead += size;
          const base = readInt64(buf, pos + BASE_OFFSET);
          const last = base + buf.readInt32BE(pos + LAST_OFFSET_DELTA);
          const attributes = buf.readInt16BE(pos + ATTRIBUTES);
          const control = (attributes & CONTROL_MASK) !== 0;
          const producerId = readInt64(buf, pos + PRODUCER_ID);
          const hasHorizon = (attributes & DELETE_HORIZON_MASK) !== 0;
          const horizon = hasHorizon ? readInt64(buf, pos + BASE_TIMESTAMP) : -1;
          const count = buf.readInt32BE(pos + RECORD_COUNT);
          result.recordsRead += count;

          // Kafka's checkBatchRetention.
          const canDiscard = control ? txn.onControlBatchRead(buf, pos) : txn.onBatchRead(buf, pos);
          const discardRecords = control ? canDiscard && hasHorizon && horizon <= now : canDiscard;
          let lastOfProducer = false;
          if (producerId >= 0) {
            const p = producers.get(producerId);
            if (p !== undefined) lastOfProducer = p.lastDataOffset >= 0 ? last === p.lastDataOffset : control && buf.readInt16BE(pos + PRODUCER_EPOCH) === p.epoch;
          }
          const retention = lastOfProducer ? Retention.RETAIN_EMPTY : discardRecords ? Retention.DELETE : Retention.DELETE_EMPTY;
          if (retention === Retention.DELETE) continue;
          const markerForEmptyTxn = canDiscard && control;

          // Kafka's filterBatch with the cleaner's shouldRetainRecord.
          kept.reset();
          let tombstones = false;
          const { data, start, end } = discardRecords ? { data: buf, start: 0, end: 0 } : recordSection(buf, pos, size);
          if (!discardRecords) {
            cur.pos = start;
            const retainDeletes = !hasHorizon || now < horizon;
            for (let i = 0; i < count; i++) {
              const recordStart = cur.pos;
              const length = readVarint(data, cur, end);
              const recordEnd = cur.pos + length;
              if (!(length > 0) || recordEnd > end) throw new CorruptBatchError(`${seg.path}: batch at offset ${base}: record ${i} has bad length ${length}`, reader.filePos);
              cur.pos++; // attributes
              const tsStart = cur.pos;
              const tsDelta = readVarlong(data, cur, recordEnd);
              const tsEnd = cur.pos;
              const offset = base + readVarint(data, cur, recordEnd);
              const keyLength = readVarint(data, cur, recordEnd);
              const keyStart = cur.pos;
              if (keyLength > 0) cur.pos += keyLength;
              const valueLength = readVarint(data, cur, recordEnd);
              let keep: boolean;
              if (control || offset > task.mapLatestOffset) keep = true;
              else if (keyLength < 0) keep = false;
              else keep = offset >= map.get(data.subarray(keyStart, keyStart + keyLength)) && (valueLength >= 0 || retainDeletes);
              if (keep) {
                kept.push(recordStart, recordEnd, tsStart, tsEnd, tsDelta);
                if (valueLength < 0) tombstones = true;
              }
              cur.pos = recordEnd;
            }
          }
          if (kept.count > 0) {
            result.recordsKept += kept.count;
            const needHorizon = (tombstones || markerForEmptyTxn) && !hasHorizon;
            if (kept.count === count && !needHorizon) emit(buf.subarray(pos, pos + size), last);
            else emit(rebuildBatch(buf, pos, data, kept, needHorizon ? now + task.deleteRetentionMs : -1), last);
          } else if (retention === Retention.RETAIN_EMPTY) {
            emit(emptyBatch(buf, pos), last);
          }
        }
      } finally {
        reader.close();
      }
    }
    writer.finish();
  } catch (err) {
    writer.abandon();
    throw err;
  }
  result.size = writer.position;
  const { offsetIndex, timeIndex } = index.finish();
  writeSynced(task.out.index, offsetIndex);
  writeSynced(task.out.timeIndex, timeIndex);
  if (txnEntries.length > 0) writeSynced(task.out.txnIndex, encodeTxnIndex(txnEntries));
  result.txnIndexEntries = txnEntries.length;
  result.txn = txn.state();
  return result;
}

/**
 * The batch at `pos` with only the kept records, as Kafka's buildRetainedRecordsInto writes it.
 * With `newHorizon` >= 0 the batch gets that delete horizon as its base timestamp and every
 * record's timestamp delta is re-encoded against it, so record timestamps do not change.
 */
function rebuildBatch(buf: Buffer, pos: number, data: Buffer, kept: KeptRecords, newHorizon: number): Buffer {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  const codec = attributes & COMPRESSION_MASK;
  const logAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0;
  const oldBase = readInt64(buf, pos + BASE_TIMESTAMP);
  const newBase = newHorizon >= 0 ? newHorizon : oldBase;
  let total = 0;
  let maxTimestamp = -1;
  for (let i = 0; i < kept.count; i++) {
    const ts = oldBase + kept.tsDeltas[i]!;
    if (ts > maxTimestamp) maxTimestamp = ts;
    if (newHorizon < 0) {
      total += kept.ends[i]! - kept.starts[i]!;
    } else {
      const body = 1 + sizeOfVarlong(ts - newBase) + kept.ends[i]! - kept.tsEnds[i]!;
      total += sizeOfVarint(body) + body;
    }
  }
  let records: Buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < kept.count; i++) {
    if (newHorizon < 0) {
      at += data.copy(records, at, kept.starts[i]!, kept.ends[i]!);
      continue;
    }
    const delta = oldBase + kept.tsDeltas[i]! - newBase;
    const rest = kept.ends[i]! - kept.tsEnds[i]!;
    const body = 1 + sizeOfVarlong(delta) + rest;
    at = writeVarint(records, at, body);
    records[at++] = data[kept.tsStarts[i]! - 1]!; // record attributes
    at = writeVarlong(records, at, delta);
    at += data.copy(records, at, kept.tsEnds[i]!, kept.ends[i]!);
  }
  if (codec !== 0) records = compressRecords(codec, records);
  const out = Buffer.allocUnsafe(RECORDS + records.length);
  buf.copy(out, 0, pos, pos + RECORDS);
  records.copy(out, RECORDS);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt16BE(newHorizon >= 0 ? attributes | DELETE_HORIZON_MASK : attributes, ATTRIBUTES);
  writeInt64(out, BASE_TIMESTAMP, newBase);
  if (!logAppendTime) writeInt64(out, MAX_TIMESTAMP, maxTimestamp);
  out.writeInt32BE(kept.count, RECORD_COUNT);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC);
  return out;
}

/**
 * The header of the batch at `pos` with no records (Kafka's writeEmptyHeader): kept so that
 * its producer's last sequence and epoch survive. Uncompressed, no delete horizon, both
 * timestamps the batch's max timestamp.
 */
function emptyBatch(buf: Buffer, pos: number): Buffer {
  const out = Buffer.allocUnsafe(RECORDS);
  buf.copy(out, 0, pos, pos + RECORDS);
  out.writeInt32BE(RECORDS - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt16BE(buf.readInt16BE(pos + ATTRIBUTES) & ~(COMPRESSION_MASK | DELETE_HORIZON_MASK), ATTRIBUTES);
  writeInt64(out, BASE_TIMESTAMP, readInt64(buf, pos + MAX_TIMESTAMP));
  out.writeInt32BE(0, RECORD_COUNT);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC);
  return out;
}

/** Kafka's `.txnindex` entries (see src/storage/txn-index.ts). */
function encodeTxnIndex(txns: readonly AbortedTxnInfo[]): Buffer {
  const out = Buffer.alloc(txns.length * 34);
  txns.forEach((t, i) => {
    const p = i * 34;
    out.writeInt16BE(0, p);
    writeInt64(out, p + 2, t.producerId);
    writeInt64(out, p + 10, t.firstOffset);
    writeInt64(out, p + 18, t.lastOffset);
    writeInt64(out, p + 26, t.lastStableOffset);
  });
  return out;
}

function writeSynced(path: string, bytes: Buffer): void {
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
