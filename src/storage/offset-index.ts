/**
 * Sparse offset index of one segment, Kafka's `.index` format: 8-byte entries
 * (relative offset int32 = offset - baseOffset, file position int32), in increasing order.
 * One entry is added per `index.interval.bytes` of log, for the last offset of the batch that
 * starts at that position, exactly as Kafka's LogSegment does. `lookup(target)` finds the last
 * entry at or below `target`; the caller scans the log forward from its position.
 */
import { EntryFile } from './entry-file.js';

export const OFFSET_INDEX_ENTRY = 8;

export interface IndexEntry {
  offset: number;
  position: number;
}

export class OffsetIndex {
  private readonly entries: EntryFile;
  private readonly scratch = Buffer.alloc(OFFSET_INDEX_ENTRY);

  constructor(path: string, readonly baseOffset: number) {
    this.entries = new EntryFile(path, OFFSET_INDEX_ENTRY);
  }

  get size(): number {
    return this.entries.entries;
  }

  /** Last entry, or null. */
  last(): IndexEntry | null {
    const n = this.entries.entries;
    return n === 0 ? null : this.entryAt(n - 1);
  }

  entryAt(i: number): IndexEntry {
    const buf = this.entries.buffer();
    return { offset: this.baseOffset + buf.readInt32BE(i * 8), position: buf.readInt32BE(i * 8 + 4) };
  }

  append(offset: number, position: number): void {
    this.scratch.writeInt32BE(offset - this.baseOffset, 0);
    this.scratch.writeInt32BE(position, 4);
    this.entries.append(this.scratch);
  }

  /** Position to start scanning for `target`: the last entry at or below it, else the start. */
  lookup(target: number): IndexEntry {
    const buf = this.entries.buffer();
    const rel = target - this.baseOffset;
    let lo = 0;
    let hi = this.entries.entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (buf.readInt32BE(mid * 8) <= rel) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(found);
  }

  /** Drop entries for offsets at or above `offset`. */
  truncateTo(offset: number): void {
    const buf = this.entries.buffer();
    let n = this.entries.entries;
    while (n > 0 && this.baseOffset + buf.readInt32BE((n - 1) * 8) >= offset) n--;
    this.entries.truncateEntries(n);
  }

  reset(): void {
    this.entries.reset();
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
