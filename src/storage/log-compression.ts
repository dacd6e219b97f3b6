/**
 * A log's `compression` setting (Kafka's topic-level `compression.type`) applied to appends:
 * records are encoded with the log's codec, producer batches are recompressed to it (as a Kafka
 * broker does when the topic's type differs from the batch's) and compressed batches are
 * deep-validated, in the worker pool when they are large (`src/workers`).
 *
 * Work in the pool finishes out of order, but a log applies appends in call order: each append
 * takes a turn, its compression starts at once, and it is applied only after every earlier append
 * was applied (or failed).
 */
import { InvalidArgumentError } from '../errors.js';
import { COMPRESSION_MASK, BATCH_LENGTH, LOG_OVERHEAD, ATTRIBUTES, RECORDS } from '../format/batch-header.js';
import { codecId } from '../format/codecs.js';
import { type EncodeBatchOptions, encodeBatch } from '../format/record-batch.js';
import type { RecordInput } from '../format/record.js';
import { defaultBatchPool } from '../workers/pool.js';
import { compressionLevel, decompressionLimit, keysRequired } from './append-rules.js';
import type { LogConfig } from './log-config.js';

/** How a log stores appended batches: as sent ('producer', the default) or in one codec ('none' = Kafka's 'uncompressed'). */
export type LogCompression = 'producer' | 'none' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const LOG_COMPRESSIONS: readonly LogCompression[] = ['producer', 'none', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'];

export function checkCompression(value: unknown): LogCompression {
  if (!LOG_COMPRESSIONS.includes(value as LogCompression)) {
    throw new InvalidArgumentError(`compression must be one of ${LOG_COMPRESSIONS.map((c) => `'${c}'`).join(', ')}, got ${String(value)}`);
  }
  return value as LogCompression;
}

/** Codec id appended batches are stored with; -1 for 'producer'. */
export function storedCodec(compression: LogCompression): number {
  return compression === 'producer' ? -1 : codecId(compression);
}

/** The batch encoded from `records`, in codec `codec` (uncompressed for -1 and 0) at the log's level for it. */
export function encodeForAppend(records: readonly RecordInput[], codec: number, options: EncodeBatchOptions, config: LogConfig): Promise<Buffer> {
  if (codec <= 0) return Promise.resolve(encodeBatch(records, options));
  const level = compressionLevel(config, codec);
  return defaultBatchPool().compress(records, codec, { encode: options, ...(level === undefined ? {} : { level }) });
}

/** True when appending `bytes` to a log storing `codec` needs more than `validateBatches`: some batch is compressed, or in another codec. */
export function needsBatchWork(bytes: Buffer, codec: number): boolean {
  for (let pos = 0; pos + RECORDS <= bytes.length; pos += bytes.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD) {
    const c = bytes.readInt16BE(pos + ATTRIBUTES) & COMPRESSION_MASK;
    if (c !== 0 || (codec > 0 && c !== codec)) return true;
  }
  return false;
}

/**
 * Producer batches deep-validated (keys too for a compacted log, decompressed sizes within
 * `decompressionLimit`) and, unless `codec` is -1, recompressed to it at the log's level for it;
 * one decompression each.
 */
export async function prepareBatchForAppend(bytes: Buffer, codec: number, where: string, config: LogConfig): Promise<Buffer> {
  const checks = { where, maxDecompressedBytes: decompressionLimit(config), ...(keysRequired(config) ? { keysRequired: true } : {}) };
  if (codec < 0) return (await defaultBatchPool().validate(bytes, checks)).bytes;
  const level = compressionLevel(config, codec);
  return defaultBatchPool().recompress(bytes, codec, { validate: checks, ...(level === undefined ? {} : { level }) });
}

/** Applies appends in call order while their compression runs concurrently. */
export class OrderedAppends {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** No append is waiting for its turn: the next one may apply at once. */
  get idle(): boolean {
    return this.pending === 0;
  }

  /** Run `apply` on the result of `work` (already started) once every earlier submission has been applied or has failed. */
  submit<T>(work: Promise<Buffer>, apply: (batch: Buffer) => T): Promise<T> {
    work.catch(() => {}); // its failure is reported by `turn`, in its turn
    this.pending++;
    const turn = this.tail.then(() => work).then(apply);
    const done = () => {
      this.pending--;
    };
    this.tail = turn.then(done, done);
    return turn;
  }

  /** Resolves when every submitted append has been applied or has failed. */
  drain(): Promise<void> {
    return this.tail.then(() => {});
  }
}
