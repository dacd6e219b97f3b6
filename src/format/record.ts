/** The record shapes of the public API: what callers append and what reads return. */

/** A header as Kafka stores it: keys may repeat, values may be null. */
export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** What a caller appends. Strings are written as UTF-8. */
export interface RecordInput {
  key?: Buffer | Uint8Array | string | null;
  value?: Buffer | Uint8Array | string | null;
  /** An array keeps order and repeated keys; an object is a shorthand for distinct keys. */
  headers?: ReadonlyArray<{ key: string; value: Buffer | Uint8Array | string | null }> | Readonly<Record<string, Buffer | Uint8Array | string | null>>;
  /** Milliseconds since the epoch; defaults to the time of the append. */
  timestamp?: number;
}

/** A record read back from a log. `key`, `value` and header values are views, not copies. */
export interface StoredRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}
