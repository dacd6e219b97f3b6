/**
 * One partition's log: an ordered list of segments, the last of which is active. Assigns
 * offsets by rewriting each batch's baseOffset in place (the v2 CRC does not cover it), rolls
 * segments on size and age, serves reads as zero-copy views, recovers after a crash, applies
 * retention in whole segments, and makes appends durable according to its flush policy, with
 * concurrent appends sharing one fsync (group commit).
 *
 * Offsets:  startOffset <= recoveryPoint <= endOffset. The recovery point is the offset below
 * which everything is known to be on disk; an unclean open scans only the segments from the one
 * holding it.
 *
 * Replication (Kafka's UnifiedLog): a leader-epoch cache (`leader-epoch-checkpoint`, see
 * leader-epoch-cache.ts) records where each leader epoch began, learnt from the
 * partitionLeaderEpoch of every appended batch; `assignLeaderEpoch` makes this log the leader's
 * (its appends are stamped with the epoch), `appendAsFollower` appends a leader's batches
 * verbatim, and `truncateTo` / `truncateFullyAndStartAt` make a follower's log agree with its
 * leader's. The high watermark is kept here and moved by the caller (the replica manager), never
 * by an append: startOffset <= highWatermark <= endOffset.
 *
 * Transactions: producer state tracks each producer's open transaction; the last stable
 * offset (LSO) is the first offset of the earliest open one, else the end of the log. A
 * coordinator ends a transaction with `appendControl` (a COMMIT or ABORT marker); an ABORT adds
 * an entry to the segment's `.txnindex`, which `abortedTransactions` searches for a
 * read_committed fetch.
 *
 * Used from one JS thread. Appends are applied synchronously in call order; only the wait for
 * durability is asynchronous.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ClosedError, InvalidArgumentError, InvalidRecordError, OffsetOutOfRangeError, RecordTooLargeError } from '../errors.js';
import {
  ATTRIBUTES, BASE_OFFSET, BASE_SEQUENCE, BATCH_LENGTH, CONTROL_MASK, LAST_OFFSET_DELTA, LOG_OVERHEAD, MAX_TIMESTAMP, PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH, PRODUCER_ID, TRANSACTIONAL_MASK, readInt64, writeInt64,
} from '../format/batch-header.js';
import { encodeEndTxnMarker, readEndTxnMarker } from '../format/control-record.js';
import { encodeBatch, isControlBatch, readBatchRecords, validateBatches } from '../format/record-batch.js';
import type { RecordInput, StoredRecord } from '../format/record.js';
import { io } from '../io/index.js';
import { logger } from '../logger.js';
import { type CompactOptions, type CompactResult, cleanLog } from './cleaner/clean-log.js';
import { recoverInterruptedClean } from './cleaner/swap.js';
import { parseLogFileName } from './file-names.js';
import { checkRecordKeys, keysRequired } from './append-rules.js';
import { OrderedAppends, encodeForAppend, needsBatchWork, prepareBatchForAppend, storedCodec } from './log-compression.js';
import { type LogConfig, resolveLogConfig } from './log-config.js';
import { batchSize, checkFollowerBatches } from './follower-batches.js';
import { type EpochEndOffset, type EpochEntry, LeaderEpochCache } from './leader-epoch-cache.js';
import { ProducerStateManager } from './producer-state.js';
import { Segment, type SegmentSlice } from './segment.js';
import type { AbortedTxn } from './txn-index.js';

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The batch was a retry of one already in the log (same producer, epoch and sequences): nothing was written and the offsets are the original ones. */
  duplicate?: boolean;
}

export interface AppendOptions {
  /**
   * Written by a coordinator on a producer's behalf (transactional offset commits): the
   * producer's epoch is checked, its sequence numbers are not (Kafka's AppendOrigin.COORDINATOR).
   */
  coordinator?: boolean;
}

export interface ReadResult {
  records: StoredRecord[];
  /** Offset to read from next. */
  nextOffset: number;
}

export interface LogLoadState {
  recoveryPoint: number;
  logStartOffset: number;
  cleanShutdown: boolean;
  /** Partition leader epoch stamped on appended batches (-1 leaves what the producer sent). */
  leaderEpoch?: number;
  /** The checkpointed high watermark (`replication-offset-checkpoint`); clamped to the log. Default: the log start offset, as Kafka. */
  highWatermark?: number;
  /**
   * Called once after `close()` has synced and closed the segments, their indexes, the producer
   * snapshot and the directory (standalone logs write their checkpoint and marker here).
   */
  onClose?: (log: Log) => void | Promise<void>;
}

const RESOLVED = Promise.resolve();

/** A promise shared by every append waiting for the same flush, and its settle functions. */
interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Last sequence of a batch: sequences wrap at int32 max as Kafka's DefaultRecordBatch.incrementSequence does. */
function lastSequence(firstSeq: number, lastOffsetDelta: number): number {
  if (firstSeq < 0) return -1;
  const last = firstSeq + lastOffsetDelta;
  return last > 0x7fffffff ? last - 0x7fffffff - 1 : last;
}

export class Log {
  private segments: Segment[] = [];
  private closed = false;
  private _startOffset = 0;
  private _recoveryPoint = 0;
  private _highWatermark = 0;
  private leaderEpoch: number;
  /** Where each leader epoch began (set in `load`). */
  private epochs!: LeaderEpochCache;
  // Interval flush (group commit on a timer): the segments written since the last flush and
  // the one promise every append waiting for the next flush shares (no object per append).
  private dirty = new Set<Segment>();
  private nextFlush: Waiters | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  /** performance.now() when the last flush started: an interval flush starts no sooner than intervalMs after it. */
  private lastFlushAt = -Infinity;
  /** When the armed `flushTimer` should fire. */
  private flushDueAt = 0;
  /** `flushNow` calls waiting for the running flush: they start the next one themselves. */
  private flushCallers = 0;
  /** The flush started last, while it runs (see `armFlush` for when two run at once). */
  private flushing: Promise<void> | null = null;
  /** Flushes started and not yet settled: at most two. */
  private flushesRunning = 0;
  /** The flush started last, while it runs: the end offset it covers and its outcome. */
  private running: { end: number; done: Promise<void> } | null = null;
  /** The end offset the last flush started at covered: flush.messages counts from there. */
  private flushStartedAt = 0;
  /**
   * Durability work running off the event loop that the recovery point, `sync()` and `close()`
   * wait for: the fsyncs of rolled segments, directory fsyncs, producer snapshots. A failed one
   * stays (sticky, as a failed fsync is): every later flush reports it.
   */
  private pending = new Set<Promise<void>>();
  /** How many times the end of the log moved down: a flush started before one must not raise the recovery point. */
  private truncations = 0;
  /** Entries of the directory were created or removed since the last directory fsync was started. */
  private dirDirty = false;

