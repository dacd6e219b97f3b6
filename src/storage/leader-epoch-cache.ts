/**
 * The leader epochs of one partition and the offset each began at (Kafka's LeaderEpochFileCache,
 * KIP-101 / KIP-279): what a leader answers OffsetForLeaderEpoch with, and what a follower
 * truncates by. Entries are kept in increasing epoch and non-decreasing start offset order.
 *
 * File: `leader-epoch-checkpoint` in the partition directory, Kafka's text format:
 *
 *   0           <- format version
 *   2           <- number of entries
 *   3 0         <- epoch startOffset, one per line, oldest first
 *   5 1200
 *
 * Written whole, off the event loop, atomically and durably (io.writeFileAtomic: temp file,
 * fsync, rename, directory fsync). Writes are coalesced: at most one runs and one waits, and the
 * one waiting serialises the entries as they are when it starts. Kafka writes on `assign`
 * synchronously; here the log keeps the write among the work its recovery point waits for, so
 * no offset is checkpointed as recovered before the epochs of the batches below it are on disk,
 * and an unclean open re-learns the epochs of everything after the recovery point from the
 * batches themselves.
 *
 * Used from one JS thread.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../errors.js';
import { io } from '../io/index.js';
import { logger } from '../logger.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

/** Kafka's OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/** The entries of a checkpoint file's text, or a description of what is wrong with it. */
export function parseEpochCheckpoint(text: string): EpochEntry[] | string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) return 'empty file';
  if (lines[0] !== '0') return `unknown version ${JSON.stringify(lines[0])}`;
  if (lines[1] === undefined || !/^\d+$/.test(lines[1])) return `bad entry count ${JSON.stringify(lines[1])}`;
  const count = Number(lines[1]);
  if (lines.length !== 2 + count) return `${lines.length - 2} entries where the header says ${count}`;
  const entries: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const m = /^(\d+) (\d+)$/.exec(lines[2 + i]!);
    if (m === null) return `line ${3 + i} is malformed: ${JSON.stringify(lines[2 + i])}`;
    const entry = { epoch: Number(m[1]), startOffset: Number(m[2]) };
    const prev = entries[entries.length - 1];
    if (entry.epoch > 0x7fffffff || !Number.isSafeInteger(entry.startOffset)) return `line ${3 + i} is out of range`;
    if (prev !== undefined && (entry.epoch <= prev.epoch || entry.startOffset < prev.startOffset)) return `line ${3 + i} is out of order`;
    entries.push(entry);
  }
  return entries;
}

