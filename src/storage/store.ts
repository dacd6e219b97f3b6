/**
 * A data directory of partition logs, `<data-dir>/<topic>-<partition>/`, with one lock, one
 * clean-shutdown marker and the recovery-point / log-start-offset checkpoints for all of them
 * (Kafka's LogManager), and the high watermarks in `replication-offset-checkpoint` (Kafka's
 * ReplicaManager keeps that one; it is written with the others here). Logs are opened on start;
 * new ones are created on demand.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClosedError, InvalidArgumentError, StorageIOError, StrandError, KafkaErrorCode } from '../errors.js';
import { io } from '../io/index.js';
import { logger } from '../logger.js';
import { type CheckpointEntries, REPLICATION_OFFSET_CHECKPOINT, checkpointKey, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { CompactResult } from './cleaner/clean-log.js';
import { type CleanOptions, LogCleaner, type LogCleanerOptions } from './cleaner/log-cleaner.js';
import { DirectoryState } from './dir-state.js';
import { DELETE_DIR_SUFFIX, parsePartitionDirName, partitionDirName } from './file-names.js';
import type { LogConfig } from './log-config.js';
import { Log } from './log.js';

export interface StoreOptions {
  /** Defaults for every log; per-partition options override them. */
  defaults?: Partial<LogConfig>;
  /** Per-topic overrides consulted when a log is opened (e.g. stored topic configs). */
  topicConfig?: (topic: string) => Partial<LogConfig> | undefined;
  /** How often to write the checkpoints while open, in ms (Kafka: 60 s). 0 disables. */
  checkpointIntervalMs?: number;
  /**
   * Compact the logs whose cleanup.policy includes 'compact' in the background (Kafka's
   * log.cleaner.enable, which the broker turns on by default). Off by default here: call
   * `clean()`, or pass true or the cleaner's settings.
   */
  cleaner?: boolean | LogCleanerOptions;
}

export interface PartitionRef {
  topic: string;
  partition: number;
}

/** Kafka's legal topic names: [a-zA-Z0-9._-], 1..249 characters, not "." or "..". */
export function checkTopicName(topic: string): void {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > 249 || topic === '.' || topic === '..' || !/^[a-zA-Z0-9._-]+$/.test(topic)) {
    throw new StrandError(`topic name ${JSON.stringify(topic)} is illegal: use 1 to 249 of [a-zA-Z0-9._-], not "." or ".."`, 'ERR_STRAND_INVALID_TOPIC', KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
  }
}

export class Store {
  private readonly logs = new Map<string, Log>();
  private closed = false;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private cleaner: LogCleaner | null = null;
  /** Removals of renamed (`-delete`) directories and the checkpoint writes deletions start; close waits for them. */
  private readonly background = new Set<Promise<void>>();
  private checkpointQueued = false;
  /** The checkpointed high watermarks, read at open; each log takes its own when it is loaded. */
  private highWatermarks: CheckpointEntries = new Map();

  private constructor(readonly dir: string, private readonly state: DirectoryState, private readonly options: StoreOptions) {}

  /** Open (creating) a data directory and every partition log in it. */
  static async open(dir: string, options: StoreOptions = {}): Promise<Store> {
    const state = await DirectoryState.open(dir);
    const store = new Store(dir, state, options);
    try {
      store.highWatermarks = readHighWatermarks(dir);
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (!statSync(path).isDirectory()) continue;
        if (name.endsWith(DELETE_DIR_SUFFIX)) {
          rmSync(path, { recursive: true, force: true }); // a deletion interrupted by a crash
          continue;
        }
        const ref = parsePartitionDirName(name);
        if (ref === null) continue;
        store.load(ref.topic, ref.partition);
        // One partition's recovery at a time: between them the process answers what is waiting
        // (an orchestrator's /health and /ready probes while a large directory is recovered).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      for (const log of store.logs.values()) log.closeNow();
      state.abandon();
      throw err;
    }
    const cleaner = options.cleaner ?? false;
    store.cleaner = new LogCleaner(dir, () => store.logs.entries(), typeof cleaner === 'object' ? cleaner : {});
    if (cleaner !== false) store.cleaner.start();
    if (!state.cleanShutdown && store.logs.size > 0) logger.info({ dir, partitions: store.logs.size }, 'recovered data directory after an unclean shutdown');
    const interval = options.checkpointIntervalMs ?? 60_000;
    if (interval > 0) {
      store.checkpointTimer = setInterval(() => void store.writeCheckpoints(), interval);
      store.checkpointTimer.unref();
    }
    return store;
  }

