/**
 * One log segment: `<base>.log` (record batches, verbatim, as produced and served), its sparse
 * `.index` and `.timeindex`, and its `.txnindex` of aborted transactions (see txn-index.ts). Positions are int32 as in Kafka, so a segment holds at most 2 GiB.
 *
 * Appends go through the io backend (one copy into the mapped file); reads return views of it.
 * The segment trusts its caller (Log) to append only validated batches with increasing offsets.
 * Used from one thread; not safe for concurrent mutation.
 */
import { rmSync } from 'node:fs';
import {
  ATTRIBUTES, BASE_OFFSET, BATCH_LENGTH, CONTROL_MASK, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, RECORD_COUNT, RECORDS, readInt64,
} from '../format/batch-header.js';
import { readBatchRecords } from '../format/record-batch.js';
import type { StoredRecord } from '../format/record.js';
import { io, type SegmentFile } from '../io/index.js';
import { logger } from '../logger.js';
import { indexFilePath, logFilePath, timeIndexFilePath, txnIndexFilePath } from './file-names.js';
import { OffsetIndex } from './offset-index.js';
import { RecoveryScan } from './recovery-scan.js';
import { TimeIndex } from './time-index.js';
import { TransactionIndex } from './txn-index.js';

export interface SegmentOptions {
  indexIntervalBytes: number;
  /** Disk to reserve for an active segment's log file. */
  preallocateBytes: number;
}

/** A contiguous byte range of a segment: whole batches, as a view. */
export interface SegmentSlice {
  view: Buffer;
  /** Offset of the first batch in the view. */
  firstOffset: number;
  /** Offset after the last batch in the view. */
  nextOffset: number;
  /**
   * Records in the view's batches, control batches left out (from the headers the read scanned
   * anyway, so counting them never touches the view's pages).
   */
  records: number;
}

/** Result of scanning a segment during recovery. */
export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  problem: string | null;
}

export class Segment {
  private file: SegmentFile;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly txnIndex: TransactionIndex;
  /** Offset after the last record in this segment (== baseOffset when empty). */
  nextOffset: number;
  /** Largest timestamp seen and the offset it belongs to (Kafka's maxTimestampSoFar). */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Timestamp the segment.ms roll clock starts from: wall time of the first append. */
  rollStartMs = -1;
  private bytesSinceIndexEntry = 0;
  private sealed: boolean;
  /**
   * The fsyncs started when this segment was sealed by a roll (its log file, covering the trim,
   * and its indexes), running off the event loop; null for a segment not sealed in this run.
   */
  private sealSync: Promise<void> | null = null;

  private constructor(readonly dir: string, readonly baseOffset: number, file: SegmentFile, private readonly options: SegmentOptions, sealed: boolean) {
    this.file = file;
    this.sealed = sealed;
    this.offsetIndex = new OffsetIndex(indexFilePath(dir, baseOffset), baseOffset);
    this.timeIndex = new TimeIndex(timeIndexFilePath(dir, baseOffset), baseOffset);
    this.txnIndex = new TransactionIndex(txnIndexFilePath(dir, baseOffset));
    this.nextOffset = baseOffset;
  }

  /** A new, empty, active segment. */
  static create(dir: string, baseOffset: number, options: SegmentOptions): Segment {
    const path = logFilePath(dir, baseOffset);
    const file = io.openSegmentFile(path, { preallocate: options.preallocateBytes, size: 0 });
    const segment = new Segment(dir, baseOffset, file, options, false);
    segment.offsetIndex.reset();
    segment.timeIndex.reset();
    return segment;
  }

  /**
   * Open an existing segment. With `recover`, every batch is checked and the indexes rebuilt;
   * otherwise the indexes are trusted and only the tail after the last index entry is read.
   */
  static open(dir: string, baseOffset: number, options: SegmentOptions, active: boolean, recover: boolean): { segment: Segment; recovery: RecoveryResult | null } {
    const path = logFilePath(dir, baseOffset);
    const file = io.openSegmentFile(path, active ? { preallocate: options.preallocateBytes } : { readOnly: !recover });
    const segment = new Segment(dir, baseOffset, file, options, !active);
    if (recover) return { segment, recovery: segment.recover() };
    if (!segment.indexesSane()) {
      // Kafka's sanityCheck: an index that does not fit its log (not synced before a power cut,
      // damaged) is rebuilt from the log rather than trusted.
      logger.warn({ file: path }, `recovery: rebuilding the indexes of ${path}`);
      if (!active) {
        segment.file.close();
        segment.file = io.openSegmentFile(path);
      }
      const recovery = segment.recover();
      return { segment, recovery: recovery.problem === null ? null : recovery };
    }
    segment.loadTail();
    return { segment, recovery: null };
  }

