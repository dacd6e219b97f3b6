/** The Kafka error-code table lives beside the typed errors (src/error-codes.ts); the protocol layer re-exports it. */
export * from '../error-codes.js';
