/**
 * Sparse time index of one segment, Kafka's `.timeindex` format: 12-byte entries
 * (timestamp int64, relative offset int32). Entries are added only when the segment's max
 * timestamp grows, so timestamps are strictly increasing; `lookup(ts)` finds the last entry with
 * timestamp <= ts, from which the log is scanned for the first record at or after ts.
 */
import { readInt64, writeInt64 } from '../format/batch-header.js';
import { EntryFile } from './entry-file.js';

export const TIME_INDEX_ENTRY = 12;

export interface TimeEntry {
  timestamp: number;
  offset: number;
}

export class TimeIndex {
  private readonly entries: EntryFile;
  private readonly scratch = Buffer.alloc(TIME_INDEX_ENTRY);
  /**
   * The last entry's timestamp, kept so `maybeAppend` (once per index.interval.bytes of every
   * append) reads no entry back: -Infinity with no entry, undefined until first needed (the
   * entries load lazily).
   */
  private lastTimestamp: number | undefined;

  constructor(path: string, readonly baseOffset: number) {
    this.entries = new EntryFile(path, TIME_INDEX_ENTRY);
  }

  get size(): number {
    return this.entries.entries;
  }

  last(): TimeEntry | null {
    const n = this.entries.entries;
    return n === 0 ? null : this.entryAt(n - 1);
  }

  entryAt(i: number): TimeEntry {
    const buf = this.entries.buffer();
    return { timestamp: readInt64(buf, i * 12), offset: this.baseOffset + buf.readInt32BE(i * 12 + 8) };
  }

  /** Add an entry if `timestamp` is above the last one (Kafka's `maybeAppend`). */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.lastTimestamp ?? this.readLastTimestamp();
    if (timestamp <= last) return;
    writeInt64(this.scratch, 0, timestamp);
    this.scratch.writeInt32BE(offset - this.baseOffset, 8);
    this.entries.append(this.scratch);
    this.lastTimestamp = timestamp;
  }

  private readLastTimestamp(): number {
    const n = this.entries.entries;
    return (this.lastTimestamp = n === 0 ? -Infinity : readInt64(this.entries.buffer(), (n - 1) * TIME_INDEX_ENTRY));
  }

  /** Last entry with timestamp <= ts, or the segment start. */
  lookup(ts: number): TimeEntry {
    let lo = 0;
    let hi = this.entries.entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entryAt(mid).timestamp <= ts) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entryAt(found);
  }

  truncateTo(offset: number): void {
    let n = this.entries.entries;
    while (n > 0 && this.entryAt(n - 1).offset >= offset) n--;
    this.entries.truncateEntries(n);
    this.lastTimestamp = undefined;
  }

  reset(): void {
    this.entries.reset();
    this.lastTimestamp = undefined;
  }

  close(): void {
    this.entries.close();
  }

  /** Resolves once the entries written so far are durable. */
  sync(): Promise<void> {
    return this.entries.sync();
  }

  /** Close, with a promise of the fsync of what was written. */
  closeAndSync(): Promise<void> {
    return this.entries.closeAndSync();
  }
}
