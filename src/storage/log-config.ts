/**
 * Per-log settings, with Kafka's defaults and topic-level names in the comments. Validation
 * lives here so the embedded API and the broker reject the same bad values with one message.
 */
import { constants as bufferConstants } from 'node:buffer';
import { InvalidArgumentError } from '../errors.js';
import { type LogCompression, checkCompression } from './log-compression.js';

/**
 * When appended data is fsynced, and when an append counts as durable (`durable()`, the
 * `append()` promise, acks=all in the broker):
 *
 * - `'none'`: never by policy (only `sync()`, `close()` and rolls fsync); acknowledged at once.
 * - `'always'`: every append is fsynced (group commit: concurrent appends share one fdatasync)
 *   and acknowledged once the fsync covering it completes. Kafka's `flush.messages=1`.
 * - `{ intervalMs }`: a group fsync at most every `intervalMs` (Kafka's `flush.ms`); appends are
 *   acknowledged once the fsync that covers them completes.
 * - `{ messages }`: a group fsync starts once `messages` messages (offsets) were appended since
 *   the last one started (Kafka's `flush.messages`). As in Kafka this only bounds how much is
 *   unflushed: appends are acknowledged at once, the fsync runs in the background (on the
 *   flusher thread). `{ messages: 1 }` means `'always'` and is normalized to it.
 * - `{ intervalMs, messages }`: both triggers; acknowledged as with `intervalMs` (once an fsync
 *   covers the append, whichever trigger started it).
 *
 * At least one of `intervalMs` and `messages` must be set.
 */
export type FlushPolicy = 'none' | 'always' | { intervalMs?: number; messages?: number };

/**
 * cleanup.policy: 'delete' removes old segments by retention.ms / retention.bytes, 'compact'
 * keeps the latest record of each key (the log cleaner, src/storage/cleaner), both does both;
 * 'none' (an empty list) does neither.
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete' | 'none';
export const CLEANUP_POLICIES: readonly CleanupPolicy[] = ['delete', 'compact', 'compact,delete', 'none'];

export interface LogConfig {
  /** segment.bytes: roll the active segment when it would grow past this. Kafka: 1 GiB. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment is older than this. Kafka: 7 days. */
  segmentMs: number;
  /** index.interval.bytes: bytes of log between offset index entries. Kafka: 4096. */
  indexIntervalBytes: number;
  /** retention.ms: delete whole segments older than this; -1 keeps them. Kafka: 7 days. */
  retentionMs: number;
  /** retention.bytes: delete oldest segments while the log is larger; -1 unlimited. */
  retentionBytes: number;
  /** max.message.bytes: largest batch accepted. Kafka: 1048588. */
  maxMessageBytes: number;
  /** When appends are fsynced and count as durable (see FlushPolicy). Kafka: flush.messages / flush.ms. */
  flush: FlushPolicy;
  /** Disk reserved up front for the active segment (grown as needed). */
  preallocateBytes: number;
  /** compression.type: codec appended batches are stored in; 'producer' (Kafka's default) keeps theirs. */
  compression: LogCompression;
  /** compression.gzip.level (KIP-390): level of the gzip the log writes, 1-9; -1 is zlib's default (6). Kafka: -1. */
  compressionGzipLevel: number;
  /** compression.zstd.level (KIP-390): level of the zstd the log writes, -131072..22. Kafka: 3. */
  compressionZstdLevel: number;
  /**
   * Largest size the records of one compressed batch may decompress to; larger batches are
   * refused (DecompressedTooLargeError, INVALID_RECORD) before the excess is inflated. -1 (the
   * default) derives it from maxMessageBytes, see `decompressionLimit`. strand's own setting:
   * Kafka has none.
   */
  maxDecompressedBytes: number;
  /** producer.id.expiration.ms: forget idempotent producers idle this long. Kafka: 1 day. */
  producerIdExpirationMs: number;
  /** cleanup.policy. Kafka: 'delete'. */
  cleanupPolicy: CleanupPolicy;
  /** min.cleanable.dirty.ratio: share of the log not yet compacted that makes it worth cleaning. Kafka: 0.5. */
  minCleanableDirtyRatio: number;
  /** delete.retention.ms: how long a tombstone (and a transaction marker) outlives its first cleaning. Kafka: 1 day. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: records newer than this are not compacted. Kafka: 0. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a record older than this is compacted whatever the dirty ratio. Kafka: never. */
  maxCompactionLagMs: number;
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  maxMessageBytes: 1048588,
  flush: 'none',
  // Small, and grown geometrically as the segment fills: an idle partition (there are 50 of
  // __consumer_offsets alone) should not hold megabytes of disk.
  preallocateBytes: 1024 * 1024,
  compression: 'producer',
  compressionGzipLevel: -1,
  compressionZstdLevel: 3,
  maxDecompressedBytes: -1,
  producerIdExpirationMs: 24 * 3600 * 1000,
  cleanupPolicy: 'delete',
  minCleanableDirtyRatio: 0.5,
  deleteRetentionMs: 24 * 3600 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
});