export function formatEpochCheckpoint(entries: readonly EpochEntry[]): string {
  let text = `0\n${entries.length}\n`;
  for (const e of entries) text += `${e.epoch} ${e.startOffset}\n`;
  return text;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  /** The write started last, while it runs or waits for the one before. */
  private lastWrite: Promise<void> | null = null;
  /** A write queued behind the running one, not started yet: later changes join it. */
  private queued: Promise<void> | null = null;
  private cancelled = false;

  private constructor(readonly path: string, private readonly name: string) {}

  /**
   * The cache of the partition directory `dir` as its checkpoint has it. `problem` says why the
   * file could not be used (it is then empty, and the log rebuilds it from its batches); a
   * missing file is an empty cache without a problem.
   */
  static load(dir: string, name: string): { cache: LeaderEpochCache; problem: string | null } {
    const cache = new LeaderEpochCache(join(dir, LEADER_EPOCH_CHECKPOINT), name);
    if (!existsSync(cache.path)) return { cache, problem: null };
    let parsed: EpochEntry[] | string;
    try {
      parsed = parseEpochCheckpoint(readFileSync(cache.path, 'utf8'));
    } catch (err) {
      parsed = (err as Error).message;
    }
    if (typeof parsed === 'string') {
      logger.warn({ file: cache.path, reason: parsed }, `leader epoch cache of ${name}: ignoring ${cache.path} (${parsed}); rebuilding it from the log`);
      return { cache, problem: parsed };
    }
    cache.entries = parsed;
    return { cache, problem: null };
  }

  /** An empty cache writing to `dir` (tests, and callers with no file yet). */
  static empty(dir: string, name: string): LeaderEpochCache {
    return new LeaderEpochCache(join(dir, LEADER_EPOCH_CHECKPOINT), name);
  }

  /** The entries, oldest first (a copy). */
  epochEntries(): EpochEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The latest epoch, -1 when there is none. */
  get latestEpoch(): number {
    return this.entries.length === 0 ? UNDEFINED_EPOCH : this.entries[this.entries.length - 1]!.epoch;
  }

  /** The latest entry, or null. */
  latestEntry(): EpochEntry | null {
    const e = this.entries[this.entries.length - 1];
    return e === undefined ? null : { ...e };
  }

  /**
   * Record that `epoch` began at `startOffset`; returns whether the cache changed. As Kafka's
   * assign: nothing happens when `epoch` is the latest epoch and `startOffset` is not below its
   * start; otherwise every entry from the end with an epoch >= `epoch` or a start offset >=
   * `startOffset` is removed (a warning names them unless it is just the latest epoch moving
   * down or being replaced at the same offset) and the entry is added. Call `persist()` after.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0x7fffffff || !Number.isSafeInteger(startOffset) || startOffset < 0) {
      throw new InvalidArgumentError(`${this.name}: invalid leader epoch entry (epoch ${epoch}, start offset ${startOffset})`);
    }
    const latest = this.entries[this.entries.length - 1];
    if (latest !== undefined && latest.epoch === epoch && startOffset >= latest.startOffset) return false;
    let keep = this.entries.length;
    while (keep > 0 && (this.entries[keep - 1]!.epoch >= epoch || this.entries[keep - 1]!.startOffset >= startOffset)) keep--;
    const removed = this.entries.splice(keep);
    if (removed.length > 1 || (removed.length === 1 && removed[0]!.startOffset !== startOffset)) {
      logger.warn({ partition: this.name, epoch, startOffset, removed }, `leader epoch cache of ${this.name}: new entry (${epoch}, ${startOffset}) removed conflicting entries ${removed.map((e) => `(${e.epoch}, ${e.startOffset})`).join(' ')}`);
    }
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /**
   * Kafka's LeaderEpochFileCache.endOffsetFor: the largest epoch <= `requestedEpoch` and the
   * offset it ended at, which is the start offset of the next higher epoch, or `logEndOffset`
   * when `requestedEpoch` is the latest. Both -1 (UNDEFINED) when `requestedEpoch` is -1, when
   * the cache is empty, or when it is above every known epoch. Below the first epoch, Kafka
   * answers (`requestedEpoch`, start of the first epoch): that data is gone from the log, and a
   * follower should replicate from the leader's start.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (this.latestEpoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    // The first entry with an epoch above the requested one (Kafka's higherEntry).
    let higher = 0;
    while (higher < this.entries.length && this.entries[higher]!.epoch <= requestedEpoch) higher++;
    if (higher === this.entries.length) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const next = this.entries[higher]!;
    if (higher === 0) return { epoch: requestedEpoch, endOffset: next.startOffset };
    return { epoch: this.entries[higher - 1]!.epoch, endOffset: next.startOffset };
  }

  /** The epoch of the batch holding `offset` (Kafka's epochForOffset), -1 when unknown. */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.entries) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  /** Remove the entries that start at or after `endOffset` (the log was truncated there); returns whether any went. */
  truncateFromEnd(endOffset: number): boolean {
    if (endOffset < 0) return false;
    let keep = this.entries.length;
    while (keep > 0 && this.entries[keep - 1]!.startOffset >= endOffset) keep--;
    if (keep === this.entries.length) return false;
    this.entries.length = keep;
    return true;
  }

  /**
   * The log now starts at `startOffset`: entries that start at or before it go, except the last
   * of them, which now starts at `startOffset` (Kafka's truncateFromStart: exclusive, an entry
   * at exactly `startOffset` is kept as it is). Returns whether anything changed.
   */
  truncateFromStart(startOffset: number): boolean {
    if (startOffset < 0) return false;
    let covered = 0;
    while (covered < this.entries.length && this.entries[covered]!.startOffset <= startOffset) covered++;
    if (covered === 0) return false;
    const first = this.entries[covered - 1]!;
    if (covered === 1 && first.startOffset === startOffset) return false;
    this.entries.splice(0, covered, { epoch: first.epoch, startOffset });
    return true;
  }

  /** Remove every entry; returns whether there were any. */
  clear(): boolean {
    if (this.entries.length === 0) return false;
    this.entries = [];
    return true;
  }

  /**
   * Write the entries to the checkpoint, off the event loop. Resolves once a write that started
   * after this call is durable; never rejects (a failure is a warning, and the next change
   * writes again; the log still rebuilds what a lost write had from its batches).
   */
  persist(): Promise<void> {
    if (this.queued !== null) return this.queued;
    const before = this.lastWrite ?? Promise.resolve();
    const write: Promise<void> = before.then(async () => {
      if (this.queued === write) this.queued = null;
      if (this.cancelled) return;
      try {
        await io.writeFileAtomic(this.path, formatEpochCheckpoint(this.entries), 'checkpoint');
      } catch (err) {
        if (this.cancelled) return; // the partition was deleted under the write
        logger.warn({ file: this.path, err }, `leader epoch cache of ${this.name}: could not write ${this.path}`);
      }
    });
    this.queued = write;
    this.lastWrite = write;
    void write.then(() => {
      if (this.lastWrite === write) this.lastWrite = null;
    });
    return write;
  }

  /** Resolves once the writes started or queued so far are done. */
  async flushed(): Promise<void> {
    while (this.lastWrite !== null) await this.lastWrite;
  }

  /** Drop writes not started yet: the partition directory is going away (or was renamed). */
  cancelWrites(): void {
    this.cancelled = true;
  }
}
