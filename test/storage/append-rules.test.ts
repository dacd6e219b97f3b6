import { afterAll, describe, expect, it } from 'vitest';
import { DecompressedTooLargeError, InvalidArgumentError, InvalidRecordError, KafkaErrorCode, openLog } from '../../src/index.js';
import { compressBatch } from '../../src/format/compression.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import type { Log } from '../../src/storage/log.js';
import { closeDefaultBatchPool } from '../../src/workers/pool.js';
import { gzipBomb } from '../helpers/gzip-bomb.js';
import { tmpDir } from '../helpers/tmp.js';

afterAll(async () => {
  await closeDefaultBatchPool();
});

const MIB = 1024 * 1024;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

async function readAll(log: Log): Promise<Array<{ key: string | null; value: string }>> {
  const out: Array<{ key: string | null; value: string }> = [];
  for (let offset = log.startOffset; offset < log.endOffset;) {
    const r = await log.read(offset, { maxBytes: 1 << 24 });
    out.push(...r.records.map((x) => ({ key: x.key?.toString() ?? null, value: x.value!.toString() })));
    offset = r.nextOffset;
  }
  return out;
}

/** Bytes of every batch stored in the log. */
function storedBatchBytes(log: Log): number {
  let total = 0;
  for (let offset = log.startOffset; offset < log.endOffset;) {
    const slice = log.readSlice(offset, 1 << 30)!;
    total += slice.view.length;
    offset = slice.nextOffset;
  }
  return total;
}

describe('compacted logs refuse keyless records (Kafka LogValidator.validateKey)', () => {
  it.each(['compact', 'compact,delete'] as const)('cleanupPolicy %s: append, appendBatch and compressed batches; nothing of a refused batch is kept', async (cleanupPolicy) => {
    const dir = tmpDir();
    const log = await openLog(dir, { cleanupPolicy });
    expect(await log.append([{ key: 'k1', value: 'one' }])).toEqual({ baseOffset: 0, lastOffset: 0 });

    const viaAppend = await rejection(log.append([{ key: 'k2', value: 'two' }, { value: 'keyless' }]));
    expect(viaAppend).toBeInstanceOf(InvalidRecordError);
    const name = dir.slice(dir.lastIndexOf('/') + 1);
    const keyless = `Compacted topic cannot accept message without key in topic partition ${name}`;
    expect(viaAppend).toMatchObject({ kafkaCode: KafkaErrorCode.INVALID_RECORD, recordErrors: [{ batchIndex: 1, message: keyless }] });
    expect(viaAppend.message).toBe(`One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${keyless}')]`);

    const plain = await rejection(log.appendBatch(encodeBatch([{ key: 'k3', value: 'three' }, { key: null, value: 'keyless' }])));
    expect(plain).toMatchObject({ kafkaCode: KafkaErrorCode.INVALID_RECORD, recordErrors: [{ batchIndex: 1, message: keyless }] });
    // Compressed, small (deep-checked on this thread) and large (in a worker).
    for (const n of [3, 20_000]) {
      for (const codec of ['gzip', 'zstd', 'lz4', 'snappy'] as const) {
        const records = Array.from({ length: n }, (_, i) => ({ key: i === n - 1 ? null : `k${i}`, value: `v${i}` }));
        const err = await rejection(log.appendBatch(compressBatch(records, codec)));
        expect(err, `${codec} x${n}`).toBeInstanceOf(InvalidRecordError);
        expect(err).toMatchObject({ kafkaCode: KafkaErrorCode.INVALID_RECORD, recordErrors: [{ batchIndex: n - 1, message: keyless }] });
        expect(err.message).toMatch(/^One or more records have been rejected due to 1 record errors in total/);
      }
    }
    expect(await log.appendBatch(compressBatch([{ key: 'k4', value: 'four' }], 'gzip'))).toEqual({ baseOffset: 1, lastOffset: 1 });
    expect(await readAll(log)).toEqual([{ key: 'k1', value: 'one' }, { key: 'k4', value: 'four' }]);
    await log.close();
  });

  it('a log that is not compacted keeps keyless records; reconfiguring to compact starts refusing them', async () => {
    const log = await openLog(tmpDir(), { cleanupPolicy: 'delete', compression: 'zstd' });
    await log.append([{ value: 'a' }]);
    await log.appendBatch(compressBatch([{ value: 'b' }], 'gzip'));
    log.reconfigure({ cleanupPolicy: 'compact' });
    await expect(log.appendBatch(encodeBatch([{ value: 'c' }]))).rejects.toThrow(InvalidRecordError);
    expect((await readAll(log)).map((r) => r.value)).toEqual(['a', 'b']);
    await log.close();
  });
});