/** Smallest segment Kafka allows (LegacyRecord.RECORD_OVERHEAD_V0 + 0; 14 bytes); we need a header. */
const MIN_SEGMENT_BYTES = 1024;
const MAX_SEGMENT_BYTES = 2 ** 31 - 1;

function int(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

/** -1 (a default chosen elsewhere) or an integer in [min, max]. */
function minusOneOr(name: string, value: unknown, min: number, max: number): void {
  if (value === -1) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be -1 or an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

export function resolveLogConfig(options: Partial<LogConfig> = {}): LogConfig {
  const c: LogConfig = { ...DEFAULT_LOG_CONFIG, ...stripUndefined(options) };
  int('segmentBytes', c.segmentBytes, MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
  int('segmentMs', c.segmentMs, 1);
  int('indexIntervalBytes', c.indexIntervalBytes, 0);
  int('retentionMs', c.retentionMs, -1);
  int('retentionBytes', c.retentionBytes, -1);
  int('maxMessageBytes', c.maxMessageBytes, 0);
  int('preallocateBytes', c.preallocateBytes, 0);
  checkCompression(c.compression);
  minusOneOr('compressionGzipLevel', c.compressionGzipLevel, 1, 9);
  int('compressionZstdLevel', c.compressionZstdLevel, -131072, 22);
  minusOneOr('maxDecompressedBytes', c.maxDecompressedBytes, 1, BUFFER_MAX);
  int('producerIdExpirationMs', c.producerIdExpirationMs, 1);
  if ((c.cleanupPolicy as string) === 'delete,compact') c.cleanupPolicy = 'compact,delete';
  if (!CLEANUP_POLICIES.includes(c.cleanupPolicy)) throw new InvalidArgumentError(`cleanupPolicy must be one of ${CLEANUP_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${String(c.cleanupPolicy)}`);
  if (typeof c.minCleanableDirtyRatio !== 'number' || !(c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1)) {
    throw new InvalidArgumentError(`minCleanableDirtyRatio must be a number in [0, 1], got ${String(c.minCleanableDirtyRatio)}`);
  }
  int('deleteRetentionMs', c.deleteRetentionMs, 0);
  int('minCompactionLagMs', c.minCompactionLagMs, 0);
  int('maxCompactionLagMs', c.maxCompactionLagMs, 1);
  c.flush = checkFlush(c.flush);
  return c;
}

/** A valid FlushPolicy, normalized (`{ messages: 1 }` is 'always'; undefined fields dropped). */
function checkFlush(f: unknown): FlushPolicy {
  if (f === 'none' || f === 'always') return f;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) {
    throw new InvalidArgumentError(`flush must be 'none', 'always' or { intervalMs?, messages? }, got ${typeof f === 'string' ? JSON.stringify(f) : String(f)}`);
  }
  const { intervalMs, messages, ...rest } = f as { intervalMs?: unknown; messages?: unknown };
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new InvalidArgumentError(`flush has unknown field ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected intervalMs and/or messages`);
  if (intervalMs === undefined && messages === undefined) throw new InvalidArgumentError('flush must set intervalMs, messages or both');
  const out: { intervalMs?: number; messages?: number } = {};
  if (intervalMs !== undefined) out.intervalMs = int('flush.intervalMs', intervalMs, 0);
  if (messages !== undefined) out.messages = int('flush.messages', messages, 1);
  if (out.messages === 1) return 'always';
  return out;
}

const BUFFER_MAX = bufferConstants.MAX_LENGTH;

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