  /**
   * The last offset index entry points inside the log at or after the base offset, and the last
   * time index entry at an offset of this segment (Kafka checks as much of both on load).
   */
  private indexesSane(): boolean {
    const last = this.offsetIndex.last();
    if (last !== null && (last.offset < this.baseOffset || last.position < 0 || last.position + RECORDS > this.file.size)) return false;
    const lastTime = this.timeIndex.last();
    if (lastTime !== null && lastTime.offset < this.baseOffset) return false;
    return true;
  }

  get path(): string {
    return this.file.path;
  }

  /** Bytes of log data. */
  get size(): number {
    return this.file.size;
  }

  get isEmpty(): boolean {
    return this.file.size === 0;
  }

  /** Largest timestamp in the segment, for time retention (-1 when empty). */
  get largestTimestamp(): number {
    return this.maxTimestamp;
  }

  /**
   * Append one or more validated batches (already carrying their final offsets) with one copy.
   * `maxTimestamp`/`offsetOfMaxTimestamp` describe the whole buffer.
   */
  append(batches: Buffer, lastOffset: number, maxTimestamp: number, offsetOfMaxTimestamp: number): void {
    const start = this.file.append([batches]);
    if (this.rollStartMs < 0) this.rollStartMs = Date.now();
    // One index entry per index.interval.bytes, for the batch that crosses the threshold.
    let pos = 0;
    while (pos < batches.length) {
      const size = batches.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
      if (this.bytesSinceIndexEntry > this.options.indexIntervalBytes) {
        const batchLast = readInt64(batches, pos + BASE_OFFSET) + batches.readInt32BE(pos + LAST_OFFSET_DELTA);
        this.offsetIndex.append(batchLast, start + pos);
        this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
        this.bytesSinceIndexEntry = 0;
      }
      this.bytesSinceIndexEntry += size;
      pos += size;
    }
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = offsetOfMaxTimestamp;
    }
    this.nextOffset = lastOffset + 1;
  }

  /** File position of the first batch whose last offset is >= `offset`, or -1 if none. */
  positionOf(offset: number): number {
    const scan = new BatchScan(this.file, this.offsetIndex.lookup(offset).position);
    for (; scan.valid; scan.next()) if (scan.lastOffset >= offset) return scan.pos;
    return -1;
  }

  /**
   * Whole batches starting with the one that holds `offset`, up to `maxBytes` (but always at
   * least one batch, as Kafka does since KIP-74), as one zero-copy view; none starting at or
   * after `maxOffset` (a read_committed fetch stops at the last stable offset). Null if there is
   * nothing to return.
   */
  read(offset: number, maxBytes: number, maxOffset = Infinity): SegmentSlice | null {
    const start = this.positionOf(offset);
    if (start < 0) return null;
    const scan = new BatchScan(this.file, start, maxBytes);
    const firstOffset = scan.baseOffset;
    if (firstOffset >= maxOffset) return null;
    let nextOffset = offset;
    let end = start;
    let records = 0;
    for (; scan.valid; scan.next()) {
      if (scan.baseOffset >= maxOffset) break;
      if (end > start && end + scan.size - start > maxBytes) break;
      nextOffset = scan.lastOffset + 1;
      end = scan.pos + scan.size;
      if (!scan.control) records += scan.recordCount;
    }
    return { view: this.file.view(start, end - start), firstOffset, nextOffset, records };
  }

  /** First record whose timestamp is >= ts (its offset and timestamp), or null if every record is older. */
  offsetForTime(ts: number): { offset: number; timestamp: number } | null {
    if (this.maxTimestamp < ts) return null;
    const from = this.timeIndex.lookup(ts);
    let pos = this.positionOf(from.offset);
    const size = this.file.size;
    while (pos >= 0 && pos < size) {
      const batchSize = this.file.view(pos + BATCH_LENGTH, 4).readInt32BE(0) + LOG_OVERHEAD;
      const batch = this.file.view(pos, batchSize);
      if (readInt64(batch, MAX_TIMESTAMP) >= ts) {
        const records: StoredRecord[] = [];
        readBatchRecords(batch, 0, batchSize, records);
        for (const r of records) if (r.timestamp >= ts) return { offset: r.offset, timestamp: r.timestamp };
      }
      pos += batchSize;
    }
    return null;
  }

  /** Remove batches at and after the one holding `offset`. Returns the new next offset. */
  truncateTo(offset: number): number {
    const pos = this.positionOf(offset);
    if (pos < 0) return this.nextOffset;
    this.ensureWritable();
    this.file.truncate(pos);
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    this.txnIndex.truncateTo(offset);
    // Recompute the tail state from what is left.
    this.loadTail();
    return this.nextOffset;
  }

  /**
   * Check every batch from the start: framing, CRC-32C and offset order. Stops at the first bad
   * batch, truncates the file there and rebuilds both indexes from what remains. The file is read
   * through a bounded window (see recovery-scan.ts), so no view of it is alive when it is
   * truncated and the truncation stays in place (no copy, no fsync).
   */
  recover(windowBytes?: number): RecoveryResult {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    const fileSize = this.file.size;
    const scan = new RecoveryScan(this.file, windowBytes);
    let problem: string | null = null;
    for (; scan.valid; scan.next()) {
      const { pos, size, baseOffset: base, lastOffset: last } = scan;
      if (base < this.nextOffset || last < base) {
        problem = `batch at byte ${pos} has offsets ${base}..${last}, expected at least ${this.nextOffset}`;
        break;
      }
      if (this.bytesSinceIndexEntry > this.options.indexIntervalBytes) {
        this.offsetIndex.append(last, pos);
        this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
        this.bytesSinceIndexEntry = 0;
      }
      this.bytesSinceIndexEntry += size;
      if (scan.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = scan.maxTimestamp;
        this.offsetOfMaxTimestamp = last;
      }
      this.nextOffset = last + 1;
    }
    problem ??= scan.problem;
    const pos = scan.pos;
    const truncatedBytes = fileSize - pos;
    if (truncatedBytes > 0) {
      this.ensureWritable();
      this.file.truncate(pos);
    }
    if (this.sealed) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    return { validBytes: pos, truncatedBytes, problem };
  }

  /**
   * Finish the segment when a newer one becomes active: record the final time index entry (as
   * Kafka's onBecomeInactiveSegment does) and trim the preallocated space.
   */
  seal(): void {
    if (this.sealed) return;
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    // The fdatasyncs run on the flusher thread (the libuv pool on the portable backend): the
    // append that rolled does not wait for them; the log's recovery point waits (see sync()).
    // The indexes are trimmed and synced in the same fsync, as Kafka trims them when a segment
    // becomes inactive; they are reloaded from the file at their next lookup.
    const synced = Promise.all([this.file.closeAndSync('roll'), this.offsetIndex.closeAndSync(), this.timeIndex.closeAndSync(), this.txnIndex.closeAndSync()]).then(() => {});
    synced.catch(() => {}); // reported to whoever waits for it: Log.sync, close, the flush policy
    this.sealSync = synced;
    this.file = io.openSegmentFile(logFilePath(this.dir, this.baseOffset), { readOnly: true });
    this.sealed = true;
  }

  /**
   * Resolves once the log data of this segment is durable: the active file's group commit, or
   * for a segment sealed by a roll the fsyncs started then (which cover its indexes too).
   */
  sync(): Promise<void> {
    if (this.sealSync !== null) return this.sealSync;
    return this.sealed ? RESOLVED : this.file.sync('active');
  }

  /** The indexes written so far durable (the log syncs them on `sync()`, and at roll and close). */
  syncIndexes(): Promise<void> {
    return Promise.all([this.offsetIndex.sync(), this.timeIndex.sync(), this.txnIndex.sync()]).then(() => {});
  }

  close(): void {
    if (!this.sealed && this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.file.close();
    this.offsetIndex.close();
    this.timeIndex.close();
    this.txnIndex.close();
  }

  /**
   * `close()` for a graceful stop: resolves once the log file (with the trim of its
   * preallocation), its indexes and any fsync started at its roll are durable.
   */
  closeDurably(): Promise<void> {
    if (!this.sealed && this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    return Promise.all([
      this.sealSync ?? RESOLVED,
      this.file.closeAndSync(this.sealed ? 'roll' : 'active'),
      this.offsetIndex.closeAndSync(),
      this.timeIndex.closeAndSync(),
      this.txnIndex.closeAndSync(),
    ]).then(() => {});
  }

  /**
   * Close and remove the files. Views handed out earlier stay readable: the native backend keeps
   * a mapping alive until its last view is collected, the portable one hands out copies.
   */
  delete(): void {
    this.close();
    for (const path of [logFilePath(this.dir, this.baseOffset), indexFilePath(this.dir, this.baseOffset), timeIndexFilePath(this.dir, this.baseOffset)]) {
      rmSync(path, { force: true });
    }
    this.txnIndex.delete();
  }

  /** Derive nextOffset and the max timestamp by reading from the last index entry to the end. */
  private loadTail(): void {
    const lastIndex = this.offsetIndex.last();
    const lastTime = this.timeIndex.last();
    this.maxTimestamp = lastTime?.timestamp ?? -1;
    this.offsetOfMaxTimestamp = lastTime?.offset ?? -1;
    this.nextOffset = this.baseOffset;
    this.bytesSinceIndexEntry = 0;
    for (const scan = new BatchScan(this.file, lastIndex?.position ?? 0); scan.valid; scan.next()) {
      if (scan.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = scan.maxTimestamp;
        this.offsetOfMaxTimestamp = scan.lastOffset;
      }
      this.nextOffset = scan.lastOffset + 1;
      this.bytesSinceIndexEntry += scan.size;
    }
  }

  private ensureWritable(): void {
    if (!this.sealed) return;
    this.file.close();
    this.file = io.openSegmentFile(logFilePath(this.dir, this.baseOffset));
  }
}

/**
 * Walks batch headers of a trusted (already validated) file from a position. Headers are copied
 * into one scratch buffer (`copyTo`), a window of several small batches or just the header of a
 * large one, so a scan creates no view or buffer per batch: a fetch's scan costs a few copies of
 * tens of bytes, not a mapped view per batch with its finalizer.
 */
class BatchScan {
  pos: number;
  size = 0;
  baseOffset = -1;
  lastOffset = -1;
  maxTimestamp = -1;
  recordCount = 0;
  control = false;
  valid = false;
  private windowStart = 0;
  private windowLength = 0;

  constructor(private readonly file: SegmentFile, from: number, private readonly windowBytes = SCAN_WINDOW) {
    this.pos = from;
    this.load();
  }

  next(): void {
    this.pos += this.size;
    this.load();
  }

  private load(): void {
    const fileSize = this.file.size;
    if (this.pos + RECORDS > fileSize) {
      this.valid = false;
      return;
    }
    let at = this.pos - this.windowStart;
    if (at < 0 || at + RECORDS > this.windowLength) {
      // After a batch larger than half a window, the next is likely large too: copy its header only.
      const want = this.size > SCAN_WINDOW / 2 ? RECORDS : Math.max(RECORDS, Math.min(this.windowBytes, SCAN_WINDOW));
      this.windowStart = this.pos;
      this.windowLength = Math.min(fileSize - this.pos, want);
      this.file.copyTo(this.pos, SCAN_SCRATCH.subarray(0, this.windowLength));
      at = 0;
    }
    const w = SCAN_SCRATCH;
    this.size = w.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
    if (this.size < RECORDS || this.pos + this.size > fileSize) {
      // Only validated data is scanned; stop rather than loop on bytes that are not a batch.
      this.valid = false;
      return;
    }
    this.baseOffset = readInt64(w, at + BASE_OFFSET);
    this.lastOffset = this.baseOffset + w.readInt32BE(at + LAST_OFFSET_DELTA);
    this.maxTimestamp = readInt64(w, at + MAX_TIMESTAMP);
    this.recordCount = w.readInt32BE(at + RECORD_COUNT);
    this.control = (w.readInt16BE(at + ATTRIBUTES) & CONTROL_MASK) !== 0;
    this.valid = true;
  }
}

const RESOLVED = Promise.resolve();
const SCAN_WINDOW = 16 * 1024;
/** The one buffer every BatchScan copies headers into: a scan runs to its end synchronously, so two never interleave. */
const SCAN_SCRATCH = Buffer.allocUnsafeSlow(SCAN_WINDOW);
