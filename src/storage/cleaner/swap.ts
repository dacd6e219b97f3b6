/**
 * Putting a cleaned segment in place of the segments it was made from, crash-safely, and
 * finishing or rolling back an interrupted swap when a log is opened (Kafka's
 * LocalLog.replaceSegments and the swap handling of LogLoader).
 *
 * The cleaner's task writes `<base>.log.cleaned` (and `.index.cleaned`, `.timeindex.cleaned`,
 * `.txnindex.cleaned`), fsynced, `<base>` being the first replaced segment's base offset. Then,
 * synchronously on the log's thread:
 *
 *   1. the index files `.cleaned` → `.swap`, then the log file: once `<base>.log.swap` exists
 *      the new segment is complete and the swap will be finished whatever happens;
 *   2. every file of the replaced segments → `.deleted`;
 *   3. `<base>.log.swap` → `<base>.log`, then its index files;
 *   4. the log switches to the new segment, closes the old ones and removes the `.deleted` files.
 *
 * On open (`recoverInterruptedClean`), before segments are listed:
 *
 * - `.deleted` files are removed (step 4 was cut short);
 * - with a `<base>.log.swap` (a crash in step 1 after its rename, 2 or 3): the segment files
 *   whose base offset lies in the swap segment's range [base, its next offset) and are not part of
 *   the swap are removed (what step 2 had not renamed yet), and the swap files renamed (step 3);
 * - an index `.swap` without its `.log.swap`: with the `.log.cleaned` still there, step 1 had not
 *   reached the log file (the swap is abandoned: removed); without it, step 3 had renamed the log
 *   file already (the index file is renamed too);
 * - `.cleaned` files are removed (a swap that had not started).
 *
 * The new files' data is fsynced before step 1 (by the task that wrote them), so every rename
 * finds complete files; the renames themselves are not fsynced one by one (a directory fsync
 * can stall for ~100 ms under load, and this runs on the event loop): after a power loss the
 * directory shows the state of its last fsync, or on a journaling file system a prefix of the
 * sequence, each state of which is handled below. Then, off the event loop, the directory is
 * fsynced BEFORE the `.deleted` files are removed (so the old data is only unlinked once the
 * new segment's names are durable) and once more after (so the removals are).
 *
 * Segments completed from a swap have their offset and time indexes rebuilt by the caller.
 * Every state the directory can be in after a SIGKILL is thus either the old segments or the new
 * one, never a mix that loses a record the old ones had and the new one needs.
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { io } from '../../io/index.js';
import { logger } from '../../logger.js';
import { BASE_OFFSET, LAST_OFFSET_DELTA, readInt64 } from '../../format/batch-header.js';
import { SegmentBatchReader } from '../../workers/clean-io.js';
import {
  CLEANED_SUFFIX, DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, SWAP_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, offsetFileStem,
} from '../file-names.js';
import type { Log } from '../log.js';
import { Segment } from '../segment.js';

/** Per-segment file kinds, the log file last. */
const INDEX_KINDS = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX] as const;
const KINDS = [...INDEX_KINDS, LOG_SUFFIX] as const;

/** Where a swap stands, for tests that crash the process at each step. */
export type SwapStep = 'cleaned' | 'swap' | 'deleted' | 'renamed' | 'done';

/** The paths of a segment's files (`.log`, `.index`, ...) with `suffix` appended. */
export function segmentFilePaths(dir: string, baseOffset: number, suffix = ''): { log: string; index: string; timeIndex: string; txnIndex: string } {
  const stem = join(dir, offsetFileStem(baseOffset));
  return { log: stem + LOG_SUFFIX + suffix, index: stem + INDEX_SUFFIX + suffix, timeIndex: stem + TIME_INDEX_SUFFIX + suffix, txnIndex: stem + TXN_INDEX_SUFFIX + suffix };
}

function filesOf(dir: string, baseOffset: number, suffix = ''): string[] {
  const stem = join(dir, offsetFileStem(baseOffset));
  return KINDS.map((k) => stem + k + suffix);
}

/** Remove the `.cleaned` files of a cleaning that will not be swapped in. */
export function removeCleaned(dir: string, baseOffset: number): void {
  for (const path of filesOf(dir, baseOffset, CLEANED_SUFFIX)) rmSync(path, { force: true });
}

