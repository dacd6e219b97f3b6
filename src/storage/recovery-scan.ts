/**
 * The batch-by-batch check recovery runs over a segment's log file after an unclean shutdown:
 * framing, magic, CRC-32C and record count of every batch from the start, stopping at the first
 * bad one, and whether what follows the last good batch is only preallocated zeros.
 *
 * The file is read through one bounded window filled by `SegmentFile.copyTo`, never through a
 * view: a native view pins the bytes it covers (they must never change under a response in
 * flight), so truncating the torn or preallocated tail under a view of the whole file took the
 * backend's replace-file path, a copy of the segment and an fdatasync per partition. A batch
 * larger than the window is checked in window-sized pieces, its CRC-32C carried from one piece to
 * the next, so memory stays one window whatever a batch's length field claims. The zero tail is
 * checked by the native backend's `zeroFrom` (which asks the file system where data lies, so a
 * never-written preallocated tail is not read at all), else by memcmp of window-sized copies.
 *
 * Used from one thread; a scan runs to its end synchronously, so scans share one window.
 */
import { ATTRIBUTES, BASE_OFFSET, CURRENT_MAGIC, LAST_OFFSET_DELTA, MAGIC, MAX_TIMESTAMP, RECORDS, readInt64 } from '../format/batch-header.js';
import { batchSizeAt, checkBatch, checkBatchHeader, type BatchProblem } from '../format/record-batch.js';
import { crc32c, type SegmentFile } from '../io/index.js';
import { InvalidArgumentError } from '../errors.js';

/** Bytes copied from the file at a time at most: large enough that a copy costs little per batch. */
export const RECOVERY_WINDOW = 1024 * 1024;
/**
 * The first copy of a scan is this small and each next one twice the last: a crashed active
 * segment is mostly preallocated zeros after a little data, and copying a whole window of them
 * would read (and fault into the page cache) what the zero check can skip.
 */
const FIRST_FILL = 64 * 1024;
/** The preallocated tail is compared with this many zeros at a time (memcmp, not a JS loop). */
const ZERO_CHUNK = 64 * 1024;
const ZEROS = Buffer.alloc(ZERO_CHUNK);

let sharedWindow: Buffer | null = null;

/**
 * Walks the batches of a segment file from its start. While `valid`, the fields describe a batch
 * that passed `checkBatch`; the caller checks offset order and moves on with `next()`. Once not
 * valid, `pos` is where the good bytes end and `problem` says why the scan stopped there (null at
 * the end of the file or at preallocated zeros).
 */
export class RecoveryScan {
  pos = 0;
  size = 0;
  baseOffset = -1;
  lastOffset = -1;
  maxTimestamp = -1;
  valid = false;
  problem: BatchProblem = null;
  private readonly window: Buffer;
  private readonly header = Buffer.allocUnsafe(RECORDS);
  private readonly fileSize: number;
  private windowStart = 0;
  private windowLength = 0;
  private fillBytes = FIRST_FILL;

  constructor(private readonly file: SegmentFile, windowBytes = RECOVERY_WINDOW) {
    if (!Number.isInteger(windowBytes) || windowBytes < RECORDS) throw new InvalidArgumentError(`recovery window must be an integer of at least ${RECORDS} bytes, got ${windowBytes}`);
    this.window = windowBytes === RECOVERY_WINDOW ? (sharedWindow ??= Buffer.allocUnsafeSlow(RECOVERY_WINDOW)) : Buffer.allocUnsafeSlow(windowBytes);
    this.fileSize = file.size;
    // An empty active segment (most of a broker's, after a roll or on an idle partition) is only
    // preallocated space: a backend that can tell without reading it is asked first, since any
    // read makes the kernel read ahead and cache the zeros the check would skip.
    if (this.fileSize > 0 && file.zeroFrom?.(0) === true) return;
    this.load();
  }

  next(): void {
    this.pos += this.size;
    this.load();
  }

  private load(): void {
    this.valid = false;
    const pos = this.pos;
    const remaining = this.fileSize - pos;
    if (remaining <= 0) return;
    let at = this.ensure(pos, Math.min(RECORDS, remaining));
    // The length is checked against the rest of the file, not the window: batchSizeAt reads only
    // the header.
    const size = batchSizeAt(this.window, at, at + remaining);
    if (size < 0) {
      // A zero length is preallocated space, not corruption; anything else is a torn write.
      this.problem = this.zerosFrom(pos) ? null : `bad batch length at byte ${pos}`;
      return;
    }
    let source: Buffer;
    let bad: BatchProblem;
    if (size <= this.window.length) {
      at = this.ensure(pos, size);
      source = this.window;
      bad = checkBatch(source, at, size);
    } else {
      this.window.copy(this.header, 0, at, at + RECORDS);
      source = this.header;
      at = 0;
      // The magic first: a torn header's length can claim the rest of the file.
      bad = checkBatchHeader(source, 0, source[MAGIC] === CURRENT_MAGIC ? this.crcOf(pos + ATTRIBUTES, pos + size) : 0);
    }
    if (bad !== null) {
      this.problem = `${bad} at byte ${pos}`;
      return;
    }
    this.size = size;
    this.baseOffset = readInt64(source, at + BASE_OFFSET);
    this.lastOffset = this.baseOffset + source.readInt32BE(at + LAST_OFFSET_DELTA);
    this.maxTimestamp = readInt64(source, at + MAX_TIMESTAMP);
    this.valid = true;
  }

  /** Index in the window of file position `position`, after copying [position, +length) in if needed. */
  private ensure(position: number, length: number): number {
    const at = position - this.windowStart;
    if (at >= 0 && at + length <= this.windowLength) return at;
    this.fill(position, Math.min(Math.max(length, this.fillBytes), this.window.length, this.fileSize - position));
    this.fillBytes = Math.min(2 * this.fillBytes, this.window.length);
    return 0;
  }

  private fill(position: number, length: number): void {
    this.windowStart = position;
    this.windowLength = length;
    this.file.copyTo(position, this.window.subarray(0, length));
  }

  /** CRC-32C of file bytes [from, to), a window at a time. */
  private crcOf(from: number, to: number): number {
    let crc = 0;
    for (let p = from; p < to; p += this.windowLength) {
      this.fill(p, Math.min(this.window.length, to - p));
      crc = crc32c(this.window.subarray(0, this.windowLength), crc);
    }
    return crc;
  }

  /**
   * Whether file bytes [from, end of file) are all zero: the backend's own check where it has one
   * (the native one skips never-written preallocated space without reading it), else what is in
   * the window, then a window at a time.
   */
  private zerosFrom(from: number): boolean {
    if (this.file.zeroFrom !== undefined) return this.file.zeroFrom(from);
    for (let p = from; p < this.fileSize;) {
      const at = this.ensure(p, 1);
      const end = this.windowLength;
      for (let i = at; i < end; i += ZERO_CHUNK) {
        const n = Math.min(ZERO_CHUNK, end - i);
        if (!this.window.subarray(i, i + n).equals(n === ZERO_CHUNK ? ZEROS : ZEROS.subarray(0, n))) return false;
      }
      p += end - at;
    }
    return true;
  }
}
