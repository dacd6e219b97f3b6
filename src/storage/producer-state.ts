/**
 * Idempotent-producer state of one partition (Kafka's ProducerStateManager): for each producer
 * id, its epoch and the sequence and offset ranges of its last five batches. A retried batch
 * (same epoch and sequence range as one of them) is recognised and answered with its original
 * offsets instead of being written twice; a gap in sequence numbers or a stale epoch is refused
 * with Kafka's error codes.
 *
 * Snapshot files (`<offset>.snapshot` in the partition directory, Kafka's layout) hold the state
 * as of that offset, so a restart only re-reads the batches after the newest snapshot:
 *
 *   version int16 (1) | crc uint32 (CRC-32C of what follows) | count int32 |
 *   count x { producerId int64, epoch int16, lastSequence int32, lastOffset int64,
 *             offsetDelta int32, timestamp int64, coordinatorEpoch int32, currentTxnFirstOffset int64 }
 *
 * As in Kafka, a snapshot keeps only the last batch of each producer; older cached batches
 * are rebuilt from the log when the scan after the snapshot passes them.
 *
 * Transactions: a producer's first transactional batch opens its transaction in this partition
 * (currentTxnFirstOffset); a COMMIT or ABORT marker from the coordinator closes it. The earliest
 * first offset of the open transactions is the partition's first unstable offset, which bounds
 * the last stable offset (LSO) that read_committed consumers may read up to.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaErrorCode, StrandError } from '../errors.js';
import { readInt64, writeInt64 } from '../format/batch-header.js';
import { crc32c, io } from '../io/index.js';
import { logger } from '../logger.js';
import { offsetFileStem } from './file-names.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
const CACHED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;
const ENTRY_BYTES = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

/** A produced batch refused for its producer id, epoch or sequence. */
export class ProducerSequenceError extends StrandError {
  constructor(message: string, code: KafkaErrorCode) {
    super(message, 'ERR_STRAND_PRODUCER_SEQUENCE', code);
  }
}

interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

export interface ProducerEntry {
  producerId: number;
  epoch: number;
  /** Oldest first, at most five. */
  batches: BatchMetadata[];
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnFirstOffset: number;
}

/** A transaction closed by a marker in this partition (Kafka's CompletedTxn). */
export interface CompletedTxn {
  producerId: number;
  /** First offset the transaction wrote here; the marker's own offset if it wrote nothing. */
  firstOffset: number;
  /** Offset of the marker. */
  lastOffset: number;
  aborted: boolean;
}

/** What to do with a produced batch. */
export type SequenceDecision =
  | { kind: 'append' }
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number };

