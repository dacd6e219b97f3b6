/**
 * File access of the log cleaner's tasks, which run in the pool's threads and read and write
 * segment files with plain `node:fs` calls (never on the event loop): a sequential reader of the
 * batches of a sealed segment through a window (memory stays at about one window, or one batch
 * when a batch is larger), and a buffered writer that reports the position of each batch.
 */
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { CorruptBatchError } from '../errors.js';
import { BATCH_LENGTH, LOG_OVERHEAD, RECORDS } from '../format/batch-header.js';

const WINDOW = 1024 * 1024;

/** Reads the batches of `[0, size)` of a segment file in order. */
export class SegmentBatchReader {
  private fd: number;
  private buf = Buffer.allocUnsafe(WINDOW);
  /** File position of buf[0]. */
  private bufStart = 0;
  private bufEnd = 0;
  private next = 0;
  /** The current batch: `buffer[pos, pos + size)`, at `filePos` in the file. */
  buffer: Buffer = this.buf;
  pos = 0;
  size = 0;
  filePos = 0;

  constructor(readonly path: string, readonly fileSize: number) {
    this.fd = openSync(path, 'r');
  }

  /** Move to the next batch; false at the end of the segment. */
  advance(): boolean {
    const at = this.next;
    if (at >= this.fileSize) return false;
    if (!this.ensure(at, RECORDS)) throw new CorruptBatchError(`${this.path}: truncated batch header at byte ${at}`, at);
    const size = this.buf.readInt32BE(at - this.bufStart + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < RECORDS || at + size > this.fileSize) throw new CorruptBatchError(`${this.path}: batch at byte ${at} has bad length ${size}`, at);
    if (!this.ensure(at, size)) throw new CorruptBatchError(`${this.path}: truncated batch at byte ${at}`, at);
    this.buffer = this.buf;
    this.pos = at - this.bufStart;
    this.size = size;
    this.filePos = at;
    this.next = at + size;
    return true;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Make [at, at + length) present in the window, moving (and growing) it as needed. */
  private ensure(at: number, length: number): boolean {
    if (at >= this.bufStart && at + length <= this.bufEnd) return true;
    const keepFrom = at - this.bufStart;
    const keep = at >= this.bufStart && at < this.bufEnd ? this.bufEnd - at : 0;
    if (length > this.buf.length) {
      const grown = Buffer.allocUnsafe(length);
      if (keep > 0) this.buf.copy(grown, 0, keepFrom, keepFrom + keep);
      this.buf = grown;
    } else if (keep > 0 && keepFrom > 0) {
      this.buf.copy(this.buf, 0, keepFrom, keepFrom + keep);
    }
    this.bufStart = at;
    this.bufEnd = at + keep;
    const want = Math.min(this.buf.length, this.fileSize - at);
    while (this.bufEnd - at < want) {
      const n = readSync(this.fd, this.buf, this.bufEnd - at, want - (this.bufEnd - at), this.bufEnd);
      if (n === 0) break;
      this.bufEnd += n;
    }
    return at + length <= this.bufEnd;
  }
}

/** Appends to a new file through a buffer; `position` is where the next write lands. */
export class BufferedFileWriter {
  private fd: number;
  private buf = Buffer.allocUnsafe(WINDOW);
  private used = 0;
  position = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.flushBuffer();
    if (bytes.length >= this.buf.length) {
      writeAll(this.fd, bytes);
    } else {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.position += bytes.length;
  }

  /** Write what is buffered, fsync and close. */
  finish(): void {
    this.flushBuffer();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Close without syncing (the file is about to be removed). */
  abandon(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private flushBuffer(): void {
    if (this.used > 0) writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
}
