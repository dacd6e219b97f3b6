/**
 * Aborted-transaction index of one segment, Kafka's `.txnindex` format: 34-byte entries
 *
 *   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
 *
 * one per ABORT marker appended to the segment, in marker order (so lastOffset increases).
 * `firstOffset` is the first offset the transaction wrote to the partition, `lastOffset` the
 * marker's, and `lastStableOffset` the partition's LSO right after the abort. A read_committed
 * fetch asks for the entries overlapping the range it returns, so the client can drop the
 * aborted records (Kafka's TransactionIndex.collectAbortedTxns).
 *
 * As in Kafka the file exists only once a segment has an aborted transaction. Like the other
 * indexes it is fsynced with its segment (roll, sync, close) and rebuilt from the log by recovery.
 */
import { existsSync, rmSync } from 'node:fs';
import { readInt64, writeInt64 } from '../format/batch-header.js';
import { EntryFile } from './entry-file.js';

export const TXN_INDEX_ENTRY = 34;
const VERSION = 0;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export class TransactionIndex {
  private readonly entries: EntryFile;
  /** Whether the file may exist: checked once, then kept up to date by append and delete. */
  private present: boolean | null = null;

  constructor(readonly path: string) {
    this.entries = new EntryFile(path, TXN_INDEX_ENTRY);
  }

  get size(): number {
    return this.exists() ? this.entries.entries : 0;
  }

  append(txn: AbortedTxn): void {
    const e = Buffer.alloc(TXN_INDEX_ENTRY);
    e.writeInt16BE(VERSION, 0);
    writeInt64(e, 2, txn.producerId);
    writeInt64(e, 10, txn.firstOffset);
    writeInt64(e, 18, txn.lastOffset);
    writeInt64(e, 26, txn.lastStableOffset);
    this.present = true;
    this.entries.append(e);
  }

  entryAt(i: number): AbortedTxn {
    const buf = this.entries.buffer();
    const p = i * TXN_INDEX_ENTRY;
    return { producerId: readInt64(buf, p + 2), firstOffset: readInt64(buf, p + 10), lastOffset: readInt64(buf, p + 18), lastStableOffset: readInt64(buf, p + 26) };
  }

  all(): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.entryAt(i));
    return out;
  }

  /**
   * Push the transactions that overlap [fetchOffset, upperBoundOffset) to `out`. Returns true
   * when the search is complete: an entry's LSO reaches the upper bound, so no later segment can
   * hold an aborted transaction that started before it.
   */
  collect(fetchOffset: number, upperBoundOffset: number, out: AbortedTxn[]): boolean {
    const n = this.size;
    for (let i = 0; i < n; i++) {
      const t = this.entryAt(i);
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) out.push(t);
      if (t.lastStableOffset >= upperBoundOffset) return true;
    }
    return false;
  }

  /** Drop the entries whose marker is at or after `offset` (the log was truncated there). */
  truncateTo(offset: number): void {
    const n = this.size;
    let keep = n;
    while (keep > 0 && this.entryAt(keep - 1).lastOffset >= offset) keep--;
    if (keep < n) this.entries.truncateEntries(keep);
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

  delete(): void {
    this.close();
    rmSync(this.path, { force: true });
    this.present = false;
  }

  private exists(): boolean {
    this.present ??= existsSync(this.path);
    return this.present;
  }
}
