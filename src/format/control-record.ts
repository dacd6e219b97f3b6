/**
 * Transaction markers: the control batches a transaction coordinator writes to end a
 * transaction in a partition (Kafka's EndTransactionMarker and ControlRecordType). A marker is a
 * batch with the transactional and control attribute bits, the producer's id and epoch, no
 * sequence, and one record:
 *
 *   key:   version int16 (0) | type int16 (0 ABORT, 1 COMMIT)
 *   value: version int16 (0) | coordinatorEpoch int32
 *
 * Types 2-6 (KRaft's LEADER_CHANGE, SNAPSHOT_HEADER, ...) are control records too but not
 * transaction markers.
 */
import { ATTRIBUTES, BATCH_LENGTH, CONTROL_MASK, LOG_OVERHEAD, TRANSACTIONAL_MASK } from './batch-header.js';
import { encodeBatch, readBatchRecords } from './record-batch.js';
import type { StoredRecord } from './record.js';

export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;

export interface EndTxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
}

export interface EncodeMarkerOptions {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  /** Defaults to now. */
  timestamp?: number;
  partitionLeaderEpoch?: number;
}

/** A COMMIT or ABORT marker batch (offset 0; a log assigns the real one). */
export function encodeEndTxnMarker(options: EncodeMarkerOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(options.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(options.coordinatorEpoch, 2);
  return encodeBatch([{ key, value, timestamp: options.timestamp }], {
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: -1,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    attributes: TRANSACTIONAL_MASK | CONTROL_MASK,
  });
}

/**
 * The COMMIT/ABORT marker in the control batch at `pos`, or null when the batch is not a
 * control batch or holds another control record type. Throws CorruptBatchError if a marker's
 * record does not parse.
 */
export function readEndTxnMarker(buf: Buffer, pos: number): EndTxnMarker | null {
  if ((buf.readInt16BE(pos + ATTRIBUTES) & CONTROL_MASK) === 0) return null;
  const records: StoredRecord[] = [];
  readBatchRecords(buf, pos, buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD, records);
  const r = records[0];
  if (r === undefined || r.key === null || r.key.length < 4) return null;
  const type = r.key.readInt16BE(2);
  if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return null;
  const coordinatorEpoch = r.value !== null && r.value.length >= 6 ? r.value.readInt32BE(2) : -1;
  return { commit: type === ControlRecordType.COMMIT, coordinatorEpoch };
}
