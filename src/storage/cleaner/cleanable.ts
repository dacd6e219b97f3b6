/**
 * How much of a log compaction could clean, and whether it is worth it (Kafka's LogToClean and
 * LogCleanerManager.cleanableOffsets):
 *
 * - the clean part is [log start, first dirty offset): compacted by an earlier pass, it holds at
 *   most one record per key (the cleaner checkpoint remembers where it ends);
 * - the cleanable dirty part is [first dirty, first uncleanable), where the first uncleanable
 *   offset is the earliest of the active segment, the last stable offset (an open transaction's
 *   records wait for its marker) and the first segment with a record newer than
 *   min.compaction.lag.ms, rounded down to the start of its segment;
 * - the dirty ratio is cleanable bytes / (clean + cleanable bytes), counted in whole segments;
 * - a log must be cleaned now, whatever its ratio, when a dirty segment's first batch is older
 *   than max.compaction.lag.ms.
 */
import { MAX_TIMESTAMP, readInt64 } from '../../format/batch-header.js';
import type { Log } from '../log.js';
import type { Segment } from '../segment.js';

export interface LogToClean {
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  cleanBytes: number;
  cleanableBytes: number;
  /** cleanableBytes / (cleanBytes + cleanableBytes); 0 for an empty log. */
  dirtyRatio: number;
  /** A dirty record is older than max.compaction.lag.ms. */
  needsCompactionNow: boolean;
}

/** The segment holding `offset` among `segments` (or the last one below it), -1 if none. */
function indexFor(segments: readonly Segment[], offset: number): number {
  let found = -1;
  for (let i = 0; i < segments.length && segments[i]!.baseOffset <= offset; i++) found = i;
  return found;
}

/** Max timestamp of a segment's first batch, -1 if it is empty or has none. */
function firstBatchTimestamp(segment: Segment): number {
  const slice = segment.read(segment.baseOffset, 0);
  return slice === null ? -1 : readInt64(slice.view, MAX_TIMESTAMP);
}

/** `checkpoint` as a first dirty offset: the log start when missing or outside the log (Kafka resets it there). */
export function firstDirtyOffset(log: Log, checkpoint: number | undefined): number {
  return checkpoint === undefined || checkpoint < log.startOffset || checkpoint > log.endOffset ? log.startOffset : checkpoint;
}

export function logToClean(log: Log, firstDirty: number, now: number): LogToClean {
  const sealed = log.sealedSegments();
  const bases = log.segmentBaseOffsets();
  const activeBase = bases[bases.length - 1]!;
  const { minCompactionLagMs, maxCompactionLagMs } = log.config;
  let uncleanable = Math.min(activeBase, log.lastStableOffset);
  const dirtyFrom = Math.max(indexFor(sealed, firstDirty), 0);
  if (minCompactionLagMs > 0) {
    for (let i = dirtyFrom; i < sealed.length; i++) {
      if (sealed[i]!.largestTimestamp > now - minCompactionLagMs) {
        uncleanable = Math.min(uncleanable, sealed[i]!.baseOffset);
        break;
      }
    }
  }
  // Whole segments: the first uncleanable one starts at its base.
  const holder = indexFor(sealed, uncleanable);
  if (uncleanable < activeBase && holder >= 0) uncleanable = sealed[holder]!.baseOffset;
  let cleanBytes = 0;
  let cleanableBytes = 0;
  let needsCompactionNow = false;
  const from = indexFor(sealed, Math.min(firstDirty, uncleanable));
  for (let i = 0; i < sealed.length; i++) {
    const s = sealed[i]!;
    if (s.baseOffset < firstDirty) cleanBytes += s.size;
    if (i >= Math.max(from, 0) && s.baseOffset < uncleanable && firstDirty < uncleanable) cleanableBytes += s.size;
  }
  if (maxCompactionLagMs < Number.MAX_SAFE_INTEGER && firstDirty < uncleanable) {
    for (let i = dirtyFrom; i < sealed.length && sealed[i]!.baseOffset < uncleanable; i++) {
      const ts = firstBatchTimestamp(sealed[i]!);
      if (ts > 0 && ts < now - maxCompactionLagMs) {
        needsCompactionNow = true;
        break;
      }
    }
  }
  const total = cleanBytes + cleanableBytes;
  return { firstDirtyOffset: firstDirty, firstUncleanableOffset: uncleanable, cleanBytes, cleanableBytes, dirtyRatio: total === 0 ? 0 : cleanableBytes / total, needsCompactionNow };
}
