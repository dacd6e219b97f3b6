/**
 * Reading the record set of a Fetch response: whole batches only (a broker may cut the last one
 * short at `maxBytes`), CRC checked, control batches (transaction markers) skipped, and records
 * before the requested offset dropped (a fetch starts at the batch holding that offset).
 */
import { CorruptBatchError } from '../errors.js';
import { BASE_OFFSET, LAST_OFFSET_DELTA, readInt64 } from '../format/batch-header.js';
import { batchSizeAt, checkBatch, isControlBatch, readBatchRecords } from '../format/record-batch.js';
import type { StoredRecord } from '../format/record.js';

export interface DecodedRecords {
  records: StoredRecord[];
  /** Offset to fetch next: after the last whole batch, or `fromOffset` when there was none. */
  nextOffset: number;
  /** Whole batches read. 0 with a non-empty record set means the first batch was cut short. */
  batches: number;
}

/** Decode the records at or after `fromOffset` in a fetched record set. Throws CorruptBatchError on a bad CRC. */
export function decodeRecords(recordSet: Buffer, fromOffset: number, where = 'fetched records'): DecodedRecords {
  const records: StoredRecord[] = [];
  let nextOffset = fromOffset;
  let batches = 0;
  let pos = 0;
  while (pos < recordSet.length) {
    const size = batchSizeAt(recordSet, pos, recordSet.length);
    if (size < 0) break; // partial batch at the end
    const problem = checkBatch(recordSet, pos, size);
    const base = readInt64(recordSet, pos + BASE_OFFSET);
    if (problem !== null) throw new CorruptBatchError(`${where}: batch at offset ${base}: ${problem}`, pos);
    const last = base + recordSet.readInt32BE(pos + LAST_OFFSET_DELTA);
    if (last >= fromOffset && !isControlBatch(recordSet, pos)) {
      const start = records.length;
      readBatchRecords(recordSet, pos, size, records);
      if (base < fromOffset) {
        const keep = records.slice(start).filter((r) => r.offset >= fromOffset);
        records.length = start;
        records.push(...keep);
      }
    }
    nextOffset = Math.max(nextOffset, last + 1);
    batches++;
    pos += size;
  }
  return { records, nextOffset, batches };
}
