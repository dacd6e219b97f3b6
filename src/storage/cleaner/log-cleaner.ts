/**
 * The log cleaner of a data directory (Kafka's LogCleaner and LogCleanerManager): in the
 * background, it repeatedly picks the filthiest log whose cleanup.policy includes 'compact' and
 * compacts it (clean-log.ts), sleeping `log.cleaner.backoff.ms` when none needs it. A log is
 * eligible when its dirty ratio is above min.cleanable.dirty.ratio, when a dirty record is older
 * than max.compaction.lag.ms, or when the tombstones its last cleaning kept have reached their
 * delete horizon.
 *
 * Where each log's clean part ends is kept in `<data-dir>/cleaner-offset-checkpoint` (Kafka's
 * checkpoint format), written after every pass and on stop. An entry only applies to the log
 * that was open when the cleaner started: a partition deleted and created again starts dirty.
 *
 * A log whose cleaning fails is reported and left alone until the next start (Kafka marks it
 * uncleanable); the other logs go on being cleaned.
 */
import { join } from 'node:path';
import { logger } from '../../logger.js';
import type { BatchPool } from '../../workers/pool.js';
import { type CheckpointEntries, readCheckpoint, writeCheckpoint } from '../checkpoint.js';
import { CLEANER_OFFSET_CHECKPOINT } from '../file-names.js';
import type { Log } from '../log.js';
import { type LogToClean, firstDirtyOffset, logToClean } from './cleanable.js';
import type { CompactOptions, CompactResult } from './clean-log.js';

export interface LogCleanerOptions {
  /** log.cleaner.backoff.ms: sleep between checks when no log needs cleaning. Kafka: 15 s. */
  backoffMs?: number;
  /** log.cleaner.dedupe.buffer.size: offset map budget of a pass. */
  dedupeBufferBytes?: number;
  pool?: BatchPool;
}

export interface CleanOptions {
  /** Time to measure horizons and lags against; now by default. */
  now?: number;
  /** Clean every compacted log, dirty enough or not. */
  force?: boolean;
}

export class LogCleaner {
  private readonly checkpointPath: string;
  private readonly offsets = new WeakMap<Log, number>();
  private readonly horizons = new WeakMap<Log, number>();
  private readonly failed = new WeakSet<Log>();
  private readonly initial: WeakSet<Log>;
  private persisted: CheckpointEntries;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private current: Log | null = null;

  constructor(dir: string, private readonly logs: () => Iterable<[string, Log]>, private readonly options: LogCleanerOptions = {}) {
    this.checkpointPath = join(dir, CLEANER_OFFSET_CHECKPOINT);
    try {
      this.persisted = readCheckpoint(this.checkpointPath);
    } catch (err) {
      logger.warn({ err, path: this.checkpointPath }, 'cleaner: unreadable checkpoint, every compacted log starts dirty');
      this.persisted = new Map();
    }
    this.initial = new WeakSet([...logs()].map(([, log]) => log));
  }

  /** Start cleaning in the background. */
  start(): void {
    if (this.loop !== null || this.stopped) return;
    this.loop = this.run();
  }

  /** Stop the background cleaning (a pass in progress is aborted) and write the checkpoint. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.wake?.();
    const current = this.current;
    if (current !== null) await current.stopCompaction();
    await this.loop;
    await this.writeCheckpoint();
  }

  /** How dirty a log is, from the cleaner's checkpoint. */
  inspect(key: string, log: Log, now = Date.now()): LogToClean {
    return logToClean(log, this.firstDirty(key, log), now);
  }

  /**
   * One round of what the background cleaner does: compact the filthiest eligible log (or, with
   * `force`, every log with 'compact' in its cleanup.policy, once). Returns what each pass did.
   */
  async clean(options: CleanOptions = {}): Promise<CompactResult[]> {
    const now = options.now ?? Date.now();
    const results: CompactResult[] = [];
    if (options.force) {
      for (const [key, log] of [...this.logs()]) {
        if (!compacted(log) || this.stopped) continue;
        const r = await this.cleanOne(key, log, now);
        if (r !== null) results.push(r);
      }
      return results;
    }
    const filthiest = this.filthiest(now);
    if (filthiest !== null) {
      const r = await this.cleanOne(filthiest[0], filthiest[1], now);
      if (r !== null) results.push(r);
    }
    return results;
  }