function nextSequence(seq: number): number {
  return seq === INT32_MAX ? 0 : seq + 1;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Open transactions: producer id -> first offset, in increasing first offset (insertion) order. */
  private readonly ongoing = new Map<number, number>();

  /** Snapshot writes not finished yet, and the last of them (they run one after another). */
  private readonly writing = new Set<{ offset: number; cancelled: boolean }>();
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string, private readonly name: string) {}

  get size(): number {
    return this.producers.size;
  }

  entries(): IterableIterator<ProducerEntry> {
    return this.producers.values();
  }

  get(producerId: number): ProducerEntry | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Decide about a batch before it is appended (Kafka's ProducerAppendInfo.checkSequence and
   * checkProducerEpoch). Throws ProducerSequenceError for a batch that must be refused.
   */
  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number): SequenceDecision {
    const entry = this.producers.get(producerId);
    if (entry === undefined) {
      if (firstSeq !== 0) {
        throw new ProducerSequenceError(`${this.name}: no state for producer ${producerId} and its batch starts at sequence ${firstSeq}, not 0`, KafkaErrorCode.UNKNOWN_PRODUCER_ID);
      }
      return { kind: 'append' };
    }
    if (epoch < entry.epoch) {
      throw new ProducerSequenceError(`${this.name}: producer ${producerId} epoch ${epoch} is older than the current epoch ${entry.epoch}`, KafkaErrorCode.INVALID_PRODUCER_EPOCH);
    }
    if (epoch === entry.epoch) {
      for (const b of entry.batches) {
        if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset };
      }
      const last = entry.batches[entry.batches.length - 1];
      const expected = last === undefined ? 0 : nextSequence(last.lastSeq);
      if (firstSeq !== expected) {
        throw new ProducerSequenceError(`${this.name}: producer ${producerId} epoch ${epoch} sent sequence ${firstSeq}, expected ${expected}`, KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      }
      return { kind: 'append' };
    }
    // A new epoch starts its sequences again at 0.
    if (firstSeq !== 0) {
      throw new ProducerSequenceError(`${this.name}: producer ${producerId} new epoch ${epoch} must start at sequence 0, got ${firstSeq}`, KafkaErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    }
    return { kind: 'append' };
  }

  /**
   * Epoch check only, for batches a coordinator writes on a producer's behalf (transactional
   * offset commits): Kafka checks sequences of client batches only.
   */
  checkEpoch(producerId: number, epoch: number): void {
    const entry = this.producers.get(producerId);
    if (entry !== undefined && epoch < entry.epoch) {
      throw new ProducerSequenceError(`${this.name}: producer ${producerId} epoch ${epoch} is older than the current epoch ${entry.epoch}`, KafkaErrorCode.INVALID_PRODUCER_EPOCH);
    }
  }

  /**
   * Check a transaction marker before it is appended (Kafka's ProducerAppendInfo for control
   * batches): a marker older than the producer's epoch, or from an older coordinator, is refused.
   */
  checkMarker(producerId: number, epoch: number, coordinatorEpoch: number): void {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return;
    if (epoch < entry.epoch) {
      throw new ProducerSequenceError(`${this.name}: transaction marker for producer ${producerId} has epoch ${epoch}, older than the current epoch ${entry.epoch}`, KafkaErrorCode.INVALID_PRODUCER_EPOCH);
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      throw new ProducerSequenceError(`${this.name}: transaction marker for producer ${producerId} comes from coordinator epoch ${coordinatorEpoch}, older than ${entry.coordinatorEpoch}`, KafkaErrorCode.TRANSACTION_COORDINATOR_FENCED);
    }
  }

  /**
   * Record a batch that was appended (or found while scanning the log). A transactional batch
   * opens the producer's transaction in this partition if none is open.
   */
  update(producerId: number, epoch: number, firstSeq: number, lastSeq: number, firstOffset: number, lastOffset: number, timestamp: number, transactional = false): void {
    let entry = this.producers.get(producerId);
    if (entry === undefined) {
      entry = { producerId, epoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.producers.set(producerId, entry);
    }
    if (epoch !== entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
    }
    entry.batches.push({ firstSeq, lastSeq, firstOffset, lastOffset, timestamp });
    if (entry.batches.length > CACHED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = timestamp;
    if (transactional && entry.currentTxnFirstOffset < 0) {
      entry.currentTxnFirstOffset = firstOffset;
      this.ongoing.set(producerId, firstOffset);
    }
  }

  /**
   * Record a COMMIT or ABORT marker at `offset`: the producer's open transaction here (if any)
   * is closed, its epoch moves up to the marker's. Returns the completed transaction.
   */
  completeTxn(producerId: number, epoch: number, offset: number, commit: boolean, coordinatorEpoch: number, timestamp: number): CompletedTxn {
    this.bumpEpoch(producerId, epoch, timestamp);
    const entry = this.producers.get(producerId)!;
    const firstOffset = entry.currentTxnFirstOffset >= 0 ? entry.currentTxnFirstOffset : offset;
    entry.currentTxnFirstOffset = -1;
    entry.coordinatorEpoch = coordinatorEpoch;
    entry.lastTimestamp = timestamp;
    this.ongoing.delete(producerId);
    return { producerId, firstOffset, lastOffset: offset, aborted: !commit };
  }

  /** First offset of the earliest open transaction, or null if none is open. */
  firstUnstableOffset(): number | null {
    for (const first of this.ongoing.values()) return first;
    return null;
  }

  /** Open transactions: producer id and first offset, earliest first. */
  ongoingTransactions(): Array<{ producerId: number; firstOffset: number }> {
    return [...this.ongoing].map(([producerId, firstOffset]) => ({ producerId, firstOffset }));
  }

  /** Set a producer's epoch without a batch (an epoch bump, or a control batch). */
  bumpEpoch(producerId: number, epoch: number, timestamp: number): void {
    const entry = this.producers.get(producerId);
    if (entry === undefined) {
      this.producers.set(producerId, { producerId, epoch, batches: [], lastTimestamp: timestamp, coordinatorEpoch: -1, currentTxnFirstOffset: -1 });
    } else if (epoch > entry.epoch) {
      entry.epoch = epoch;
      entry.batches = [];
      entry.lastTimestamp = timestamp;
    }
  }

  /** Forget producers idle for longer than `expirationMs` (producer.id.expiration.ms). */
  expire(now: number, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (now - e.lastTimestamp > expirationMs && e.currentTxnFirstOffset < 0) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.producers.clear();
    this.ongoing.clear();
  }

  /**
   * Write `<offset>.snapshot` with the state as of now, off the event loop: the bytes are taken
   * here, then written to a temp file, fsynced, renamed into place and the directory fsynced
   * (io.writeFileAtomic). Never rejects: a snapshot only shortens the scan of the next open
   * (without it the state is rebuilt from an older one and the log), so a failure is logged,
   * and a partition directory removed meanwhile (the partition was deleted) is no failure at all.
   * Writes are applied in call order; `deleteSnapshots` cancels those it covers.
   */
  writeSnapshot(offset: number): Promise<void> {
    const body = Buffer.alloc(4 + this.producers.size * ENTRY_BYTES);
    body.writeInt32BE(this.producers.size, 0);
    let pos = 4;
    for (const e of this.producers.values()) {
      const last = e.batches[e.batches.length - 1];
      writeInt64(body, pos, e.producerId);
      body.writeInt16BE(e.epoch, pos + 8);
      body.writeInt32BE(last?.lastSeq ?? -1, pos + 10);
      writeInt64(body, pos + 14, last?.lastOffset ?? -1);
      body.writeInt32BE(last === undefined ? 0 : last.lastOffset - last.firstOffset, pos + 22);
      writeInt64(body, pos + 26, e.lastTimestamp);
      body.writeInt32BE(e.coordinatorEpoch, pos + 34);
      writeInt64(body, pos + 38, e.currentTxnFirstOffset);
      pos += ENTRY_BYTES;
    }
    const file = Buffer.alloc(6 + body.length);
    file.writeInt16BE(1, 0);
    file.writeUInt32BE(crc32c(body), 2);
    body.copy(file, 6);
    const path = snapshotPath(this.dir, offset);
    const write = { offset, cancelled: false };
    this.writing.add(write);
    const done = this.lastWrite.then(async () => {
      if (write.cancelled) return;
      try {
        await io.writeFileAtomic(path, file, 'snapshot');
        // Cancelled while it was being written: the snapshot describes offsets that are gone.
        if (write.cancelled) await rm(path, { force: true });
      } catch (err) {
        if (!existsSync(this.dir)) return; // the partition was deleted under the write
        logger.warn({ file: path, err }, `producer state: could not write snapshot ${path}`);
      }
    }).finally(() => this.writing.delete(write));
    this.lastWrite = done;
    return done;
  }

  /**
   * Load the newest snapshot at or below `maxOffset`; returns its offset, or -1 if none is
   * usable (a damaged one is deleted with a warning and the next older one tried).
   */
  loadSnapshot(maxOffset: number): number {
    this.clear();
    for (const offset of listSnapshots(this.dir).reverse()) {
      if (offset > maxOffset) continue;
      const path = snapshotPath(this.dir, offset);
      try {
        const buf = readFileSync(path);
        const body = buf.subarray(6);
        if (buf.length < 10 || buf.readInt16BE(0) !== 1 || buf.readUInt32BE(2) !== crc32c(body)) throw new Error('bad version or CRC');
        const count = body.readInt32BE(0);
        if (count < 0 || body.length !== 4 + count * ENTRY_BYTES) throw new Error('bad length');
        for (let i = 0, pos = 4; i < count; i++, pos += ENTRY_BYTES) {
          const producerId = readInt64(body, pos);
          const lastSeq = body.readInt32BE(pos + 10);
          const lastOffset = readInt64(body, pos + 14);
          const delta = body.readInt32BE(pos + 22);
          const entry: ProducerEntry = { producerId, epoch: body.readInt16BE(pos + 8), batches: [], lastTimestamp: readInt64(body, pos + 26), coordinatorEpoch: body.readInt32BE(pos + 34), currentTxnFirstOffset: readInt64(body, pos + 38) };
          if (lastSeq >= 0) entry.batches.push({ firstSeq: Math.max(0, lastSeq - delta), lastSeq, firstOffset: lastOffset - delta, lastOffset, timestamp: entry.lastTimestamp });
          this.producers.set(producerId, entry);
        }
        const open = [...this.producers.values()].filter((e) => e.currentTxnFirstOffset >= 0).sort((a, b) => a.currentTxnFirstOffset - b.currentTxnFirstOffset);
        for (const e of open) this.ongoing.set(e.producerId, e.currentTxnFirstOffset);
        return offset;
      } catch (err) {
        logger.warn({ file: path, reason: (err as Error).message }, `producer state: ignoring damaged snapshot ${path}`);
        this.clear();
        rmSync(path, { force: true });
      }
    }
    return -1;
  }

  /** Delete the snapshots whose offset passes `test`, written or being written. */
  deleteSnapshots(test: (offset: number) => boolean): void {
    for (const w of this.writing) if (test(w.offset)) w.cancelled = true;
    for (const offset of listSnapshots(this.dir)) if (test(offset)) rmSync(snapshotPath(this.dir, offset), { force: true });
  }
}

export function snapshotPath(dir: string, offset: number): string {
  return join(dir, offsetFileStem(offset) + SNAPSHOT_SUFFIX);
}

/** Offsets of the snapshot files in `dir`, ascending. */
export function listSnapshots(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(SNAPSHOT_SUFFIX) && /^\d{20}\.snapshot$/.test(f))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b);
}
