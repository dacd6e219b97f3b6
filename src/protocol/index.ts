/**
 * The Kafka wire protocol: primitives (Reader, Writer), frames and header versions, the
 * generated message codecs and the API-key table, error codes, and the consumer protocol.
 */
export * from './consumer-protocol.js';
export * from './error-codes.js';
export * from './errors.js';
export * from './frame.js';
export * from './messages/index.js';
export { Reader, ZERO_UUID, type RawTaggedField } from './reader.js';
export { EMPTY_BUFFER, type ApiCodec, type Complete } from './types.js';
export { REF_THRESHOLD, Writer } from './writer.js';