  private filthiest(now: number): [string, Log] | null {
    let best: [string, Log] | null = null;
    let bestRatio = -1;
    for (const [key, log] of this.logs()) {
      if (!compacted(log) || this.failed.has(log)) continue;
      let c: LogToClean;
      try {
        c = this.inspect(key, log, now);
      } catch {
        continue; // closed meanwhile
      }
      const horizon = this.horizons.get(log) ?? -1;
      const eligible = (c.cleanableBytes > 0 && (c.dirtyRatio > log.config.minCleanableDirtyRatio || c.needsCompactionNow)) || (horizon >= 0 && horizon <= now);
      if (eligible && c.dirtyRatio > bestRatio) {
        best = [key, log];
        bestRatio = c.dirtyRatio;
      }
    }
    return best;
  }

  private firstDirty(key: string, log: Log): number {
    const known = this.offsets.get(log) ?? (this.initial.has(log) ? this.persisted.get(key) : undefined);
    return firstDirtyOffset(log, known);
  }

  private async cleanOne(key: string, log: Log, now: number): Promise<CompactResult | null> {
    this.current = log;
    try {
      const options: CompactOptions = { now, firstDirtyOffset: this.firstDirty(key, log) };
      if (this.options.pool !== undefined) options.pool = this.options.pool;
      if (this.options.dedupeBufferBytes !== undefined) options.dedupeBufferBytes = this.options.dedupeBufferBytes;
      const r = await log.compact(options);
      if (r.aborted) return r;
      this.offsets.set(log, r.cleanedTo);
      // A horizon already past (a marker kept for its transaction's data) must not trigger again.
      if (r.cleaned) this.horizons.set(log, r.latestDeleteHorizon > now ? r.latestDeleteHorizon : -1);
      await this.writeCheckpoint();
      if (r.cleaned) {
        logger.info({ log: r.log, cleanedTo: r.cleanedTo, dirtyRatio: Number(r.dirtyRatio.toFixed(3)), bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, recordsRead: r.recordsRead, recordsKept: r.recordsKept, ms: Math.round(r.durationMs) }, `cleaned log ${r.log}`);
      }
      return r;
    } catch (err) {
      if (this.stopped) return null;
      this.failed.add(log);
      logger.error({ err, log: log.name }, `cleaner: cleaning ${log.name} failed; it is left uncompacted until the next start`);
      return null;
    } finally {
      this.current = null;
    }
  }

  /** Write the checkpoint (durably, off the event loop); a failure is logged, not thrown. */
  private async writeCheckpoint(): Promise<void> {
    const entries: CheckpointEntries = new Map();
    for (const [key, log] of this.logs()) {
      const offset = this.offsets.get(log) ?? (this.initial.has(log) ? this.persisted.get(key) : undefined);
      if (offset !== undefined) entries.set(key, offset);
    }
    try {
      await writeCheckpoint(this.checkpointPath, entries);
    } catch (err) {
      logger.error({ err, path: this.checkpointPath }, 'cleaner: cannot write the checkpoint');
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      try {
        worked = (await this.clean()).some((r) => r.cleaned);
      } catch (err) {
        logger.error({ err }, 'cleaner: round failed');
      }
      if (this.stopped) break;
      if (!worked) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timer = setTimeout(resolve, this.options.backoffMs ?? 15_000);
          this.timer.unref();
        });
        this.timer = null;
        this.wake = null;
      }
    }
  }
}

function compacted(log: Log): boolean {
  return log.config.cleanupPolicy === 'compact' || log.config.cleanupPolicy === 'compact,delete';
}
