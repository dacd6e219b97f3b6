/**
 * strand's typed errors. Every failure a caller can act on has its own class, carries the
 * Kafka error code where one applies (so the broker can answer with it unchanged), and names
 * the file, topic, partition or offset it concerns.
 */

import { ErrorCode } from './error-codes.js';

/** Kafka protocol error codes (org.apache.kafka.common.protocol.Errors), the one table of them. */
export const KafkaErrorCode = ErrorCode;
export type KafkaErrorCode = ErrorCode;

/** Base class of every error strand throws on purpose. */
export class StrandError extends Error {
  /** Stable machine-readable name, e.g. `ERR_STRAND_CORRUPT_BATCH`. */
  readonly code: string;
  /** The Kafka protocol error code a broker answers with for this failure. */
  readonly kafkaCode: KafkaErrorCode;

  constructor(message: string, code = 'ERR_STRAND', kafkaCode: KafkaErrorCode = KafkaErrorCode.UNKNOWN_SERVER_ERROR, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.kafkaCode = kafkaCode;
  }
}

/** A record batch failed validation: bad length, magic, CRC, count or offset deltas. */
export class CorruptBatchError extends StrandError {
  constructor(message: string, readonly position?: number) {
    super(message, 'ERR_STRAND_CORRUPT_BATCH', KafkaErrorCode.CORRUPT_MESSAGE);
  }
}

/** One refused record of a batch: its index in the batch and why (Kafka's ProduceResponse.RecordError). */
export interface RecordError {
  batchIndex: number;
  message: string;
}

/**
 * A batch is well formed but breaks a rule of the log (e.g. record count vs offset deltas, a
 * keyless record for a compacted topic), and nothing of it is appended. `recordErrors` lists
 * every record the rule refused, when the rule concerns records one by one: Kafka's produce
 * response reports them in record_errors, and clients fail those records and retry the others.
 */
export class InvalidRecordError extends StrandError {
  constructor(message: string, readonly recordErrors: readonly RecordError[] = []) {
    super(message, 'ERR_STRAND_INVALID_RECORD', KafkaErrorCode.INVALID_RECORD);
  }

  /** The error for a batch refused for `errors` (at least one), with Kafka's message (LogValidator.processRecordErrors). */
  static forRecords(errors: readonly RecordError[]): InvalidRecordError {
    const shown = errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.message}')`).join(', ');
    return new InvalidRecordError(`One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown}]`, errors);
  }
}

/**
 * A compressed batch whose records decompress to more than the log accepts (a decompression
 * bomb), refused before the excess is inflated. INVALID_RECORD rather than CORRUPT_MESSAGE: the
 * CRC matched, so the producer built the batch this way, and Kafka clients retry
 * CORRUPT_MESSAGE but give up on INVALID_RECORD, which is what this batch deserves.
 */
export class DecompressedTooLargeError extends StrandError {
  constructor(message: string, readonly limit: number) {
    super(message, 'ERR_STRAND_DECOMPRESSED_TOO_LARGE', KafkaErrorCode.INVALID_RECORD);
  }
}

/** An offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends StrandError {
  constructor(readonly offset: number, readonly startOffset: number, readonly endOffset: number, where: string) {
    super(`offset ${offset} is out of range [${startOffset}, ${endOffset}] in ${where}`, 'ERR_STRAND_OFFSET_OUT_OF_RANGE', KafkaErrorCode.OFFSET_OUT_OF_RANGE);
  }
}

/** A record or batch larger than the log accepts. */
export class RecordTooLargeError extends StrandError {
  constructor(readonly size: number, readonly limit: number, where: string) {
    super(`batch of ${size} bytes exceeds the limit of ${limit} bytes in ${where}`, 'ERR_STRAND_RECORD_TOO_LARGE', KafkaErrorCode.MESSAGE_TOO_LARGE);
  }
}

/** An operation on a log, segment or store after `close()`. */
export class ClosedError extends StrandError {
  constructor(what: string) {
    super(`${what} is closed`, 'ERR_STRAND_CLOSED', KafkaErrorCode.KAFKA_STORAGE_ERROR);
  }
}

/** A data directory already locked by another process (Kafka's `.lock`). */
export class DirectoryLockedError extends StrandError {
  constructor(readonly dir: string, detail: string) {
    super(`${dir} is locked by another process (${detail}); stop that process or use another directory`, 'ERR_STRAND_LOCKED', KafkaErrorCode.KAFKA_STORAGE_ERROR);
  }
}

/** A caller passed an argument that can never be valid (negative offset, bad option). */
export class InvalidArgumentError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_INVALID_ARGUMENT', KafkaErrorCode.INVALID_REQUEST);
  }
}

/** A failure of the file layer (open, map, write, sync), naming the file. */
export class StorageIOError extends StrandError {
  constructor(message: string, readonly path?: string, options?: ErrorOptions) {
    super(message, 'ERR_STRAND_IO', KafkaErrorCode.KAFKA_STORAGE_ERROR, options);
  }
}

/** The native addon or the portable backend could not be loaded. */
export class BackendUnavailableError extends StrandError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_STRAND_BACKEND', KafkaErrorCode.UNKNOWN_SERVER_ERROR, options);
  }
}
