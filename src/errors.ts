/**
 * strand's typed errors. Every failure a caller can act on has its own class, carries the
 * Kafka error code where one applies (so the broker can answer with it unchanged), and names
 * the file, topic, partition or offset it concerns.
 */

/** Kafka protocol error codes used by strand (subset of org.apache.kafka.common.protocol.Errors). */
export const KafkaErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  INVALID_REQUIRED_ACKS: 21,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  INVALID_CONFIG: 40,
  KAFKA_STORAGE_ERROR: 56,
  UNKNOWN_TOPIC_ID: 100,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const;
export type KafkaErrorCode = (typeof KafkaErrorCode)[keyof typeof KafkaErrorCode];

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

/** A batch is well formed but breaks a rule of the log (e.g. record count vs offset deltas). */
export class InvalidRecordError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_INVALID_RECORD', KafkaErrorCode.INVALID_RECORD);
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
