/**
 * One compaction pass over one log (Kafka's Cleaner.doClean):
 *
 * 1. the dirty range [first dirty, first uncleanable) is found (cleanable.ts);
 * 2. a pool task maps each key of the dirty range to its latest offset (clean-task.ts), in a
 *    shared-memory map of at most `dedupeBufferBytes`; if the map fills up, the pass covers only
 *    the range it mapped and the next pass continues from there;
 * 3. the sealed segments from the start of the log up to the mapped end are cut into groups of
 *    at most segment.bytes, and each group is rewritten by a pool task into one `.cleaned`
 *    segment, then swapped in on this thread (swap.ts) before the next group starts.
 *
 * The log keeps serving reads and appends throughout: only sealed segments are read, and a swap
 * is synchronous. If the log changes under a pass (retention or a truncation removed a segment
 * of the group, or it was closed), the pass stops, removing its `.cleaned` files. The active
 * segment is never part of a pass.
 *
 * The pass ends at `cleanedTo`: the first dirty offset of the next pass (the cleaner
 * checkpoint).
 */
import { logger } from '../../logger.js';
import { type BatchPool, defaultBatchPool } from '../../workers/pool.js';
import { OffsetMap, prepareHasher } from '../../workers/clean-offset-map.js';
import type { BuildMapResult, CleanGroupResult, CleanSegmentRef, CleanTask, CleanTaskResult } from '../../workers/clean-task.js';
import { type TxnCleanState, emptyTxnState } from '../../workers/clean-txn.js';
import { rebuildError } from '../../workers/tasks.js';
import type { Log } from '../log.js';
import type { Segment } from '../segment.js';
import { firstDirtyOffset, logToClean } from './cleanable.js';
import { type SwapStep, removeCleaned, segmentFilePaths, swapIn } from './swap.js';

/** log.cleaner.dedupe.buffer.size: Kafka's default, 128 MiB (8 Mi keys here). */
export const DEFAULT_DEDUPE_BUFFER_BYTES = 128 * 1024 * 1024;

export interface CompactOptions {
  /** The time tombstone horizons and compaction lags are measured against; now by default. */
  now?: number;
  /**
   * Where the dirty part starts (the cleaner checkpoint). By default where this log's previous
   * compaction in this process stopped, else the log start.
   */
  firstDirtyOffset?: number;
  /** Offset map budget (Kafka's log.cleaner.dedupe.buffer.size). */
  dedupeBufferBytes?: number;
  /** Pool to run the tasks in; the process's shared pool by default. */
  pool?: BatchPool;
  /** Run the tasks on this thread (tests, benchmarks). */
  inline?: boolean;
  /** Called at each step of each swap (crash tests). */
  onSwapStep?: (step: SwapStep, baseOffset: number) => void;
}

export interface CompactResult {
  /** The log's name. */
  log: string;
  /** False when there was nothing to do, or the pass was aborted before its first swap. */
  cleaned: boolean;
  /** The pass was stopped (the log closed or changed under it) before its end. */
  aborted: boolean;
  firstDirtyOffset: number;
  /** First dirty offset for the next pass (the new cleaner checkpoint). */
  cleanedTo: number;
  dirtyRatio: number;
  /** Segments rewritten / written. */
  segmentsRead: number;
  segmentsWritten: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRead: number;
  recordsKept: number;
  /** Distinct keys in the dirty part. */
  keys: number;
  /** Largest delete horizon left on a kept batch (-1: none): cleaning again after it drops tombstones. */
  latestDeleteHorizon: number;
  durationMs: number;
}

/** Where each log's last pass stopped, for calls that do not pass a checkpoint. */
const lastCleanedTo = new WeakMap<Log, number>();

async function runTask<T extends CleanTaskResult>(pool: BatchPool, task: CleanTask, inline: boolean): Promise<T> {
  if (inline) await prepareHasher();
  const result = await pool.runTask({ op: 'clean', bytes: { buffer: new ArrayBuffer(0), offset: 0, length: 0 }, clean: task }, { inline });
  if (result.error) throw rebuildError(result.error);
  return result.clean as T;
}

