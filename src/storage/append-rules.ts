/**
 * Rules a log applies to what is appended, derived from its LogConfig: the bound on decompressed
 * batches, keys for compacted logs, and the compression levels of KIP-390. The broker's produce
 * path and the embedded API go through the same `Log` methods, so both apply them.
 */
import { constants as bufferConstants } from 'node:buffer';
import { Compression } from '../format/batch-header.js';
import { keylessError } from '../format/record-batch.js';
import type { RecordInput } from '../format/record.js';
import type { LogConfig } from './log-config.js';

const BUFFER_MAX = bufferConstants.MAX_LENGTH;
const MIB = 1024 * 1024;

/**
 * The bound on one compressed batch's decompressed records: `maxDecompressedBytes`, or by
 * default the larger of 64 MiB and 64 × max.message.bytes (at most 1 GiB, at least
 * max.message.bytes). Kafka bounds only the compressed bytes (max.message.bytes), but its
 * broker reads compressed records as a stream, one record at a time; strand inflates a batch's
 * records whole to validate and recompress them in one pass, so it needs a bound on that
 * buffer. 64 × leaves ample room for real records (text and JSON compress well under 20×),
 * while a batch of zeros (gzip reaches about 1000×, zstd far more) is refused; the pool holds at
 * most one such buffer per thread, plus one on the event loop for small inputs.
 */
export function decompressionLimit(c: Pick<LogConfig, 'maxDecompressedBytes' | 'maxMessageBytes'>): number {
  if (c.maxDecompressedBytes > 0) return c.maxDecompressedBytes;
  return Math.min(BUFFER_MAX, Math.max(64 * MIB, Math.min(64 * c.maxMessageBytes, 1024 * MIB), c.maxMessageBytes));
}

/** A compacted log refuses keyless records, as Kafka's LogValidator does: the cleaner could never keep them. */
export function keysRequired(c: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return c.cleanupPolicy === 'compact' || c.cleanupPolicy === 'compact,delete';
}

/** The level the log compresses codec `codec` with (KIP-390); undefined for the codec's default or one without levels. */
export function compressionLevel(c: Pick<LogConfig, 'compressionGzipLevel' | 'compressionZstdLevel'>, codec: number): number | undefined {
  if (codec === Compression.gzip) return c.compressionGzipLevel < 0 ? undefined : c.compressionGzipLevel;
  if (codec === Compression.zstd) return c.compressionZstdLevel;
  return undefined;
}

/**
 * Refuse records without a key for a compacted log (`Log.append`, which encodes the batch itself
 * and so has no validation walk to do it in), listing every one with Kafka's messages.
 */
export function checkRecordKeys(records: readonly RecordInput[], where: string): void {
  let keyless: number[] | null = null;
  for (let i = 0; i < records.length; i++) {
    const key = records[i]!.key;
    if (key === null || key === undefined) (keyless ??= []).push(i);
  }
  if (keyless !== null) throw keylessError(where, keyless);
}