  /** The log of a partition; with `create`, made if missing. Null if missing otherwise. */
  async partition(topic: string, partition: number, options: { create?: boolean; config?: Partial<LogConfig> } = {}): Promise<Log | null> {
    return this.partitionSync(topic, partition, options);
  }

  /** Synchronous form of `partition`, for the broker's request handlers. */
  partitionSync(topic: string, partition: number, options: { create?: boolean; config?: Partial<LogConfig> } = {}): Log | null {
    this.checkOpen();
    const existing = this.logs.get(checkpointKey(topic, partition));
    if (existing !== undefined) return existing;
    if (!options.create) return null;
    checkTopicName(topic);
    if (!Number.isInteger(partition) || partition < 0) throw new InvalidArgumentError(`partition must be a non-negative integer, got ${partition}`);
    return this.load(topic, partition, options.config);
  }

  /** Every partition in the store. */
  list(): PartitionRef[] {
    return [...this.logs.keys()].map((k) => {
      const [topic, p] = k.split(' ');
      return { topic: topic!, partition: Number(p) };
    });
  }

  /**
   * Close and remove a partition's log and its directory, as Kafka's LogManager.asyncDelete
   * does. Everything that frees the name happens synchronously, before any other request can run:
   * the directory is renamed to `<topic>-<partition>.<32 hex>-delete`, the log leaves the store
   * and is closed, and its queued producer snapshots are cancelled. A partition created under the
   * same name right after gets a new, empty directory; the two never share one, and the new one
   * never inherits the old one's checkpointed offsets. Resolves (true) once the rename is durable;
   * the files are removed later in the background, by the renamed path only, and a crash before
   * that leaves a `-delete` directory that the next open removes.
   */
  deletePartition(topic: string, partition: number): Promise<boolean> {
    try {
      this.checkOpen();
      const key = checkpointKey(topic, partition);
      const log = this.logs.get(key);
      if (log === undefined) return Promise.resolve(false);
      // A random suffix, as Kafka's uuid: two deletions of one name never pick the same directory.
      const doomed = `${log.dir}.${randomBytes(16).toString('hex')}${DELETE_DIR_SUFFIX}`;
      // Snapshot writes queued but not started would go to the path, which may be the new
      // partition's directory by then (this also unlinks the snapshot files, which are going anyway).
      log.producers.deleteSnapshots(() => true);
      // Renamed before the log leaves the store: if that fails, the name stays taken.
      try {
        renameSync(log.dir, doomed);
      } catch (err) {
        throw new StorageIOError(`cannot delete partition ${topic}-${partition}: renaming ${log.dir} to ${doomed} failed: ${(err as Error).message}`, log.dir, { cause: err });
      }
      this.logs.delete(key);
      this.state.recoveryPoints.delete(key);
      this.state.logStartOffsets.delete(key);
      this.highWatermarks.delete(key);
      log.closeNow(); // also aborts a compaction in progress
      this.runInBackground((async () => {
        // The aborted compaction may still be writing in the (renamed) directory.
        await log.stopCompaction();
        await rm(doomed, { recursive: true, force: true, maxRetries: 3 });
      })().catch((err: unknown) => logger.warn({ err, dir: doomed }, `could not remove ${doomed}; the next start removes it`)));
      // Kafka checkpoints right after a deletion too: a checkpoint that still named the old
      // partition would hand its offsets to a new one after a crash.
      this.checkpointSoon();
      return io.syncDirectory(this.dir).then(() => true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Compact now: the filthiest log that needs it (as the background cleaner does each round),
   * or with `force` every log whose cleanup.policy includes 'compact'. Returns what each pass did.
   */
  async clean(options: CleanOptions = {}): Promise<CompactResult[]> {
    this.checkOpen();
    return this.cleaner!.clean(options);
  }

  /** Apply retention to every log; returns the number of segments deleted. */
  applyRetention(now = Date.now()): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.applyRetention(now);
    return n;
  }

  /**
   * Write the recovery-point and log-start-offset checkpoints now (off the event loop; each log's
   * recovery point only covers what is durable). Never rejects: a failure is logged, and the
   * next write (or the clean shutdown) tries again.
   */
  async writeCheckpoints(): Promise<void> {
    if (this.closed) return;
    const [rp, lso] = this.checkpoints();
    const hw = this.highWatermarkEntries();
    const results = await Promise.allSettled([this.state.writeCheckpoints(rp, lso), writeCheckpoint(join(this.dir, REPLICATION_OFFSET_CHECKPOINT), hw)]);
    for (const r of results) if (r.status === 'rejected') logger.warn({ err: r.reason as unknown, dir: this.dir }, 'could not write the checkpoints');
  }

  /** Flush and close every log, write the checkpoints and the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.checkpointTimer !== null) clearInterval(this.checkpointTimer);
    await this.cleaner?.stop();
    await Promise.all([...this.logs.values()].map((l) => l.close()));
    await Promise.all([...this.background]);
    const [rp, lso] = this.checkpoints();
    const hw = this.highWatermarkEntries();
    this.closed = true;
    // Before the clean-shutdown marker, which closeCleanly writes last.
    await writeCheckpoint(join(this.dir, REPLICATION_OFFSET_CHECKPOINT), hw).catch((err: unknown) => logger.warn({ err, dir: this.dir }, 'could not write the high watermark checkpoint'));
    await this.state.closeCleanly(rp, lso);
  }

  /** Write the checkpoints once for all the deletions of this turn of the event loop. */
  private checkpointSoon(): void {
    if (this.checkpointQueued) return;
    this.checkpointQueued = true;
    queueMicrotask(() => {
      this.checkpointQueued = false;
      this.runInBackground(this.writeCheckpoints());
    });
  }

  private runInBackground(work: Promise<void>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  private checkpoints(): [CheckpointEntries, CheckpointEntries] {
    const rp: CheckpointEntries = new Map();
    const lso: CheckpointEntries = new Map();
    for (const [key, log] of this.logs) {
      rp.set(key, log.recoveryPoint);
      lso.set(key, log.startOffset);
    }
    return [rp, lso];
  }

  private highWatermarkEntries(): CheckpointEntries {
    const hw: CheckpointEntries = new Map();
    for (const [key, log] of this.logs) hw.set(key, log.highWatermark);
    return hw;
  }

  private load(topic: string, partition: number, config?: Partial<LogConfig>): Log {
    const key = checkpointKey(topic, partition);
    const log = Log.load(join(this.dir, partitionDirName(topic, partition)), `${topic}-${partition}`, { ...this.options.defaults, ...this.options.topicConfig?.(topic), ...config }, {
      recoveryPoint: this.state.recoveryPoints.get(key) ?? 0,
      logStartOffset: this.state.logStartOffsets.get(key) ?? 0,
      cleanShutdown: this.state.cleanShutdown,
      highWatermark: this.highWatermarks.get(key),
    });
    this.logs.set(key, log);
    return log;
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError(`store ${this.dir}`);
  }
}

/**
 * The high watermarks checkpointed in `dir`. A damaged file is a warning, not a failure to open:
 * a high watermark is only an optimisation for the first fetches after a restart (a leader
 * computes it again from its followers' positions, a follower takes its leader's), so the logs
 * start from their start offsets instead, as Kafka's do for a partition missing from the file.
 */
function readHighWatermarks(dir: string): CheckpointEntries {
  const path = join(dir, REPLICATION_OFFSET_CHECKPOINT);
  try {
    return readCheckpoint(path);
  } catch (err) {
    logger.warn({ err, file: path }, `ignoring the high watermark checkpoint ${path}: ${(err as Error).message}`);
    return new Map();
  }
}