  private onClose: ((log: Log) => void | Promise<void>) | undefined;
  private appends = new OrderedAppends();
  private _config: LogConfig;
  /** The compaction in progress (src/storage/cleaner), if any. */
  private compaction: { done: Promise<CompactResult>; abort: () => void } | null = null;

  /** Idempotent-producer state of this partition. */
  readonly producers: ProducerStateManager;

  private constructor(readonly dir: string, readonly name: string, config: LogConfig, leaderEpoch: number) {
    this._config = config;
    this.leaderEpoch = leaderEpoch;
    this.producers = new ProducerStateManager(dir, name);
  }

  /** The settings in force (see `reconfigure`). */
  get config(): Readonly<LogConfig> {
    return this._config;
  }

  /** Open the log in `dir`, creating it if empty, recovering it if the last run did not close cleanly. */
  static load(dir: string, name: string, options: Partial<LogConfig>, state: LogLoadState): Log {
    const config = resolveLogConfig(options);
    const log = new Log(dir, name, config, state.leaderEpoch ?? -1);
    log.onClose = state.onClose;
    // A new partition directory is an entry of its parent: durable before anything in it counts.
    if (mkdirSync(dir, { recursive: true }) !== undefined) log.track(io.syncDirectory(dirname(dir)));
    // Finish or roll back a compaction swap a crash interrupted; its segments get their indexes rebuilt.
    const swapped = recoverInterruptedClean(dir);
    const bases = readdirSync(dir).map(parseLogFileName).filter((b): b is number => b !== null).sort((a, b) => a - b);
    const segOptions = { indexIntervalBytes: config.indexIntervalBytes, preallocateBytes: Math.min(config.preallocateBytes, config.segmentBytes) };
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const active = i === bases.length - 1;
      const nextBase = bases[i + 1] ?? Infinity;
      // Unclean: scan the segment holding the recovery point and everything after it.
      const recover = (!state.cleanShutdown && nextBase > state.recoveryPoint) || swapped.has(base);
      const { segment, recovery } = Segment.open(dir, base, segOptions, active, recover);
      log.segments.push(segment);
      if (recovery?.problem) {
        logger.warn({ file: segment.path, droppedBytes: recovery.truncatedBytes, validBytes: recovery.validBytes, reason: recovery.problem }, `recovery: truncated ${recovery.truncatedBytes} bytes from ${segment.path}`);
        // Everything after a corrupt batch is unreachable: drop the later segments too.
        for (const later of bases.slice(i + 1)) {
          const { segment: dropped } = Segment.open(dir, later, segOptions, false, false);
          logger.warn({ file: dropped.path, droppedBytes: dropped.size }, `recovery: deleted ${dropped.path} after the corrupt batch`);
          dropped.delete();
        }
        break;
      }
    }
    if (log.segments.length === 0) log.segments.push(Segment.create(dir, Math.max(0, state.logStartOffset), segOptions));
    // Recovery may have cut the log inside a sealed segment: it becomes the active one.
    else if (log.segments.length < bases.length) log.reactivateLast();
    log._startOffset = Math.min(Math.max(state.logStartOffset, log.segments[0]!.baseOffset), log.endOffset);
    log._recoveryPoint = Math.min(Math.max(state.recoveryPoint, log._startOffset), log.endOffset);
    // After an unclean shutdown the recovery point stays where the checkpoint had it (as Kafka
    // does): what recovery just read may still be only in the page cache, so until a flush
    // covers it the next unclean open scans it again.
    log.flushStartedAt = log.endOffset;
    log.rebuildProducerState();
    log.loadEpochs(state);
    log._highWatermark = Math.min(Math.max(state.highWatermark ?? 0, log._startOffset), log.endOffset);
    return log;
  }

  /**
   * The leader epoch cache as its checkpoint has it, made consistent with the log as loaded (as
   * Kafka's log loading does): entries past the end or before the start are cut, and after an
   * unclean shutdown the epochs of the batches after the recovery point are learnt again from
   * the batches (their entries may not have reached the checkpoint). A checkpoint that cannot be
   * read is rebuilt from every batch. A missing one is an empty cache, as in Kafka: epochs are
   * learnt from the next appends.
   */
  private loadEpochs(state: LogLoadState): void {
    const { cache, problem } = LeaderEpochCache.load(this.dir, this.name);
    this.epochs = cache;
    const loaded = problem === null ? cache.epochEntries() : null;
    let changed = problem !== null;
    let scanFrom = -1;
    if (problem !== null) {
      scanFrom = this._startOffset;
    } else {
      changed = cache.truncateFromEnd(this.endOffset) || changed;
      changed = cache.truncateFromStart(this._startOffset) || changed;
      if (!state.cleanShutdown) {
        // Entries at or after the recovery point may be stale: a write of the cache that
        // truncated or replaced them may not have reached the disk (the recovery point never
        // passes an offset before the cache's entries up to it are written). The batches from
        // there on say what they are.
        scanFrom = Math.min(Math.max(state.recoveryPoint, this._startOffset), this.endOffset);
        changed = cache.truncateFromEnd(scanFrom) || changed;
      }
    }
    for (let offset = scanFrom; offset >= 0 && offset < this.endOffset;) {
      const slice = this.readSlice(offset, 4 * 1024 * 1024);
      if (slice === null) break;
      const view = slice.view;
      for (let pos = 0; pos < view.length; pos += batchSize(view, pos)) changed = this.learnEpoch(view, pos) || changed;
      offset = slice.nextOffset;
    }
    // Entries cut at the recovery point and learnt again as they were are no change: rewriting
    // the checkpoint would cost every partition of an unclean start a file and a directory fsync.
    if (changed && (loaded === null || !sameEpochEntries(loaded, cache.epochEntries()))) this.track(cache.persist());
  }

  /** Add the epoch of the batch at `pos` to the cache if it starts a new one; returns whether the cache changed. */
  private learnEpoch(buf: Buffer, pos: number): boolean {
    const epoch = buf.readInt32BE(pos + PARTITION_LEADER_EPOCH);
    // Kafka's appendAsLeader / appendAsFollower: batches without an epoch (older clients, a
    // single broker keeping what producers sent) teach the cache nothing.
    if (epoch < 0 || epoch === this.epochs.latestEpoch) return false;
    return this.epochs.assign(epoch, Math.max(readInt64(buf, pos + BASE_OFFSET), this._startOffset));
  }

  /** The latest leader epoch of the log's batches (or assigned by `assignLeaderEpoch`), -1 when none. */
  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }

  /**
   * The largest epoch <= `epoch` this log knows and the offset it ended at (the log end offset
   * for the latest epoch), as a leader answers OffsetForLeaderEpoch (Kafka's
   * UnifiedLog.endOffsetForEpoch and LeaderEpochFileCache.endOffsetFor); -1 and -1 when unknown.
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    this.checkOpen();
    if (!Number.isInteger(epoch)) throw new InvalidArgumentError(`epoch must be an integer, got ${epoch}`);
    return this.epochs.endOffsetFor(epoch, this.endOffset);
  }

  /** The leader epoch cache's entries, oldest first. */
  leaderEpochEntries(): EpochEntry[] {
    return this.epochs.epochEntries();
  }

  /**
   * This log's broker became the partition's leader at `epoch` (Kafka's
   * Partition.makeLeader, which calls maybeAssignEpochStartOffset with the log end offset):
   * every append from now on is stamped with `epoch`, and the cache records that `epoch` begins
   * at the end offset if it is new (Kafka's assign rules, conflicting later entries removed).
   */
  assignLeaderEpoch(epoch: number): void {
    this.checkOpen();
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0x7fffffff) throw new InvalidArgumentError(`${this.name}: leader epoch must be an integer in [0, 2147483647], got ${epoch}`);
    this.leaderEpoch = epoch;
    if (this.epochs.assign(epoch, this.endOffset)) this.track(this.epochs.persist());
  }

  /** The high watermark: offsets below it are replicated to every in-sync replica. */
  get highWatermark(): number {
    return this._highWatermark;
  }

  /**
   * Set the high watermark to `offset` clamped to [startOffset, endOffset] and return the value
   * set (Kafka's UnifiedLog.updateHighWatermark: it may move down when asked to, as a follower
   * taking its leader's high watermark does). Appends never move it.
   */
  updateHighWatermark(offset: number): number {
    this.checkOpen();
    if (!Number.isSafeInteger(offset)) throw new InvalidArgumentError(`${this.name}: high watermark must be an integer, got ${offset}`);
    this._highWatermark = Math.min(Math.max(offset, this._startOffset), this.endOffset);
    return this._highWatermark;
  }

  /** First offset still in the log. */
  get startOffset(): number {
    return this._startOffset;
  }

  /** Offset the next appended record gets (the log end offset). */
  get endOffset(): number {
    return this.active.nextOffset;
  }

  /** Offset below which all data is known to be durable. */
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }

  /** Total bytes of log data across segments. */
  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Encode `records` as one batch (in the log's codec) and append it; resolves when the flush policy is met. */
  async append(records: readonly RecordInput[]): Promise<AppendResult> {
    this.checkOpen();
    if (!Array.isArray(records)) throw new InvalidArgumentError('append expects an array of records');
    if (keysRequired(this.config)) checkRecordKeys(records, this.name);
    const codec = storedCodec(this.config.compression);
    const encode = { baseOffset: this.endOffset, partitionLeaderEpoch: this.leaderEpoch };
    // Compressed (maybe in the worker pool), or behind appends that are: applied in call order.
    const result = codec <= 0 && this.appends.idle
      ? this.appendValidated(encodeBatch(records, encode))
      : await this.appends.submit(encodeForAppend(records, codec, encode, this.config), (b) => this.appendValidated(b));
    await this.durable();
    return result;
  }

  /**
   * Append raw RecordBatch v2 bytes (one or more batches, as a producer sends them). The batches
   * are validated (framing, CRC-32C, records, decompressed when compressed) and their baseOffset
   * fields are rewritten in place in `bytes` (or in their recompressed copy when the log's
   * `compression` differs from theirs), then copied once into the log.
   */
  async appendBatch(bytes: Buffer): Promise<AppendResult> {
    const applied = this.appendBatches(bytes);
    // No await when the append was applied at once: durable() then runs in this very call, so
    // its fsync is asked for (and an interval flush due started) while the caller goes on
    // appending, not only once it yields.
    const result = applied instanceof Promise ? await applied : applied;
    await this.durable();
    return result;
  }

  /**
   * `appendBatch` without the wait for the flush policy, for the broker's produce path (which
   * waits according to acks). Synchronous when the batches need no work in the pool and no
   * earlier append is still there; otherwise a promise, applied in call order.
   */
  appendBatches(bytes: Buffer): AppendResult | Promise<AppendResult> {
    this.checkOpen();
    if (!Buffer.isBuffer(bytes)) throw new InvalidArgumentError('appendBatch expects a Buffer of record batches');
    validateBatches(bytes, this.name, keysRequired(this.config));
    // Compressed batches are deep-validated, and recompressed when the log's codec differs.
    const codec = storedCodec(this.config.compression);
    return !needsBatchWork(bytes, codec) && this.appends.idle
      ? this.appendValidated(bytes)
      : this.appends.submit(prepareBatchForAppend(bytes, codec, this.name, this.config), (b) => this.appendValidated(b));
  }

  /**
   * Append batches that already passed validation (the broker validates in its produce path or
   * in the worker pool), synchronously: offsets are assigned here, in call order. Call
   * `durable()` right after to wait for the flush policy.
   */
  appendValidated(bytes: Buffer, options: AppendOptions = {}): AppendResult {
    this.checkOpen();
    const duplicate = this.checkProducers(bytes, options.coordinator === true);
    if (duplicate !== null) return duplicate;
    const baseOffset = this.endOffset;
    let next = baseOffset;
    let maxTimestamp = -1;
    let offsetOfMax = -1;
    for (let pos = 0; pos < bytes.length;) {
      const size = bytes.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
      // Kafka compares the whole batch (sizeInBytes) with max.message.bytes.
      if (size > this.config.maxMessageBytes) throw new RecordTooLargeError(size, this.config.maxMessageBytes, this.name);
      writeInt64(bytes, pos + BASE_OFFSET, next);
      if (this.leaderEpoch >= 0) bytes.writeInt32BE(this.leaderEpoch, pos + PARTITION_LEADER_EPOCH);
      const last = next + bytes.readInt32BE(pos + LAST_OFFSET_DELTA);
      const ts = readInt64(bytes, pos + MAX_TIMESTAMP);
      if (ts > maxTimestamp) {
        maxTimestamp = ts;
        offsetOfMax = last;
      }
      next = last + 1;
      pos += size;
    }
    if (bytes.length > this.config.segmentBytes) throw new RecordTooLargeError(bytes.length, this.config.segmentBytes, `${this.name} (segment.bytes)`);
    this.maybeRoll(bytes.length, next - 1);
    const segment = this.active;
    segment.append(bytes, next - 1, maxTimestamp, offsetOfMax);
    let epochsChanged = false;
    for (let pos = 0; pos < bytes.length; pos += bytes.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD) {
      this.trackProducer(bytes, pos, segment);
      if (this.learnEpoch(bytes, pos)) epochsChanged = true;
    }
    this.afterAppend(next, epochsChanged);
    return { baseOffset, lastOffset: next - 1 };
  }

  /** What every append does last: persist a changed epoch cache, start the flush flush.messages asks for. */
  private afterAppend(end: number, epochsChanged: boolean): void {
    // Tracked, so the recovery point never passes a batch whose epoch entry is not on disk.
    if (epochsChanged) this.track(this.epochs.persist());
    // flush.messages: a group fsync starts once that many messages (offsets, as Kafka counts
    // them) were appended since the last one started.
    const flush = this._config.flush;
    if (typeof flush === 'object' && flush.messages !== undefined && end - this.flushStartedAt >= flush.messages) {
      this.flushStartedAt = end;
      this.flushNow().catch(() => {}); // its failure reaches the waiters and the next flush
    }
  }

  /**
   * Resolves once the appends waiting on the worker pool (compressed batches) have been applied
   * or have failed. A broker that stops leading the partition waits for this before it starts
   * following: those appends took their offsets as the leader's and must land before the
   * follower's first `truncateTo` / `appendAsFollower`, which are not queued behind them.
   */
  drainAppends(): Promise<void> {
    return this.appends.drain();
  }

  /**
   * Append record batches fetched from the partition's leader, verbatim (Kafka's
   * UnifiedLog.appendAsFollower): offsets, leader epochs, compression and producer fields stay
   * the leader's, byte for byte. Every batch's framing and CRC-32C are checked first and nothing
   * is appended when one fails (CorruptBatchError, CORRUPT_MESSAGE), or when the first batch
   * starts below the end offset or offsets do not increase (UnexpectedAppendOffsetError). A batch
   * may start after the end offset: a compacted leader's log has gaps, and Kafka's follower
   * accepts them. Segments roll as for any append, producer and transaction state follow the
   * batches (no sequence checks: the leader made them), so a follower promoted to leader
   * recognises a retried idempotent batch and knows the open transactions, and the epoch cache
   * learns each batch's epoch. Synchronous; call `durable()` after it for the flush policy.
   * Empty input appends nothing and returns { baseOffset: endOffset, lastOffset: endOffset - 1 }.
   */
  appendAsFollower(bytes: Buffer): AppendResult {
    this.checkOpen();
    if (!Buffer.isBuffer(bytes)) throw new InvalidArgumentError('appendAsFollower expects a Buffer of record batches');
    const end = this.endOffset;
    if (bytes.length === 0) return { baseOffset: end, lastOffset: end - 1 };
    // No max.message.bytes check: the leader accepted these batches (Kafka's appendAsFollower
    // passes ignoreRecordSize), perhaps under an older setting.
    const checked = checkFollowerBatches(bytes, this.name, end);
    // Written in runs that fit the active segment, rolling between them where an append of each
    // batch on its own would roll, so the segments come out as the leader's did.
    const segmentBytes = this.config.segmentBytes;
    let from = 0;
    let maxTimestamp = -1;
    let offsetOfMax = -1;
    let runLast = -1;
    let epochsChanged = false;
    const written = (to: number): void => {
      const segment = this.active;
      const run = from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
      segment.append(run, runLast, maxTimestamp, offsetOfMax);
      for (let pos = 0; pos < run.length; pos += batchSize(run, pos)) {
        this.trackProducer(run, pos, segment);
        if (this.learnEpoch(run, pos)) epochsChanged = true;
      }
      from = to;
      maxTimestamp = -1;
      offsetOfMax = -1;
    };
    for (let pos = 0; pos < bytes.length;) {
      const size = batchSize(bytes, pos);
      const last = readInt64(bytes, pos + BASE_OFFSET) + bytes.readInt32BE(pos + LAST_OFFSET_DELTA);
      if (pos > from) {
        const active = this.active;
        if (active.size + (pos - from) + size > segmentBytes || last - active.baseOffset > 0x7fffffff) written(pos);
      }
      if (pos === from) this.maybeRoll(size, last);
      const ts = readInt64(bytes, pos + MAX_TIMESTAMP);
      if (ts > maxTimestamp) {
        maxTimestamp = ts;
        offsetOfMax = last;
      }
      runLast = last;
      pos += size;
    }
    written(bytes.length);
    this.afterAppend(checked.lastOffset + 1, epochsChanged);
    return { baseOffset: checked.firstOffset, lastOffset: checked.lastOffset };
  }

  /**
   * Append a transaction marker (a control batch) that ends `producerId`'s transaction in this
   * partition: COMMIT makes its records visible to read_committed consumers, ABORT has them
   * skipped. Refused (ProducerSequenceError) when the producer already has a newer epoch here, or
   * the marker comes from an older coordinator epoch. Call `durable()` after it as for any append.
   */
  appendControl(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, timestamp = Date.now()): AppendResult {
    this.checkOpen();
    if (!Number.isSafeInteger(producerId) || producerId < 0) throw new InvalidArgumentError(`producerId must be a non-negative integer, got ${producerId}`);
    const marker = encodeEndTxnMarker({ producerId, producerEpoch, commit, coordinatorEpoch, timestamp });
    return this.appendValidated(marker);
  }

  /**
   * The last stable offset: records below it are decided (not part of an open transaction), so
   * read_committed consumers may read up to it. The end of the log when no transaction is open.
   */
  get lastStableOffset(): number {
    const first = this.producers.firstUnstableOffset();
    const end = this.endOffset;
    return first === null ? end : Math.min(Math.max(first, this._startOffset), end);
  }

  /**
   * Aborted transactions that overlap [from, upTo): what a read_committed fetch of that range
   * sends along so the client drops their records (Kafka's collectAbortedTransactions).
   */
  abortedTransactions(from: number, upTo: number): AbortedTxn[] {
    this.checkOpen();
    const out: AbortedTxn[] = [];
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      if (this.segments[i]!.txnIndex.collect(from, upTo, out)) break;
    }
    return out;
  }

  /**
   * Sequence checks of idempotent batches before they are appended. Returns the original
   * offsets of a retried batch, null to go on; throws ProducerSequenceError to refuse.
   */
  private checkProducers(bytes: Buffer, coordinator: boolean): AppendResult | null {
    let idempotent = 0;
    let decision: AppendResult | null = null;
    for (let pos = 0; pos < bytes.length; pos += bytes.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD) {
      const producerId = readInt64(bytes, pos + PRODUCER_ID);
      if (producerId < 0) continue;
      if ((bytes.readInt16BE(pos + ATTRIBUTES) & CONTROL_MASK) !== 0) {
        const marker = readEndTxnMarker(bytes, pos);
        if (marker !== null) this.producers.checkMarker(producerId, bytes.readInt16BE(pos + PRODUCER_EPOCH), marker.coordinatorEpoch);
        continue;
      }
      if (coordinator) {
        this.producers.checkEpoch(producerId, bytes.readInt16BE(pos + PRODUCER_EPOCH));
        continue;
      }
      if (++idempotent > 1) throw new InvalidRecordError(`${this.name}: append idempotent batches one at a time`);
      const firstSeq = bytes.readInt32BE(pos + BASE_SEQUENCE);
      const d = this.producers.check(producerId, bytes.readInt16BE(pos + PRODUCER_EPOCH), firstSeq, lastSequence(firstSeq, bytes.readInt32BE(pos + LAST_OFFSET_DELTA)));
      if (d.kind === 'duplicate') decision = { baseOffset: d.firstOffset, lastOffset: d.lastOffset, duplicate: true };
    }
    if (decision !== null && bytes.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD !== bytes.length) throw new InvalidRecordError(`${this.name}: a retried batch must come alone`);
    return decision;
  }

  /**
   * Update producer state from the header of an appended (or scanned) batch at `pos` in
   * `segment`. A transaction marker closes the producer's transaction; an ABORT one is added to
   * the segment's transaction index with the LSO after it.
   */
  private trackProducer(buf: Buffer, pos: number, segment: Segment): void {
    const producerId = readInt64(buf, pos + PRODUCER_ID);
    if (producerId < 0) return;
    const epoch = buf.readInt16BE(pos + PRODUCER_EPOCH);
    const timestamp = readInt64(buf, pos + MAX_TIMESTAMP);
    const base = readInt64(buf, pos + BASE_OFFSET);
    const attributes = buf.readInt16BE(pos + ATTRIBUTES);
    if ((attributes & CONTROL_MASK) !== 0) {
      const marker = readEndTxnMarker(buf, pos);
      if (marker === null) {
        this.producers.bumpEpoch(producerId, epoch, timestamp);
        return;
      }
      const txn = this.producers.completeTxn(producerId, epoch, base, marker.commit, marker.coordinatorEpoch, timestamp);
      if (txn.aborted) {
        const lastStableOffset = this.producers.firstUnstableOffset() ?? txn.lastOffset + 1;
        segment.txnIndex.append({ producerId, firstOffset: txn.firstOffset, lastOffset: txn.lastOffset, lastStableOffset });
      }
      return;
    }
    const delta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
    const firstSeq = buf.readInt32BE(pos + BASE_SEQUENCE);
    this.producers.update(producerId, epoch, firstSeq, lastSequence(firstSeq, delta), base, base + delta, timestamp, (attributes & TRANSACTIONAL_MASK) !== 0);
  }

  /**
   * Producer state as of the end of the log: the newest snapshot at or below it, then every
   * batch after the snapshot (only headers are read, and the records of markers). The aborted
   * transactions of that stretch are indexed again as the scan passes their markers.
   */
  private rebuildProducerState(): void {
    const end = this.endOffset;
    this.producers.deleteSnapshots((o) => o > end);
    const from = Math.max(this.producers.loadSnapshot(end), this._startOffset);
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) this.segments[i]!.txnIndex.truncateTo(from);
    for (let offset = from; offset < end;) {
      const slice = this.readSlice(offset, 4 * 1024 * 1024);
      if (slice === null) break;
      const segment = this.segments[this.segmentIndexFor(slice.firstOffset)]!;
      const view = slice.view;
      for (let pos = 0; pos < view.length; pos += view.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD) {
        // The snapshot already covers batches that end before it.
        if (readInt64(view, pos + BASE_OFFSET) + view.readInt32BE(pos + LAST_OFFSET_DELTA) >= from) this.trackProducer(view, pos, segment);
      }
      offset = slice.nextOffset;
    }
  }

  /**
   * Resolves once everything appended so far is durable as the flush policy requires: at once
   * for 'none', after a shared fsync for 'always', at the next periodic group fsync otherwise.
   */
  durable(): Promise<void> {
    const flush = this.config.flush;
    if (flush === 'none') return RESOLVED;
    const segment = this.active;
    if (flush === 'always') {
      const end = this.endOffset;
      const truncations = this.truncations;
      return segment.sync().then(() => this.advanceRecoveryPoint(end, truncations));
    }
    // flush.messages alone never delays an acknowledgement (as in Kafka): it bounds how much
    // is unflushed, and appendValidated starts those flushes.
    if (flush.intervalMs === undefined) return RESOLVED;
    // A flush flush.messages started for this very append (it took the waiters already) covers it.
    const running = this.running;
    if (running !== null && running.end >= this.endOffset) return running.done;
    this.dirty.add(segment);
    const next = (this.nextFlush ??= waiters());
    this.armFlush(flush.intervalMs);
    return next.promise;
  }

  /**
   * Records from `offset`, reading whole batches up to about `maxBytes` (at least one batch).
   * Records below `offset` in the first batch and control records are skipped.
   */
  async read(offset: number, options: { maxBytes?: number } = {}): Promise<ReadResult> {
    const slice = this.readSlice(offset, options.maxBytes ?? 1024 * 1024);
    if (slice === null) return { records: [], nextOffset: offset };
    const records: StoredRecord[] = [];
    const view = slice.view;
    for (let pos = 0; pos < view.length;) {
      const size = view.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
      if (!isControlBatch(view, pos)) readBatchRecords(view, pos, size, records);
      pos += size;
    }
    let skip = 0;
    while (skip < records.length && records[skip]!.offset < offset) skip++;
    return { records: skip === 0 ? records : records.slice(skip), nextOffset: slice.nextOffset };
  }

  /**
   * Whole batches from the one holding `offset`, as a view of the segment (the fetch path),
   * none starting at or after `maxOffset` (the LSO for a read_committed fetch; the end of the
   * log by default). Null when there is nothing below it. Throws OffsetOutOfRangeError outside
   * the log.
   */
  readSlice(offset: number, maxBytes: number, maxOffset = this.endOffset): SegmentSlice | null {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, got ${offset}`);
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new InvalidArgumentError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    if (offset < this._startOffset || offset > this.endOffset) throw new OffsetOutOfRangeError(offset, this._startOffset, this.endOffset, this.name);
    if (offset >= this.endOffset || offset >= maxOffset) return null;
    for (let i = this.segmentIndexFor(offset); i < this.segments.length && this.segments[i]!.baseOffset < maxOffset; i++) {
      const slice = this.segments[i]!.read(offset, maxBytes, maxOffset);
      if (slice !== null) return slice;
    }
    return null;
  }

  /** First offset whose timestamp is >= `timestamp`, or null if all records are older. */
  async offsetForTime(timestamp: number): Promise<number | null> {
    return this.lookupTime(timestamp)?.offset ?? null;
  }

  /**
   * The first record at or after `timestamp`: its offset and timestamp (Kafka's
   * fetchOffsetByTimestamp), never below the log start offset. Null if all records are older.
   */
  lookupTime(timestamp: number): { offset: number; timestamp: number } | null {
    this.checkOpen();
    if (!Number.isSafeInteger(timestamp)) throw new InvalidArgumentError(`timestamp must be an integer, got ${timestamp}`);
    for (const segment of this.segments) {
      if (segment.largestTimestamp < timestamp) continue;
      const found = segment.offsetForTime(timestamp);
      if (found !== null) return found.offset >= this._startOffset ? found : { offset: this._startOffset, timestamp: found.timestamp };
    }
    return null;
  }

  /** The largest timestamp in the log and the offset of its record (ListOffsets MAX_TIMESTAMP), or null if empty. */
  maxTimestamp(): { offset: number; timestamp: number } | null {
    this.checkOpen();
    let best: { offset: number; timestamp: number } | null = null;
    for (const s of this.segments) {
      if (s.maxTimestamp >= 0 && (best === null || s.maxTimestamp > best.timestamp)) best = { offset: s.offsetOfMaxTimestamp, timestamp: s.maxTimestamp };
    }
    return best !== null && best.offset >= this._startOffset ? best : null;
  }

  /**
   * Make every appended record durable, then advance the recovery point: the active segment,
   * every segment whose roll fsync is still running, the indexes, producer snapshots and the
   * directory entries created, renamed or removed so far.
   */
  async sync(): Promise<void> {
    this.checkOpen();
    await this.flushNow(true);
  }

  /** Resolves once no flush is running or queued (tests use it to count fsyncs exactly). */
  async flushed(): Promise<void> {
    while (this.flushing !== null) await this.flushing.catch(() => {});
  }

  /**
   * Change settings of the open log (a topic's AlterConfigs): `options` are merged over the
   * current settings and validated as at load. Size and age limits, retention, the largest batch
   * and the flush policy apply from the next append; the index interval and preallocation apply
   * to segments created from now on. Appends waiting for an interval flush are flushed now if
   * the policy no longer has an interval.
   */
  reconfigure(options: Partial<LogConfig>): void {
    this.checkOpen();
    const next = resolveLogConfig({ ...this._config, ...options });
    const wasInterval = typeof this._config.flush === 'object' && this._config.flush.intervalMs !== undefined;
    this._config = next;
    const isInterval = typeof next.flush === 'object' && next.flush.intervalMs !== undefined;
    if (wasInterval && !isInterval && (this.nextFlush !== null || this.flushTimer !== null)) void this.flushNow().catch(() => {});
  }

  /** Start a new active segment now (also done automatically on size and age). */
  roll(): void {
    this.checkOpen();
    const old = this.active;
    if (old.isEmpty) return;
    // The old segment's fdatasync (and its indexes') starts on the flusher thread; the append
    // that rolled does not wait, the recovery point does (see `pending`).
    old.seal();
    this.segments.push(Segment.create(this.dir, this.endOffset, this.segmentOptions()));
    this.track(old.sync());
    // As Kafka does on roll: a restart re-reads at most the active segment for producer state.
    // The snapshot's directory fsync also makes the new segment's entries durable (each new
    // file's own first sync fsyncs the directory too, so no data ever depends on it).
    this.track(this.producers.writeSnapshot(this.endOffset));
  }

  /**
   * Remove every record at or after `offset` (whole batches: a batch holding `offset` goes
   * too, as in Kafka). Used when a replica diverges from its leader and by tests.
   */
  truncateTo(offset: number): void {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, got ${offset}`);
    if (offset >= this.endOffset) return;
    if (offset <= this._startOffset) {
      this.restartAt(offset);
    } else {
      while (this.segments.length > 1 && this.active.baseOffset >= offset) {
        this.segments.pop()!.delete();
        this.dirDirty = true;
      }
      this.active.truncateTo(offset);
      // The last remaining segment may have been sealed: it must accept appends again.
      this.reactivateLast();
      // The batch holding `offset` began below the start offset: nothing servable is left.
      if (this.endOffset < this._startOffset) this.restartAt(this._startOffset);
    }
    this.afterTruncation();
  }

  /**
   * Delete every segment and start the log empty at `offset`, before or after its current end
   * (Kafka's truncateFullyAndStartAt): for a follower whose leader's log starts after the
   * follower's end, or that must restart at the first offset of a leader's batch. The epoch
   * cache and producer state are cleared, and the start offset, recovery point and high
   * watermark become `offset`.
   */
  truncateFullyAndStartAt(offset: number): void {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, got ${offset}`);
    this.restartAt(offset);
    this._recoveryPoint = offset;
    this.flushStartedAt = offset;
    this.afterTruncation();
  }

  /** Offsets, producer state, the epoch cache and the high watermark after the end of the log moved down. */
  private afterTruncation(): void {
    this.truncations++;
    const end = this.endOffset;
    if (this._recoveryPoint > end) this._recoveryPoint = end;
    if (this.flushStartedAt > end) this.flushStartedAt = end;
    if (this._highWatermark > end) this._highWatermark = end;
    if (this._highWatermark < this._startOffset) this._highWatermark = this._startOffset;
    this.rebuildProducerState();
    if (this.epochs.truncateFromEnd(end)) this.track(this.epochs.persist());
    this.syncDirectoryIfDirty();
  }

  /**
   * Move the log start offset forward (DeleteRecords): records below it are no longer served,
   * and segments wholly below it are deleted. The active segment is kept.
   */
  advanceStartOffset(offset: number): void {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError(`offset must be a non-negative integer, got ${offset}`);
    if (offset > this.endOffset) throw new OffsetOutOfRangeError(offset, this._startOffset, this.endOffset, this.name);
    if (offset <= this._startOffset) return;
    this._startOffset = offset;
    this.deleteSegmentsWhile((s, next) => next !== undefined && next.baseOffset <= this._startOffset && s.nextOffset <= this._startOffset);
    this.startMoved();
  }

  /** The log start offset moved up: the high watermark and the epoch cache follow (Kafka's maybeIncrementLogStartOffset). */
  private startMoved(): void {
    if (this._highWatermark < this._startOffset) this._highWatermark = this._startOffset;
    if (this.epochs.truncateFromStart(this._startOffset)) this.track(this.epochs.persist());
  }

  /**
   * Apply retention.ms and retention.bytes in whole segments, never the active one, when the
   * cleanup policy includes 'delete' (as Kafka, a 'compact'-only log keeps its segments). Returns
   * the number of segments deleted.
   */
  applyRetention(now = Date.now()): number {
    this.checkOpen();
    let deleted = 0;
    const { retentionMs, retentionBytes } = this.config;
    const deletes = this.config.cleanupPolicy === 'delete' || this.config.cleanupPolicy === 'compact,delete';
    if (retentionMs >= 0 && deletes) {
      deleted += this.deleteSegmentsWhile((s) => s.largestTimestamp >= 0 && now - s.largestTimestamp > retentionMs);
    }
    if (retentionBytes >= 0 && deletes) {
      let excess = this.size - retentionBytes;
      deleted += this.deleteSegmentsWhile((s) => {
        if (excess < s.size) return false;
        excess -= s.size;
        return true;
      });
    }
    this.producers.expire(now, this._config.producerIdExpirationMs);
    return deleted;
  }

  /**
   * Compact the log now (Kafka's log cleaner; see src/storage/cleaner/clean-log.ts): rewrite its
   * sealed segments keeping the latest record of each key, tombstones until delete.retention.ms
   * after their first cleaning, and transaction markers while needed; offsets and timestamps do
   * not change and the active segment is never touched. Runs whatever the cleanup policy and
   * the dirty ratio (the store's cleaner applies those). A call while a compaction is running
   * joins it.
   */
  compact(options: CompactOptions = {}): Promise<CompactResult> {
    this.checkOpen();
    if (this.compaction === null) {
      const pass = cleanLog(this, options);
      this.compaction = pass;
      void pass.done.finally(() => {
        if (this.compaction === pass) this.compaction = null;
      }).catch(() => {});
    }
    return this.compaction.done;
  }

  /** Stop a compaction in progress (its work so far is kept or undone, never half-done) and wait for it. */
  async stopCompaction(): Promise<void> {
    const c = this.compaction;
    if (c === null) return;
    c.abort();
    await c.done.catch(() => {});
  }

  /** The sealed segments, oldest first: every segment but the active one (the cleaner reads these). */
  sealedSegments(): readonly Segment[] {
    return this.segments.slice(0, -1);
  }

  /**
   * Put the segment `build` returns in place of `old`, consecutive sealed segments (the
   * cleaner's swap: `build` renames the files and opens the new segment), and close the old
   * ones. Returns false without calling `build` when the log no longer holds `old` there.
   */
  replaceSegments(old: readonly Segment[], build: () => Segment): boolean {
    if (this.closed || old.length === 0) return false;
    const at = this.segments.indexOf(old[0]!);
    if (at < 0 || at + old.length > this.segments.length - 1) return false;
    for (let i = 0; i < old.length; i++) if (this.segments[at + i] !== old[i]) return false;
    const replacement = build();
    this.segments.splice(at, old.length, replacement);
    for (const s of old) {
      this.dirty.delete(s);
      s.close();
    }
    return true;
  }

  /**
   * Flush, close every segment and refuse further use. Resolves once the segments (trimmed to
   * their size), their indexes, the producer snapshot and the directory are durable, after which
   * `onClose` writes the checkpoint. Views handed out stay readable.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stopCompaction();
    await this.appends.drain();
    await this.flushNow(true);
    this.closed = true;
    this.track(this.producers.writeSnapshot(this.endOffset));
    await Promise.all(this.segments.map((s) => s.closeDurably()));
    await Promise.all([...this.pending]);
    await this.onClose?.(this);
  }

  /** Close without flushing (the store is being deleted, or the process is going down hard). */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.compaction?.abort();
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    const next = this.nextFlush;
    this.nextFlush = null;
    next?.reject(new ClosedError(`log ${this.name}`));
    this.epochs.cancelWrites();
    for (const s of this.segments) s.close();
  }

  /** Remove every segment file (after closeNow). */
  deleteFiles(): void {
    for (const s of this.segments) s.delete();
  }

  private deleteSegmentsWhile(test: (s: Segment, next: Segment | undefined) => boolean): number {
    let n = 0;
    while (this.segments.length > 1 && test(this.segments[0]!, this.segments[1])) {
      const s = this.segments.shift()!;
      this.dirty.delete(s);
      s.delete();
      n++;
    }
    if (this._startOffset < this.segments[0]!.baseOffset) {
      this._startOffset = this.segments[0]!.baseOffset;
      this.startMoved();
    }
    if (n > 0) {
      this.dirDirty = true;
      this.syncDirectoryIfDirty();
    }
    return n;
  }

  /** Keep `work` (durability work off the event loop) for the next flush to wait for. */
  private track(work: Promise<void>): void {
    this.pending.add(work);
    work.then(() => this.pending.delete(work), () => {});
  }

  /** fsync the directory, off the event loop, if entries were removed or created since. */
  private syncDirectoryIfDirty(): void {
    if (!this.dirDirty) return;
    this.dirDirty = false;
    this.track(io.syncDirectory(this.dir));
  }

  /**
   * Raise the recovery point to `end` once everything that must be durable before it is: the
   * fsyncs of rolled segments still running, directory fsyncs, snapshots, epoch checkpoints.
   * Not when the log was truncated since `end` was read (`truncations` then differs): the
   * offsets below `end` may hold other batches by now, not synced.
   */
  private advanceRecoveryPoint(end: number, truncations: number): void {
    if (this.pending.size === 0) {
      if (end > this._recoveryPoint && truncations === this.truncations) this._recoveryPoint = end;
      return;
    }
    void Promise.all([...this.pending]).then(() => {
      if (end > this._recoveryPoint && truncations === this.truncations) this._recoveryPoint = end;
    }, () => {});
  }

  private maybeRoll(incomingBytes: number, lastOffset: number): void {
    const active = this.active;
    if (active.isEmpty) return;
    const full = active.size + incomingBytes > this.config.segmentBytes;
    const old = active.rollStartMs >= 0 && Date.now() - active.rollStartMs >= this.config.segmentMs;
    // Relative offsets in the index are int32.
    const overflow = lastOffset - active.baseOffset > 0x7fffffff;
    if (full || old || overflow) this.roll();
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private segmentOptions() {
    return { indexIntervalBytes: this.config.indexIntervalBytes, preallocateBytes: Math.min(this.config.preallocateBytes, this.config.segmentBytes) };
  }

  /** Delete every segment and continue empty from `offset`. */
  private restartAt(offset: number): void {
    for (const s of this.segments) s.delete();
    this.dirty.clear();
    this.segments = [Segment.create(this.dir, offset, this.segmentOptions())];
    this._startOffset = offset;
    this.dirDirty = true;
    // Nothing of the old log is left to describe (Kafka's truncateFullyAndStartAt clears both).
    this.producers.deleteSnapshots(() => true);
    this.producers.clear();
    if (this.epochs.clear()) this.track(this.epochs.persist());
  }

  private reactivateLast(): void {
    const last = this.segments.pop()!;
    last.close();
    const { segment } = Segment.open(this.dir, last.baseOffset, this.segmentOptions(), true, false);
    this.segments.push(segment);
  }

  /**
   * Start the interval flush the appends in `nextFlush` wait for, or set a timer for it: at most
   * every intervalMs, counted from the start of the last one.
   *
   * A timer alone fires only when the event loop turns, which appends made back to back (a
   * producer's pipeline) keep it from doing: writes and fsyncs would take turns. So a flush also
   * starts here, synchronously: when the last one completes (`resume`), when the timer is an
   * interval late, and when the flush before is still running; its fdatasyncs then queue on the
   * flusher thread behind the running ones and start the moment those finish, without waiting
   * for this thread to hear of it (as the native flusher serves flush 'always'). It settles only
   * after the one before, so the recovery point and acknowledgements stay in order; a third
   * waits for the first to settle.
   */
  private armFlush(intervalMs: number, resume = false): void {
    if (this.flushesRunning >= 2) return; // the first one's completion arms the next
    const now = performance.now();
    const due = this.lastFlushAt + intervalMs;
    if (this.flushing !== null || resume) {
      if (now >= due) {
        this.startFlush(false).catch(() => {}); // its failure reaches the waiters and the next flush
        return;
      }
      if (this.flushing !== null) return; // its completion arms the next
    }
    if (this.flushTimer === null) {
      this.flushDueAt = Math.max(now, due);
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        if (this.flushing === null && this.nextFlush !== null) this.startFlush(false).catch(() => {});
      }, this.flushDueAt - now);
    } else if (now >= this.flushDueAt + intervalMs) {
      this.startFlush(false).catch(() => {});
    }
  }

  /**
   * Sync every segment written since the last flush (the active one, those rolled meanwhile) and
   * what `pending` holds, then advance the recovery point and answer the appends waiting for it.
   * `full` (sync, close) also covers every segment's indexes.
   */
  private async flushNow(full = false): Promise<void> {
    // After the flushes running now (it covers more than they do, and `full` more still).
    this.flushCallers++;
    try {
      while (this.flushing !== null) await this.flushing.catch(() => {});
    } finally {
      this.flushCallers--;
    }
    await this.startFlush(full);
  }

  /** Start a flush now (see `armFlush` and `flushNow` for when). */
  private startFlush(full: boolean): Promise<void> {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const segments = new Set(this.dirty);
    segments.add(this.active);
    this.dirty.clear();
    const answered = this.nextFlush;
    this.nextFlush = null;
    const end = this.endOffset;
    const truncations = this.truncations;
    this.flushStartedAt = end;
    this.lastFlushAt = performance.now();
    const work: Promise<void>[] = [...this.pending];
    // A flush still running covers segments this one does not: this one settles after it.
    if (this.flushing !== null) work.push(this.flushing);
    for (const s of segments) work.push(s.sync());
    if (full) for (const s of this.segments) work.push(s.syncIndexes());
    this.flushesRunning++;
    const settle = (err: Error | undefined): void => {
      this.flushesRunning--;
      if (this.flushing === run) {
        this.flushing = null;
        this.running = null;
      }
      if (err === undefined && end > this._recoveryPoint && truncations === this.truncations) this._recoveryPoint = end;
      // The next interval flush starts here, before the appends just answered go on appending,
      // so that it runs while they write (unless a flushNow caller waits to start its own).
      const flush = this.config.flush;
      if (this.nextFlush !== null && this.flushCallers === 0 && !this.closed && typeof flush === 'object' && flush.intervalMs !== undefined) this.armFlush(flush.intervalMs, true);
      if (err === undefined) answered?.resolve();
      else answered?.reject(err);
    };
    const run = Promise.all(work).then(
      () => settle(undefined),
      (err: Error) => {
        settle(err);
        throw err;
      },
    );
    this.running = { end, done: run };
    this.flushing = run;
    run.catch(() => {}); // awaited through `flushing`, by `flushNow` and by `durable()`
    return run;
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError(`log ${this.name}`);
  }
}

function sameEpochEntries(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  return a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset);
}
