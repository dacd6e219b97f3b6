import { afterAll, describe, expect, it } from 'vitest';
import { CorruptBatchError, InvalidArgumentError, InvalidRecordError, openLog, openStore } from '../../src/index.js';
import { compressBatch, recompressBatches } from '../../src/format/compression.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import type { RecordInput } from '../../src/format/record.js';
import type { Log } from '../../src/storage/log.js';
import { closeDefaultBatchPool, defaultBatchPool } from '../../src/workers/pool.js';
import { tmpDir } from '../helpers/tmp.js';

afterAll(async () => {
  await closeDefaultBatchPool();
});

const CODEC_ID = { none: 0, uncompressed: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
const records = (n: number, tag: string, size = 60): RecordInput[] => Array.from({ length: n }, (_, i) => ({
  key: `${tag}-${i}`, value: `${tag} value ${i} `.padEnd(size, 'x'), headers: { i: String(i) }, timestamp: 1_700_000_000_000 + i,
}));

/** Codec of every batch stored in the log, in order. */
function storedCodecs(log: Log): number[] {
  const out: number[] = [];
  for (let offset = log.startOffset; offset < log.endOffset;) {
    const slice = log.readSlice(offset, 1 << 30)!;
    for (let pos = 0; pos < slice.view.length; pos += slice.view.readInt32BE(pos + 8) + 12) out.push(slice.view.readInt16BE(pos + 21) & 7);
    offset = slice.nextOffset;
  }
  return out;
}

async function readAll(log: Log): Promise<string[]> {
  const out: string[] = [];
  for (let offset = log.startOffset; offset < log.endOffset;) {
    const r = await log.read(offset, { maxBytes: 1 << 24 });
    out.push(...r.records.map((x) => x.value!.toString()));
    offset = r.nextOffset;
  }
  return out;
}

describe('openLog({ compression })', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: appends are stored in the codec and read back transparently, across a reopen', async (compression) => {
    const dir = tmpDir();
    let log = await openLog(dir, { compression });
    const small = records(5, 'small');
    const large = records(4000, 'large', 200); // ~900 KB: compressed in a worker
    expect(await log.append(small)).toEqual({ baseOffset: 0, lastOffset: 4 });
    expect(await log.append(large)).toEqual({ baseOffset: 5, lastOffset: 4004 });
    expect(await log.appendBatch(encodeBatch(records(3, 'raw')))).toEqual({ baseOffset: 4005, lastOffset: 4007 });
    const expected = [...small, ...large, ...records(3, 'raw')].map((r) => r.value);
    expect(storedCodecs(log)).toEqual([CODEC_ID[compression], CODEC_ID[compression], CODEC_ID[compression]]);
    const { records: head } = await log.read(3);
    expect(head.map((r) => r.offset).slice(0, 4)).toEqual([3, 4, 5, 6]);
    expect(head[2]!.key!.toString()).toBe('large-0');
    expect(head[2]!.headers).toEqual([{ key: 'i', value: Buffer.from('0') }]);
    expect(await readAll(log)).toEqual(expected);
    await log.close();
    log = await openLog(dir);
    expect(await readAll(log)).toEqual(expected);
    await log.close();
  });

  it('producer (the default) keeps each batch\'s codec; a codec recompresses producer batches to it', async () => {
    const mixed = () => [compressBatch(records(10, 'z'), 'zstd'), compressBatch(records(10, 's'), 'snappy'), encodeBatch(records(10, 'n'))];
    const asSent = await openLog(tmpDir());
    for (const b of mixed()) await asSent.appendBatch(b);
    expect(storedCodecs(asSent)).toEqual([4, 2, 0]);
    await asSent.close();
    const lz4 = await openLog(tmpDir(), { compression: 'lz4' });
    for (const b of mixed()) await lz4.appendBatch(b);
    await lz4.appendBatch(Buffer.concat(mixed())); // several batches in one append
    expect(storedCodecs(lz4)).toEqual([3, 3, 3, 3, 3, 3]);
    expect((await readAll(lz4)).length).toBe(60);
    await lz4.close();
    const plain = await openLog(tmpDir(), { compression: 'uncompressed' });
    await plain.appendBatch(Buffer.concat(mixed()));
    expect(storedCodecs(plain)).toEqual([0, 0, 0]);
    await plain.close();
  });

  it('rejects compressed batches whose records disagree with their header, and appends nothing', async () => {
    const log = await openLog(tmpDir(), { compression: 'producer' });
    const lying = encodeBatch(records(5, 'bad'));
    lying.writeInt32BE(6, 57);
    lying.writeInt32BE(5, 23);
    await expect(log.appendBatch(recompressBatches(lying, 'gzip'))).rejects.toThrow(InvalidRecordError);
    const garbled = compressBatch(records(5, 'g'), 'zstd');
    garbled[garbled.length - 2]! ^= 0xff;
    await expect(log.appendBatch(garbled)).rejects.toThrow(CorruptBatchError);
    expect(log.endOffset).toBe(0);
    const zlog = await openLog(tmpDir(), { compression: 'zstd' });
    await expect(zlog.appendBatch(recompressBatches(lying, 'snappy'))).rejects.toThrow(InvalidRecordError);
    expect(zlog.endOffset).toBe(0);
    await Promise.all([log.close(), zlog.close()]);
  });

  it('applies concurrent appends in call order while large ones compress in the pool', async () => {
    const log = await openLog(tmpDir(), { compression: 'gzip' });
    const offloadedBefore = defaultBatchPool().stats.offloaded;
    const sizes = [3000, 1, 2500, 2, 1, 4000, 1, 3];
    const pending = sizes.map((n, i) => log.append(records(n, `a${i}`)));
    const results = await Promise.all(pending);
    let next = 0;
    results.forEach((r, i) => {
      expect(r).toEqual({ baseOffset: next, lastOffset: next + sizes[i]! - 1 });
      next += sizes[i]!;
    });
    expect(defaultBatchPool().stats.offloaded - offloadedBefore).toBeGreaterThanOrEqual(3);
    const all = await readAll(log);
    expect(all).toEqual(sizes.flatMap((n, i) => records(n, `a${i}`).map((r) => r.value)));
    // close() waits for appends still compressing.
    const last = log.append(records(3000, 'last'));
    await log.close();
    expect((await last).lastOffset).toBe(next + 2999);
  });

  it('reconfigure changes the codec of later appends; bad values are refused', async () => {
    const log = await openLog(tmpDir(), { compression: 'snappy' });
    await log.append(records(3, 'a'));
    log.reconfigure({ compression: 'zstd' });
    await log.append(records(3, 'b'));
    expect(storedCodecs(log)).toEqual([2, 4]);
    expect(() => log.reconfigure({ compression: 'brotli' as never })).toThrow(InvalidArgumentError);
    await log.close();
    await expect(openLog(tmpDir(), { compression: 'lzma' as never })).rejects.toThrow(InvalidArgumentError);
  });

  it('a store\'s partitions take the option too', async () => {
    const store = await openStore(tmpDir());
    const p = (await store.partition('t', 0, { create: true, config: { compression: 'lz4' } }))!;
    await p.append(records(10, 'p'));
    expect(storedCodecs(p)).toEqual([3]);
    expect((await p.read(0)).records.length).toBe(10);
    await store.close();
  });
});
