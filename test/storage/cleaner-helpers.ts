/** Reading a compacted log back whole, record by record and batch by batch, for the cleaner tests. */
import { ATTRIBUTES, BASE_OFFSET, BASE_TIMESTAMP, BATCH_LENGTH, COMPRESSION_MASK, CONTROL_MASK, DELETE_HORIZON_MASK, LAST_OFFSET_DELTA, LOG_OVERHEAD, PRODUCER_ID, RECORD_COUNT, readInt64 } from '../../src/format/batch-header.js';
import { readBatchRecords } from '../../src/format/record-batch.js';
import type { StoredRecord } from '../../src/format/record.js';
import type { Log } from '../../src/storage/log.js';

export interface BatchInfo {
  baseOffset: number;
  lastOffset: number;
  codec: number;
  control: boolean;
  count: number;
  producerId: number;
  horizon: number | null;
  records: StoredRecord[];
}

/** Every batch of the log from its start, control and empty ones included, with its records. */
export function allBatches(log: Log): BatchInfo[] {
  const out: BatchInfo[] = [];
  for (let offset = log.startOffset; offset < log.endOffset;) {
    const slice = log.readSlice(offset, 1 << 20);
    if (slice === null) break;
    const v = slice.view;
    for (let pos = 0; pos < v.length;) {
      const size = v.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
      const attributes = v.readInt16BE(pos + ATTRIBUTES);
      const records: StoredRecord[] = [];
      readBatchRecords(v, pos, size, records);
      out.push({
        baseOffset: readInt64(v, pos + BASE_OFFSET),
        lastOffset: readInt64(v, pos + BASE_OFFSET) + v.readInt32BE(pos + LAST_OFFSET_DELTA),
        codec: attributes & COMPRESSION_MASK,
        control: (attributes & CONTROL_MASK) !== 0,
        count: v.readInt32BE(pos + RECORD_COUNT),
        producerId: readInt64(v, pos + PRODUCER_ID),
        horizon: (attributes & DELETE_HORIZON_MASK) !== 0 ? readInt64(v, pos + BASE_TIMESTAMP) : null,
        records: records.map((r) => ({ ...r, key: r.key && Buffer.from(r.key), value: r.value && Buffer.from(r.value) })),
      });
      pos += size;
    }
    offset = slice.nextOffset;
  }
  return out;
}

/** Every data record from the log start (no control records). */
export function allRecords(log: Log): StoredRecord[] {
  return allBatches(log).filter((b) => !b.control).flatMap((b) => b.records);
}

/** `key=value` of each data record, `key=∅` for a tombstone. */
export function show(records: readonly StoredRecord[]): string[] {
  return records.map((r) => `${r.offset}:${r.key?.toString() ?? '-'}=${r.value === null ? '∅' : r.value.toString()}`);
}