describe('a bound on decompressed batches (maxDecompressedBytes)', () => {
  it('refuses a 1 GiB gzip bomb with the default bound (64 x max.message.bytes), and the log goes on', async () => {
    const log = await openLog(tmpDir());
    const bomb = await gzipBomb(1024 * MIB);
    expect(bomb.length).toBeLessThan(log.config.maxMessageBytes);
    const err = await rejection(log.appendBatch(bomb));
    expect(err).toBeInstanceOf(DecompressedTooLargeError);
    expect(err).toMatchObject({ kafkaCode: KafkaErrorCode.INVALID_RECORD, limit: 64 * 1048588 });
    expect(err.message).toMatch(/: batch 0 at byte 0: gzip records decompress to more than 67109632 bytes$/);
    expect(log.endOffset).toBe(0);
    // The same bomb, smaller than the bound, is an ordinary batch.
    expect(await log.appendBatch(await gzipBomb(8 * MIB))).toEqual({ baseOffset: 0, lastOffset: 0 });
    expect((await log.read(0)).records[0]!.value!.length).toBe(8 * MIB);
    await log.close();
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: refused above an explicit bound, also when recompressing', async (codec) => {
    for (const compression of ['producer', codec === 'zstd' ? 'gzip' : 'zstd'] as const) {
      const log = await openLog(tmpDir(), { maxDecompressedBytes: MIB, compression });
      const big = compressBatch([{ key: 'a', value: Buffer.alloc(MIB) }], codec);
      await expect(log.appendBatch(big)).rejects.toThrow(DecompressedTooLargeError);
      await log.appendBatch(compressBatch([{ key: 'b', value: Buffer.alloc(MIB - 100) }], codec));
      expect(log.endOffset).toBe(1);
      await log.close();
    }
  });

  it('validates the setting; -1 derives it from maxMessageBytes', async () => {
    await expect(openLog(tmpDir(), { maxDecompressedBytes: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(openLog(tmpDir(), { compressionGzipLevel: 0 })).rejects.toThrow(/compressionGzipLevel must be -1 or an integer in \[1, 9\]/);
    await expect(openLog(tmpDir(), { compressionZstdLevel: 23 })).rejects.toThrow(InvalidArgumentError);
    const { decompressionLimit } = await import('../../src/storage/append-rules.js');
    expect(decompressionLimit({ maxDecompressedBytes: -1, maxMessageBytes: 1048588 })).toBe(64 * 1048588);
    expect(decompressionLimit({ maxDecompressedBytes: -1, maxMessageBytes: 1000 })).toBe(64 * MIB);
    expect(decompressionLimit({ maxDecompressedBytes: -1, maxMessageBytes: 4 * MIB })).toBe(256 * MIB);
    expect(decompressionLimit({ maxDecompressedBytes: -1, maxMessageBytes: 100 * MIB })).toBe(1024 * MIB);
    expect(decompressionLimit({ maxDecompressedBytes: 5, maxMessageBytes: 100 * MIB })).toBe(5);
  });
});

describe('compression levels (KIP-390): compressionGzipLevel, compressionZstdLevel', () => {
  const lines = Array.from({ length: 4000 }, (_, i) => ({ key: `k${i % 50}`, value: `{"id":${i},"name":"user-${i * 7919 % 1000}","tags":["a","b${i % 7}"],"n":${(i * 31) % 977}}` }));

  it.each([
    ['gzip', 'compressionGzipLevel', 1, 9],
    ['zstd', 'compressionZstdLevel', 1, 19],
  ] as const)('%s: appended and recompressed batches use the level; data reads back the same', async (compression, option, low, high) => {
    const sizes: number[] = [];
    for (const level of [low, high]) {
      const log = await openLog(tmpDir(), { compression, [option]: level });
      await log.append(lines); // encoded by the log
      await log.appendBatch(encodeBatch(lines)); // recompressed by the log
      sizes.push(storedBatchBytes(log));
      expect((await readAll(log)).map((r) => r.value)).toEqual([...lines, ...lines].map((r) => r.value));
      await log.close();
    }
    expect(sizes[1]).toBeLessThan(sizes[0]! * 0.95);
  });
});