function renameIfExists(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replace `group` (consecutive sealed segments of `log`) by the cleaned segment written at
 * `<group[0].baseOffset>.*.cleaned`. Returns null, touching nothing, when the log no longer
 * holds the group (retention or a truncation removed some of it meanwhile) or is closed; else
 * a promise of the removal of the replaced files.
 */
export function swapIn(log: Log, group: readonly Segment[], onStep?: (step: SwapStep) => void): Promise<void> | null {
  const dir = log.dir;
  const base = group[0]!.baseOffset;
  const done = log.replaceSegments(group, () => {
    onStep?.('cleaned');
    // 1. .cleaned → .swap, the log file last.
    for (const kind of KINDS) {
      const stem = join(dir, offsetFileStem(base)) + kind;
      renameIfExists(stem + CLEANED_SUFFIX, stem + SWAP_SUFFIX);
    }
    onStep?.('swap');
    // 2. The replaced segments' files → .deleted.
    for (const s of group) for (const path of filesOf(dir, s.baseOffset)) renameIfExists(path, path + DELETED_SUFFIX);
    onStep?.('deleted');
    // 3. .swap → final names, the log file first.
    for (const kind of [LOG_SUFFIX, ...INDEX_KINDS]) {
      const stem = join(dir, offsetFileStem(base)) + kind;
      renameIfExists(stem + SWAP_SUFFIX, stem);
    }
    onStep?.('renamed');
    return Segment.open(dir, base, { indexIntervalBytes: log.config.indexIntervalBytes, preallocateBytes: 0 }, false, false).segment;
  });
  if (!done) return null;
  // 4. The old files, off this thread (unlinking a large file takes tens of ms); views of them
  // stay readable (see Segment.delete). A crash before this ends leaves `.deleted` files that the
  // next open removes.
  const removed = io.syncDirectory(dir)
    .then(() => Promise.all(group.flatMap((s) => filesOf(dir, s.baseOffset, DELETED_SUFFIX).map((path) => rm(path, { force: true })))))
    .then(() => io.syncDirectory(dir))
    .then(() => undefined, (err: unknown) => logger.warn({ err, dir }, 'cleaner: could not make the swap durable or remove a replaced segment file'));
  onStep?.('done');
  return removed;
}

/** Offset after the last batch of a (complete, fsynced) segment file. */
function nextOffsetOf(path: string, baseOffset: number): number {
  const reader = new SegmentBatchReader(path, statSync(path).size);
  let next = baseOffset;
  try {
    while (reader.advance()) next = readInt64(reader.buffer, reader.pos + BASE_OFFSET) + reader.buffer.readInt32BE(reader.pos + LAST_OFFSET_DELTA) + 1;
  } finally {
    reader.close();
  }
  return next;
}

function parse(name: string, suffix: string): { base: number; kind: string } | null {
  if (!name.endsWith(suffix)) return null;
  const m = /^(\d{20})(\.[a-z]+)$/.exec(name.slice(0, -suffix.length));
  return m === null ? null : { base: Number(m[1]), kind: m[2]! };
}

/**
 * Finish or roll back a swap a crash interrupted in `dir` (see the top of this file). Returns
 * the base offsets of segments completed from a swap: their indexes must be rebuilt.
 */
export function recoverInterruptedClean(dir: string): Set<number> {
  const rebuild = new Set<number>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return rebuild;
    throw err;
  }
  const cleanedLogs = new Set<number>();
  const swapLogs: number[] = [];
  const indexSwaps: Array<{ base: number; kind: string; name: string }> = [];
  for (const name of names) {
    if (name.endsWith(DELETED_SUFFIX)) {
      rmSync(join(dir, name), { force: true });
      continue;
    }
    const cleaned = parse(name, CLEANED_SUFFIX);
    if (cleaned?.kind === LOG_SUFFIX) cleanedLogs.add(cleaned.base);
    const swap = parse(name, SWAP_SUFFIX);
    if (swap === null) continue;
    if (swap.kind === LOG_SUFFIX) swapLogs.push(swap.base);
    else indexSwaps.push({ ...swap, name });
  }
  for (const base of swapLogs) {
    const swapPath = join(dir, offsetFileStem(base) + LOG_SUFFIX + SWAP_SUFFIX);
    const end = Math.max(nextOffsetOf(swapPath, base), base + 1);
    for (const name of names) {
      const m = /^(\d{20})\.(log|index|timeindex|txnindex)$/.exec(name);
      if (m === null) continue;
      const b = Number(m[1]);
      if (b >= base && b < end) rmSync(join(dir, name), { force: true });
    }
    for (const kind of [LOG_SUFFIX, ...INDEX_KINDS]) {
      const stem = join(dir, offsetFileStem(base)) + kind;
      renameIfExists(stem + SWAP_SUFFIX, stem);
    }
    rebuild.add(base);
    logger.warn({ dir, baseOffset: base, replacedUpTo: end }, `recovery: completed the interrupted swap of cleaned segment ${offsetFileStem(base)} in ${dir}`);
  }
  for (const s of indexSwaps) {
    if (swapLogs.includes(s.base)) continue;
    const path = join(dir, s.name);
    if (cleanedLogs.has(s.base)) {
      rmSync(path, { force: true });
    } else {
      renameIfExists(path, path.slice(0, -SWAP_SUFFIX.length));
      rebuild.add(s.base);
    }
  }
  for (const name of readdirSync(dir)) if (name.endsWith(CLEANED_SUFFIX)) rmSync(join(dir, name), { force: true });
  if (existsSync(dir) && (swapLogs.length > 0 || indexSwaps.length > 0)) fsyncDir(dir);
  return rebuild;
}
