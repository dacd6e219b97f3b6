/**
 * The records of `__transaction_state`, byte for byte as Kafka 3.9 writes and reads them
 * (TransactionLogKey / TransactionLogValue), so Kafka's tools understand strand's and the other
 * way round. Keys and values start with an int16 version.
 *
 * Key, version 0:  transactionalId string
 *
 * Value (a null value is a tombstone: the transactional id expired):
 *   v0: producerId int64, producerEpoch int16, transactionTimeoutMs int32, transactionStatus int8,
 *       transactionPartitions nullable array of { topic string, partitionIds array of int32 },
 *       transactionLastUpdateTimestampMs int64, transactionStartTimestampMs int64
 *   v1: v0 in the flexible encoding (compact strings and arrays, tagged fields; Kafka 4's tags
 *       0 PreviousProducerId int64, 1 NextProducerId int64, 2 ClientTransactionVersion int16)
 *   Kafka 3.9 writes v0; strand does too and reads both.
 *
 * The partition list is null for Empty and present (maybe empty) in every other state.
 * Strings are int16-length UTF-8 and arrays int32-count in v0, all big-endian.
 */
import { ProtocolDecodeError } from '../../protocol/errors.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';

export const TXN_KEY_VERSION = 0;
export const TXN_VALUE_VERSION = 0;

export interface TxnLogValue {
  producerId: number;
  /** Kafka 4 (v1 tag 0); -1 when absent. */
  previousProducerId: number;
  producerEpoch: number;
  timeoutMs: number;
  status: number;
  /** Null only in the Empty state. */
  partitions: Array<{ topic: string; partitions: number[] }> | null;
  lastUpdateTimestamp: number;
  startTimestamp: number;
}

function fail(what: string, r: Reader): never {
  throw r.error() ?? new ProtocolDecodeError(`${what}: malformed record`, r.pos);
}

export function encodeTxnLogKey(transactionalId: string): Buffer {
  const w = new Writer(4 + transactionalId.length * 3);
  w.int16(TXN_KEY_VERSION);
  w.string(transactionalId);
  return w.toBuffer();
}

/** The transactional id of a key, or null for a key version this broker does not know. */
export function decodeTxnLogKey(buf: Buffer): string | null {
  const r = new Reader(buf);
  const version = r.int16();
  if (!r.ok) fail('transaction log key', r);
  if (version !== TXN_KEY_VERSION) return null;
  const id = r.string();
  if (!r.ok) fail('transaction log key', r);
  return id;
}

export function encodeTxnLogValue(v: TxnLogValue): Buffer {
  const w = new Writer(64);
  w.int16(TXN_VALUE_VERSION);
  w.int64(BigInt(v.producerId));
  w.int16(v.producerEpoch);
  w.int32(v.timeoutMs);
  w.int8(v.status);
  if (v.partitions === null) w.int32(-1);
  else {
    w.int32(v.partitions.length);
    for (const t of v.partitions) {
      w.string(t.topic);
      w.int32(t.partitions.length);
      for (const p of t.partitions) w.int32(p);
    }
  }
  w.int64(BigInt(v.lastUpdateTimestamp));
  w.int64(BigInt(v.startTimestamp));
  return w.toBuffer();
}

export function decodeTxnLogValue(buf: Buffer): TxnLogValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (!r.ok) fail('transaction log value', r);
  if (version !== 0 && version !== 1) throw new ProtocolDecodeError(`unknown transaction log value version ${version}`, 0);
  const flexible = version >= 1;
  const producerId = Number(r.int64());
  const producerEpoch = r.int16();
  const timeoutMs = r.int32();
  const status = r.int8();
  const n = flexible ? r.compactNullableArrayLength() : r.nullableArrayLength();
  let partitions: TxnLogValue['partitions'] = null;
  if (n >= 0) {
    partitions = [];
    for (let i = 0; i < n && r.ok; i++) {
      const topic = flexible ? r.compactString() : r.string();
      const m = flexible ? r.compactArrayLength() : r.arrayLength();
      const ids: number[] = [];
      for (let j = 0; j < m && r.ok; j++) ids.push(r.int32());
      if (flexible) r.taggedFields();
      partitions.push({ topic, partitions: ids });
    }
  }
  const lastUpdateTimestamp = Number(r.int64());
  const startTimestamp = Number(r.int64());
  let previousProducerId = -1;
  if (flexible) {
    for (const t of r.taggedFields() ?? []) {
      if (t.tag === 0 && t.data.length === 8) previousProducerId = Number(t.data.readBigInt64BE(0));
    }
  }
  if (!r.ok) fail('transaction log value', r);
  return { producerId, previousProducerId, producerEpoch, timeoutMs, status, partitions, lastUpdateTimestamp, startTimestamp };
}
