/**
 * What the log cleaner knows about transactions while it walks a log (Kafka's
 * CleanedTransactionMetadata): the aborted transactions of the range (from the segments'
 * `.txnindex`), the transactions whose data it is inside of, and from that, which batches and
 * markers may go:
 *
 * - data of an aborted transaction is discarded (and never enters the offset map, so an aborted
 *   write cannot hide the committed value before it);
 * - an ABORT marker stays while any batch of its transaction was seen in this pass (that batch
 *   goes in this pass; the marker in a later one), and its transaction is then listed in the
 *   cleaned segment's `.txnindex`;
 * - a COMMIT marker stays while any batch of its transaction is still in the log;
 * - a marker that may go is first kept for delete.retention.ms (its batch gets a delete horizon),
 *   like a tombstone.
 *
 * The state is plain data so that it can travel between the tasks of one cleaning pass.
 */
import { ATTRIBUTES, BASE_OFFSET, LAST_OFFSET_DELTA, PRODUCER_ID, RECORD_COUNT, TRANSACTIONAL_MASK, readInt64 } from '../format/batch-header.js';
import { readEndTxnMarker } from '../format/control-record.js';

export interface AbortedTxnInfo {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export interface TxnCleanState {
  /** Aborted transactions not reached yet, by first offset. */
  pending: AbortedTxnInfo[];
  /** Producers whose committed transaction had a batch in this pass and whose marker is still ahead. */
  committed: number[];
  /** Aborted transactions entered (first offset reached), marker still ahead; -1: none of its batches seen. */
  aborted: Array<{ txn: AbortedTxnInfo; lastObservedBatchOffset: number }>;
}

export function emptyTxnState(): TxnCleanState {
  return { pending: [], committed: [], aborted: [] };
}

export class CleanedTransactionMetadata {
  private pending: AbortedTxnInfo[];
  private next = 0;
  private readonly committed: Set<number>;
  private readonly aborted: Map<number, { txn: AbortedTxnInfo; lastObservedBatchOffset: number }>;
  /** Called with an aborted transaction whose marker stays (the cleaned segment's `.txnindex`). */
  onRetainedAbort: ((txn: AbortedTxnInfo) => void) | null = null;

  constructor(state: TxnCleanState = emptyTxnState()) {
    this.pending = [...state.pending];
    this.committed = new Set(state.committed);
    this.aborted = new Map(state.aborted.map((a) => [a.txn.producerId, { ...a }]));
  }

  /** More aborted transactions to consider (those of the next segments). */
  addAborted(txns: readonly AbortedTxnInfo[]): void {
    if (txns.length === 0) return;
    this.pending = [...this.pending.slice(this.next), ...txns].sort((a, b) => a.firstOffset - b.firstOffset);
    this.next = 0;
  }

  state(): TxnCleanState {
    return { pending: this.pending.slice(this.next), committed: [...this.committed], aborted: [...this.aborted.values()].map((a) => ({ ...a })) };
  }

  /** A data batch at `pos`: true when it belongs to an aborted transaction (it may be discarded). */
  onBatchRead(buf: Buffer, pos: number): boolean {
    const lastOffset = readInt64(buf, pos + BASE_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA);
    this.consumeAbortedUpTo(lastOffset);
    if ((buf.readInt16BE(pos + ATTRIBUTES) & TRANSACTIONAL_MASK) === 0) return false;
    const producerId = readInt64(buf, pos + PRODUCER_ID);
    const aborted = this.aborted.get(producerId);
    if (aborted !== undefined) {
      aborted.lastObservedBatchOffset = lastOffset;
      return true;
    }
    this.committed.add(producerId);
    return false;
  }

  /** A control batch at `pos`: true when it may be discarded (once its delete horizon has passed). */
  onControlBatchRead(buf: Buffer, pos: number): boolean {
    this.consumeAbortedUpTo(readInt64(buf, pos + BASE_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA));
    // An empty control batch was emptied by an earlier cleaning: it may go.
    if (buf.readInt32BE(pos + RECORD_COUNT) === 0) return true;
    const marker = readEndTxnMarker(buf, pos);
    if (marker === null) return false; // another control record type: kept
    const producerId = readInt64(buf, pos + PRODUCER_ID);
    if (!marker.commit) {
      const aborted = this.aborted.get(producerId);
      this.aborted.delete(producerId);
      if (aborted !== undefined && aborted.lastObservedBatchOffset >= 0) {
        // Batches of the transaction were seen in this pass: the marker stays until a later one.
        this.onRetainedAbort?.(aborted.txn);
        return false;
      }
      return true;
    }
    // Discardable only if no batch of the transaction is left in the log.
    return !this.committed.delete(producerId);
  }

  private consumeAbortedUpTo(offset: number): void {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= offset) {
      const txn = this.pending[this.next++]!;
      if (!this.aborted.has(txn.producerId)) this.aborted.set(txn.producerId, { txn, lastObservedBatchOffset: -1 });
    }
  }
}