function refs(segments: readonly Segment[]): CleanSegmentRef[] {
  return segments.map((s) => ({ path: s.path, size: s.size, baseOffset: s.baseOffset }));
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments while their total size stays within
 * segment.bytes and their offsets within an int32 of the group's base.
 */
export function groupSegments(segments: readonly Segment[], maxBytes: number): Segment[][] {
  const groups: Segment[][] = [];
  let i = 0;
  while (i < segments.length) {
    const group = [segments[i]!];
    let bytes = segments[i]!.size;
    i++;
    while (i < segments.length && bytes + segments[i]!.size <= maxBytes && segments[i]!.nextOffset - 1 - group[0]!.baseOffset <= 0x7fffffff) {
      bytes += segments[i]!.size;
      group.push(segments[i]!);
      i++;
    }
    groups.push(group);
  }
  return groups;
}

/** Start a pass over `log`; `abort()` stops it at the next batch boundary of its task or before its next swap. */
export function cleanLog(log: Log, options: CompactOptions = {}): { done: Promise<CompactResult>; abort: () => void } {
  const flag = new SharedArrayBuffer(4);
  const abort = () => Atomics.store(new Int32Array(flag), 0, 1);
  return { done: runPass(log, options, flag), abort };
}

async function runPass(log: Log, options: CompactOptions, flag: SharedArrayBuffer): Promise<CompactResult> {
  const started = performance.now();
  const now = options.now ?? Date.now();
  const pool = options.pool ?? defaultBatchPool();
  const inline = options.inline === true;
  const aborted = () => Atomics.load(new Int32Array(flag), 0) !== 0;
  const firstDirty = firstDirtyOffset(log, options.firstDirtyOffset ?? lastCleanedTo.get(log));
  const range = logToClean(log, firstDirty, now);
  const result: CompactResult = {
    log: log.name, cleaned: false, aborted: false, firstDirtyOffset: firstDirty, cleanedTo: firstDirty, dirtyRatio: range.dirtyRatio,
    segmentsRead: 0, segmentsWritten: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsKept: 0, keys: 0, latestDeleteHorizon: -1, durationMs: 0,
  };
  // The replaced files are removed off the event loop; the pass ends when they are gone.
  const removals: Array<Promise<void>> = [];
  const finish = async () => {
    await Promise.all(removals);
    result.durationMs = performance.now() - started;
    return result;
  };

  // 2. The offset map of the dirty range.
  let endOffset = firstDirty;
  const dirtySegments = log.sealedSegments().filter((s) => s.baseOffset < range.firstUncleanableOffset && s.nextOffset > firstDirty);
  const map = OffsetMap.allocate(Math.max(range.firstUncleanableOffset - firstDirty, 0), options.dedupeBufferBytes ?? DEFAULT_DEDUPE_BUFFER_BYTES);
  if (firstDirty < range.firstUncleanableOffset && dirtySegments.length > 0) {
    const mapped = await runTask<BuildMapResult>(pool, {
      kind: 'map', segments: refs(dirtySegments), startOffset: firstDirty, endOffset: range.firstUncleanableOffset,
      aborted: log.abortedTransactions(firstDirty, range.firstUncleanableOffset), map: map.shape, abort: flag,
    }, inline);
    if (mapped.aborted || aborted()) {
      result.aborted = true;
      return finish();
    }
    result.keys = mapped.keys;
    if (mapped.latestOffset >= firstDirty) endOffset = mapped.latestOffset + 1;
    if (mapped.full) logger.info({ log: log.name, keys: mapped.keys, upTo: endOffset }, 'cleaner: offset map full; this pass cleans up to where it reached');
  }

  // 3. Rewrite the groups, from the start of the log, and swap each in.
  const segments = log.sealedSegments();
  const toClean = segments.filter((s) => s.baseOffset < endOffset);
  const groups = groupSegments(toClean, log.config.segmentBytes);
  const producers: Array<[number, number, number]> = [];
  for (const p of log.producers.entries()) producers.push([p.producerId, p.batches[p.batches.length - 1]?.lastOffset ?? -1, p.epoch]);
  let txn: TxnCleanState = emptyTxnState();
  for (const group of groups) {
    if (aborted()) {
      result.aborted = true;
      return finish();
    }
    const base = group[0]!.baseOffset;
    const last = group[group.length - 1]!;
    const after = segments[segments.indexOf(last) + 1];
    const abortedTxns = log.abortedTransactions(base, after?.baseOffset ?? last.nextOffset);
    let cleaned: CleanGroupResult;
    try {
      cleaned = await runTask<CleanGroupResult>(pool, {
        kind: 'group', segments: refs(group), baseOffset: base, out: segmentFilePaths(log.dir, base, '.cleaned'),
        map: map.shape, mapLatestOffset: endOffset - 1, now, deleteRetentionMs: log.config.deleteRetentionMs,
        indexIntervalBytes: log.config.indexIntervalBytes, aborted: abortedTxns, txn, producers, abort: flag,
      }, inline);
    } catch (err) {
      removeCleaned(log.dir, base);
      throw err;
    }
    const before = group.reduce((n, s) => n + s.size, 0);
    const swapped = cleaned.aborted || aborted() ? null : swapIn(log, group, options.onSwapStep && ((step) => options.onSwapStep!(step, base)));
    if (swapped === null) {
      removeCleaned(log.dir, base);
      result.aborted = true;
      return finish();
    }
    removals.push(swapped);
    txn = cleaned.txn;
    result.cleaned = true;
    result.segmentsRead += group.length;
    result.segmentsWritten++;
    result.bytesRead += before;
    result.bytesWritten += cleaned.size;
    result.recordsRead += cleaned.recordsRead;
    result.recordsKept += cleaned.recordsKept;
    result.latestDeleteHorizon = Math.max(result.latestDeleteHorizon, cleaned.latestDeleteHorizon);
  }
  result.cleanedTo = endOffset;
  lastCleanedTo.set(log, endOffset);
  return finish();
}
