/**
 * A file of fixed-size index entries with an in-memory mirror, shared by OffsetIndex and
 * TimeIndex. The mirror makes lookups plain binary searches over a Buffer on both backends; the
 * file is appended through the io backend so it survives restarts. As in Kafka, a segment's
 * indexes are fsynced with it when it rolls and when the log is synced or closed, so the
 * recovery point and a clean shutdown only ever cover synced indexes; the segments past the
 * recovery point get theirs rebuilt after an unclean shutdown.
 *
 * The mirror is loaded lazily (sealed segments that are never read cost no memory) and grows
 * geometrically.
 */
import { existsSync } from 'node:fs';
import { io, type SegmentFile } from '../io/index.js';

const INITIAL_CAPACITY = 64;
const RESOLVED = Promise.resolve();

export class EntryFile {
  private file: SegmentFile | null = null;
  private mirror: Buffer | null = null;
  private count = 0;
  /** Written through the current file handle: only then is there anything to fsync. */
  private written = false;

  constructor(readonly path: string, readonly entrySize: number) {}

  /** True when the file exists and holds whole entries only. */
  static isSane(path: string, entrySize: number): boolean {
    if (!existsSync(path)) return false;
    const file = io.openSegmentFile(path);
    const ok = file.size % entrySize === 0;
    file.close();
    return ok;
  }

  get entries(): number {
    this.load();
    return this.count;
  }

  /** The mirror, valid for `entries * entrySize` bytes. */
  buffer(): Buffer {
    this.load();
    return this.mirror!;
  }

  append(entry: Buffer): void {
    this.load();
    const need = (this.count + 1) * this.entrySize;
    if (need > this.mirror!.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.mirror!.length * 2));
      this.mirror!.copy(grown, 0, 0, this.count * this.entrySize);
      this.mirror = grown;
    }
    entry.copy(this.mirror!, this.count * this.entrySize);
    this.count++;
    this.openFile().append([entry]);
    this.written = true;
  }

  /** Keep the first `n` entries. */
  truncateEntries(n: number): void {
    this.load();
    if (n >= this.count) return;
    this.count = n;
    this.openFile().truncate(n * this.entrySize);
    this.written = true;
  }

  /** Drop every entry, in memory and on disk (before a rebuild). */
  reset(): void {
    this.count = 0;
    this.mirror = Buffer.allocUnsafe(INITIAL_CAPACITY * this.entrySize);
    const file = this.openFile();
    // A new (empty) file has nothing to sync: its directory entry is synced by whoever created
    // the segment (the log, after a roll or a restart).
    if (file.size > 0) {
      file.truncate(0);
      this.written = true;
    }
  }

  /** Resolves once what was written to the file is durable (at once if nothing was). */
  sync(): Promise<void> {
    return this.written && this.file !== null ? this.file.sync('index') : RESOLVED;
  }

  /** Release the file and the mirror; they are reloaded on next use. */
  close(): void {
    this.file?.close();
    this.file = null;
    this.mirror = null;
    this.written = false;
  }

  /** `close()`, with a promise of the fsync of what was written (off the event loop). */
  closeAndSync(): Promise<void> {
    const file = this.file;
    if (file === null || !this.written) {
      this.close();
      return RESOLVED;
    }
    this.file = null;
    this.mirror = null;
    this.written = false;
    return file.closeAndSync('index');
  }

  private openFile(): SegmentFile {
    // Its directory entry is covered by the log's next directory fsync (a roll's snapshot, a
    // close's): a lost index file is rebuilt, never trusted wrong.
    if (this.file === null) this.file = io.openSegmentFile(this.path, { syncDirectoryOnCreate: false });
    return this.file;
  }

  private load(): void {
    if (this.mirror !== null) return;
    const file = this.openFile();
    const whole = Math.floor(file.size / this.entrySize);
    if (whole * this.entrySize !== file.size) {
      file.truncate(whole * this.entrySize);
      this.written = true;
    }
    this.count = whole;
    this.mirror = Buffer.allocUnsafe(Math.max(INITIAL_CAPACITY, whole) * this.entrySize);
    // A copy, not a view: a live view would make a later truncation (a rebuild's reset) replace the file.
    if (whole > 0) file.copyTo(0, this.mirror.subarray(0, whole * this.entrySize));
  }
}
