/**
 * A batch for a compacted log with keyless records is refused with one RecordError per keyless
 * record (Kafka's LogValidator collects them all, then processRecordErrors refuses the batch),
 * on every validation path: the walk of uncompressed batches, the deep check of compressed ones,
 * and the check made while recompressing. A problem of another kind anywhere in the batch wins:
 * Kafka's record iterator throws on it, and the batch is refused without record errors.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRecordError, KafkaErrorCode } from '../../src/errors.js';
import { BATCH_LENGTH, CRC, ATTRIBUTES } from '../../src/format/batch-header.js';
import { compressBatch, recompressBatches, validateBatchesDeep } from '../../src/format/compression.js';
import { encodeBatch, keylessRecords, validateBatches } from '../../src/format/record-batch.js';
import { crc32c } from '../../src/io/index.js';

const KEYLESS = [3, 17, 18, 40, 41, 42, 77, 90, 98, 99];
const records = Array.from({ length: 100 }, (_, i) => ({ key: KEYLESS.includes(i) ? null : `k${i}`, value: `value ${i}` }));
const message = 'Compacted topic cannot accept message without key in topic partition table-0';
const expected = KEYLESS.map((batchIndex) => ({ batchIndex, message }));
const summary = `One or more records have been rejected due to 10 record errors in total, and only showing the first three errors at most: [${
  KEYLESS.slice(0, 3).map((i) => `RecordError(batchIndex=${i}, message='${message}')`).join(', ')}]`;

function thrown(f: () => unknown): InvalidRecordError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRecordError);
    return err as InvalidRecordError;
  }
  throw new Error('expected InvalidRecordError');
}

/** `batch` with one byte more at the end of its records section (length and CRC fixed): framing holds, the record walk fails at the end. */
function withTrailingByte(batch: Buffer): Buffer {
  const out = Buffer.concat([batch, Buffer.from([0])]);
  out.writeInt32BE(out.readInt32BE(BATCH_LENGTH) + 1, BATCH_LENGTH);
  out.writeUInt32BE(crc32c(out.subarray(ATTRIBUTES)), CRC);
  return out;
}

describe('record errors list every keyless record of a refused batch', () => {
  it('uncompressed: validateBatches lists all ten, with Kafka\'s messages', () => {
    const err = thrown(() => validateBatches(encodeBatch(records), 'table-0', true));
    expect(err.kafkaCode).toBe(KafkaErrorCode.INVALID_RECORD);
    expect(err.recordErrors).toEqual(expected);
    expect(err.message).toBe(summary);
  });

  it('a batch of keyless records only lists every index', () => {
    const all = Array.from({ length: 500 }, (_, i) => ({ value: `v${i}` }));
    const err = thrown(() => validateBatches(encodeBatch(all), 'table-0', true));
    expect(err.recordErrors.map((e) => e.batchIndex)).toEqual(all.map((_, i) => i));
    expect(err.message).toMatch(/^One or more records have been rejected due to 500 record errors in total/);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: the deep check and the recompressing check list all ten', (codec) => {
    const batch = compressBatch(records, codec);
    expect(thrown(() => validateBatchesDeep(batch, { where: 'table-0', keysRequired: true })).recordErrors).toEqual(expected);
    const other = codec === 'zstd' ? 'gzip' : 'zstd';
    expect(thrown(() => recompressBatches(batch, other, undefined, { where: 'table-0', keysRequired: true })).recordErrors).toEqual(expected);
    // Kept in its codec, still checked.
    expect(thrown(() => recompressBatches(batch, codec, undefined, { where: 'table-0', keysRequired: true })).recordErrors).toEqual(expected);
    // Uncompressed batches recompressed on the way in.
    expect(thrown(() => recompressBatches(encodeBatch(records), codec, undefined, { where: 'table-0', keysRequired: true })).recordErrors).toEqual(expected);
  });

  it('a malformed record after keyless ones refuses the batch for that, without record errors', () => {
    const bad = withTrailingByte(encodeBatch(records));
    const err = thrown(() => validateBatches(bad, 'table-0', true));
    expect(err.recordErrors).toEqual([]);
    expect(err.message).toBe('table-0: batch 0 at byte 0: 1 trailing bytes after 100 records');
    expect(keylessRecords(bad, 61, bad.length, 100, 99, true)).toBe('1 trailing bytes after 100 records');
    expect(keylessRecords(encodeBatch(records), 61, encodeBatch(records).length, 100, 99, true)).toEqual(KEYLESS);
  });

  it('keys are not required: keyless records pass', () => {
    expect(validateBatches(encodeBatch(records), 'stream-0', false)).toBe(1);
    expect(validateBatchesDeep(compressBatch(records, 'gzip'), { where: 'stream-0' })).toBe(1);
  });
});
