/**
 * Errors of the protocol layer. Decoders never throw anything else: a short, truncated or
 * hostile frame ends as a `ProtocolDecodeError` (Kafka `INVALID_REQUEST`, or `CORRUPT_MESSAGE`
 * when the caller says so), which the connection answers by closing that one connection.
 */
import { KafkaErrorCode, StrandError } from '../errors.js';

/** A frame could not be decoded: truncated, a length or count past the end, a bad varint. */
export class ProtocolDecodeError extends StrandError {
  constructor(
    message: string,
    /** Byte offset inside the decoded buffer where decoding failed. */
    readonly position: number,
    kafkaCode: KafkaErrorCode = KafkaErrorCode.INVALID_REQUEST,
  ) {
    super(message, 'ERR_STRAND_PROTOCOL_DECODE', kafkaCode);
  }
}

/** A value cannot be written at the requested version (e.g. null in a non-nullable field). */
export class ProtocolEncodeError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_PROTOCOL_ENCODE', KafkaErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

/** An API key or version that this broker does not implement. */
export class UnsupportedVersionError extends StrandError {
  constructor(
    readonly apiKey: number,
    readonly apiVersion: number,
  ) {
    super(`unsupported API key ${apiKey} version ${apiVersion}`, 'ERR_STRAND_UNSUPPORTED_VERSION', KafkaErrorCode.UNSUPPORTED_VERSION);
  }
}
