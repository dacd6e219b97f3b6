import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptBatchError, InvalidRecordError, KafkaErrorCode, StrandError } from '../../src/errors.js';
import { readBatchHeader } from '../../src/format/batch-header.js';
import { crc32c } from '../../src/io/index.js';
import { LZ4_FRAME_HEADER } from '../../src/format/codec-lz4.js';
import { XERIAL_MAGIC } from '../../src/format/codec-snappy.js';
import { codecFor, codecId, decompressRecords } from '../../src/format/codecs.js';
import { batchCodec, compressBatch, decompressBatch, deepCheckBatch, recompressBatches, validateBatchesDeep } from '../../src/format/compression.js';
import { checkBatch, encodeBatch, readBatchRecords } from '../../src/format/record-batch.js';
import type { RecordInput, StoredRecord } from '../../src/format/record.js';

const require = createRequire(import.meta.url);
const { RecordBatch: KafkaRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const KafkaRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
const KafkaBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js');
const KafkaDecoder = require('kafkajs/src/protocol/decoder.js');
const { Codecs: KafkaCodecs, Types: KafkaTypes } = require('kafkajs/src/protocol/message/compression/index.js');
const kafkajsSnappy = require('kafkajs-snappy');
KafkaCodecs[KafkaTypes.Snappy] = kafkajsSnappy;
const snappyjs = require('snappyjs');

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const cli = (cmd: string, args: string[], input: Buffer) => {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
};

function decode(buf: Buffer): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (let pos = 0; pos < buf.length;) {
    const size = buf.readInt32BE(pos + 8) + 12;
    readBatchRecords(buf, pos, size, out);
    pos += size;
  }
  return out;
}

/** Text-like data (compressible, varied), as record values usually are. */
function textish(n: number, seed = 1): Buffer {
  const words = ['order', 'user', 'id', 'amount', 'EUR', 'status', 'shipped', 'pending', '{"k":', '}', ' ', '\n'];
  let x = seed;
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    const w = (x >>> 16) % 7 === 0 ? String(x % 100000) : words[(x >>> 8) % words.length]!;
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

const records = (n: number, size = 100): RecordInput[] => Array.from({ length: n }, (_, i) => ({
  key: `key-${i}`, value: textish(size, i + 1), timestamp: 1_700_000_000_000 + i * 3, headers: i % 3 === 0 ? { trace: `t${i}` } : {},
}));

describe('codecs', () => {
  it.each(CODECS)('%s round-trips empty, tiny, incompressible and multi-block data', (name) => {
    const codec = codecFor(codecId(name));
    for (const data of [Buffer.alloc(0), Buffer.from('a'), randomBytes(200_000), textish(1_000_000), Buffer.alloc(300_000, 7)]) {
      expect(codec.decompress(codec.compress(data)).equals(data)).toBe(true);
    }
  });

  it('writes snappy in xerial framing: magic, version 1, compatible 1, 32 KiB chunks', () => {
    // "hello" is one literal: varint 5, tag (5-1)<<2, the bytes. Exactly what snappy-java writes.
    const hello = codecFor(2).compress(Buffer.from('hello'));
    expect(hello.toString('hex')).toBe('82534e41505059000000000100000001' + '00000007' + '051068656c6c6f');
    const big = textish(100_000);
    const framed = codecFor(2).compress(big);
    expect(framed.subarray(0, 8).equals(XERIAL_MAGIC)).toBe(true);
    // 100000 bytes = 4 chunks of <= 32768 input bytes; each chunk decodes on its own.
    const chunks: Buffer[] = [];
    for (let pos = 16; pos < framed.length;) {
      const len = framed.readInt32BE(pos);
      chunks.push(Buffer.from(snappyjs.uncompress(framed.subarray(pos + 4, pos + 4 + len))));
      pos += 4 + len;
    }
    expect(chunks.map((c) => c.length)).toEqual([32768, 32768, 32768, 100_000 - 3 * 32768]);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
  });

  it('reads raw snappy (librdkafka), xerial, and concatenated xerial streams', () => {
    const a = textish(50_000, 3);
    const b = textish(70_000, 4);
    const raw = Buffer.from(snappyjs.compress(a));
    expect(decompressRecords(2, raw).equals(a)).toBe(true);
    const xa = codecFor(2).compress(a);
    const xb = codecFor(2).compress(b);
    expect(decompressRecords(2, Buffer.concat([xa, xb])).equals(Buffer.concat([a, b]))).toBe(true);
    // A frame written by kafkajs-snappy's reader conventions (snappyjs blocks inside xerial).
    const block = Buffer.from(snappyjs.compress(a));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length);
    expect(decompressRecords(2, Buffer.concat([xa.subarray(0, 16), len, block])).equals(a)).toBe(true);
  });

  it('writes lz4 frames with Kafka\'s header (FLG 0x60, BD 0x40, HC 0x82), 64 KiB blocks and an end mark', () => {
    expect(LZ4_FRAME_HEADER.toString('hex')).toBe('04224d18604082');
    // 5 bytes do not compress: one stored block (high bit), as Kafka's Lz4BlockOutputStream writes.
    expect(codecFor(3).compress(Buffer.from('hello')).toString('hex')).toBe('04224d18604082' + '05000080' + '68656c6c6f' + '00000000');
    const data = Buffer.concat([textish(150_000), randomBytes(70_000)]);
    const frame = codecFor(3).compress(data);
    const blocks: Array<{ size: number; stored: boolean }> = [];
    let pos = 7;
    for (;;) {
      const word = frame.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      blocks.push({ size, stored: (word & 0x80000000) !== 0 });
      pos += size;
    }
    expect(pos).toBe(frame.length);
    expect(blocks.length).toBe(Math.ceil(data.length / 65536));
    expect(blocks.slice(0, 2).every((b) => !b.stored)).toBe(true); // text compresses
    expect(blocks[3]!.stored).toBe(true); // random bytes do not
    expect(codecFor(3).decompress(frame).equals(data)).toBe(true);
  });

  it.skipIf(!has('lz4'))('lz4: the reference CLI reads our frames (it checks HC) and we read its frames (content size, checksums, 4 MiB and linked blocks)', () => {
    const data = Buffer.concat([textish(300_000), randomBytes(100_000), textish(200_000, 9)]);
    expect(cli('lz4', ['-d', '-c'], codecFor(3).compress(data)).equals(data)).toBe(true);
    for (const args of [['-c'], ['-c', '-B4', '--content-size'], ['-c', '-B7', '-BD'], ['-c', '-B5', '-BX', '--no-frame-crc'], ['-c', '-9']]) {
      expect(decompressRecords(3, cli('lz4', args, data)).equals(data), args.join(' ')).toBe(true);
    }
  });

  it.skipIf(!has('zstd'))('zstd: the reference CLI reads our frames and we read its frames (streamed: no content size)', () => {
    const data = textish(500_000);
    expect(cli('zstd', ['-d', '-c'], codecFor(4).compress(data)).equals(data)).toBe(true);
    expect(cli('zstd', ['-d', '-c'], codecFor(4).compress(data, 19)).equals(data)).toBe(true);
    for (const args of [['-c'], ['-c', '-19'], ['-c', '--no-check', '-1']]) {
      const frame = cli('sh', ['-c', `cat | zstd ${args.join(' ')}`], data); // through a pipe: no content size
      expect(decompressRecords(4, frame).equals(data), args.join(' ')).toBe(true);
    }
    expect(codecFor(4).compress(data).subarray(0, 4).toString('hex')).toBe('28b52ffd');
  });

  it('gzip levels; gzip output is a standard stream', () => {
    const data = textish(100_000);
    expect(codecFor(1).compress(data).subarray(0, 3).toString('hex')).toBe('1f8b08');
    expect(codecFor(1).compress(data, 1).length).toBeGreaterThan(codecFor(1).compress(data, 9).length);
    expect(codecFor(4).compress(data, 1).length).toBeGreaterThan(codecFor(4).compress(data, 19).length);
  });

  it('garbage fails to decompress with CorruptBatchError, unknown codecs with UNSUPPORTED_COMPRESSION_TYPE', () => {
    for (const id of [1, 2, 3, 4]) expect(() => decompressRecords(id, Buffer.from('definitely not compressed data')), String(id)).toThrow(CorruptBatchError);
    expect(() => decompressRecords(2, Buffer.concat([XERIAL_MAGIC, Buffer.alloc(8), Buffer.from([0, 0, 1, 0, 1])]))).toThrow(CorruptBatchError);
    // The exact error: class, message, code and Kafka's UNSUPPORTED_COMPRESSION_TYPE (76).
    const unsupported = (message: string) => new StrandError(message, 'ERR_STRAND_UNSUPPORTED_COMPRESSION', KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE).toBe(76);
    expect(() => codecFor(5)).toThrow(unsupported('compression codec 5 is not available'));
    expect(() => codecId(5)).toThrow(unsupported('compression codec 5 is not available'));
    expect(() => codecId('brotli' as never)).toThrow(unsupported('unknown compression codec brotli'));
    expect(codecId('uncompressed')).toBe(0);
  });
});

describe('compressed batches', () => {
  it.each(CODECS)('%s: compressBatch builds a valid batch that reads back (offsets, timestamps, keys, headers)', (name) => {
    const input = records(500);
    const batch = compressBatch(input, name, { baseOffset: 1000, producerId: 77, producerEpoch: 3, baseSequence: 10, partitionLeaderEpoch: 5 });
    expect(batchCodec(batch)).toBe(codecId(name));
    expect(checkBatch(batch, 0, batch.length)).toBeNull();
    expect(validateBatchesDeep(batch, 't')).toBe(1);
    const plain = encodeBatch(input, { baseOffset: 1000, producerId: 77, producerEpoch: 3, baseSequence: 10, partitionLeaderEpoch: 5 });
    expect(batch.length).toBeLessThan(plain.length);
    const { crc: _c, attributes: _a, batchLength: _b, ...same } = readBatchHeader(plain);
    expect(readBatchHeader(batch)).toMatchObject(same);
    const back = decode(batch);
    expect(back.map((r) => r.offset)).toEqual(input.map((_, i) => 1000 + i));
    expect(back.map((r) => r.timestamp)).toEqual(input.map((r) => r.timestamp));
    expect(back[3]!.key!.toString()).toBe('key-3');
    expect(back[3]!.headers).toEqual([{ key: 'trace', value: Buffer.from('t3') }]);
    expect(back[499]!.value!.equals(input[499]!.value as Buffer)).toBe(true);
    // Decompressing gives exactly the batch encodeBatch writes.
    expect(decompressBatch(batch).equals(plain)).toBe(true);
  });

  it('recompresses between every pair of codecs, keeping the header but codec, length and CRC', () => {
    const base = compressBatch(records(200), 'none', { baseOffset: 5, producerId: 9, producerEpoch: 1, baseSequence: 0, attributes: 0x10 });
    const names = ['none', ...CODECS] as const;
    for (const from of names) {
      const src = recompressBatches(base, from);
      for (const to of names) {
        const out = recompressBatches(src, to);
        expect(batchCodec(out), `${from} -> ${to}`).toBe(codecId(to));
        expect(checkBatch(out, 0, out.length)).toBeNull();
        expect(readBatchHeader(out).attributes & ~7).toBe(0x10);
        expect(decompressBatch(out).equals(base), `${from} -> ${to}`).toBe(true);
        if (from === to) expect(out).toBe(src); // nothing to do: the same buffer
      }
    }
  });

  it('recompresses each batch of a multi-batch buffer and leaves control batches alone', () => {
    const a = compressBatch(records(10), 'gzip');
    const control = encodeBatch([{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { attributes: 0x30, producerId: 1, producerEpoch: 0 });
    const b = compressBatch(records(20), 'none', { baseOffset: 10 });
    const out = recompressBatches(Buffer.concat([a, control, b]), 'lz4');
    expect(validateBatchesDeep(out, 't')).toBe(3);
    const sizes: number[] = [];
    for (let pos = 0; pos < out.length;) {
      sizes.push(batchCodec(out, pos));
      pos += out.readInt32BE(pos + 8) + 12;
    }
    expect(sizes).toEqual([3, 0, 3]);
    expect(out.includes(control)).toBe(true);
  });

  it('deep validation finds bad records inside compressed batches, and CRC or stream damage', () => {
    const plain = encodeBatch(records(5));
    const check = (b: Buffer) => deepCheckBatch(b, 0, b.length, true);
    const seal = (b: Buffer) => {
      b.writeUInt32BE(crc32c(b.subarray(21)), 17);
      return b;
    };
    expect(check(compressBatch(plain, 'zstd'))).toMatchObject({ problem: null, kind: null, maxRecordTimestamp: 1_700_000_000_012 });
    // The header claims 6 records in a 5-record batch; recompression re-seals the CRC, so only
    // the walk over the decompressed records can tell.
    const lying = Buffer.from(plain);
    lying.writeInt32BE(6, 57);
    lying.writeInt32BE(5, 23);
    const lyingSnappy = recompressBatches(lying, 'snappy');
    expect(checkBatch(lyingSnappy, 0, lyingSnappy.length)).toBeNull();
    expect(check(lyingSnappy)).toMatchObject({ kind: 'invalid' });
    expect(() => validateBatchesDeep(lyingSnappy, 'topic-0')).toThrow(InvalidRecordError);
    // Damage inside the compressed stream: the CRC catches it first.
    const z = compressBatch(plain, 'lz4');
    z[z.length - 10]! ^= 0xff;
    expect(check(z)).toMatchObject({ kind: 'corrupt' });
    // A stream that does not decompress, under a valid CRC: corrupt too.
    const junk = Buffer.concat([compressBatch(plain, 'lz4').subarray(0, 61), Buffer.from('not an lz4 frame at all')]);
    junk.writeInt32BE(junk.length - 12, 8);
    seal(junk);
    expect(check(junk)).toMatchObject({ kind: 'corrupt' });
    expect(() => validateBatchesDeep(junk, 't')).toThrow(CorruptBatchError);
  });

  it('round-trips arbitrary records through every codec (property)', () => {
    const bytes = fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), { nil: null });
    fc.assert(fc.property(
      fc.array(fc.record({ key: bytes, value: bytes, timestamp: fc.integer({ min: 0, max: 2 ** 45 }) }), { minLength: 1, maxLength: 40 }),
      fc.constantFrom(...CODECS),
      (input, codec) => {
        const batch = compressBatch(input, codec, { baseOffset: 3 });
        expect(validateBatchesDeep(batch, 't')).toBe(1);
        const back = decode(batch);
        expect(back.map((r) => r.value)).toEqual(input.map((r) => r.value));
        expect(back.map((r) => r.timestamp)).toEqual(input.map((r) => r.timestamp));
      },
    ), { numRuns: 150 });
  });
});

describe('interop with kafkajs', () => {
  const base = 1_700_000_000_000;
  const input = Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: textish(200, i + 7), headers: { n: Buffer.from(String(i)) }, timestampDelta: i * 11 }));
  const kafkajsBatch = async (compression: number) => (await KafkaRecordBatch({
    compression, firstOffset: '0', firstTimestamp: base, maxTimestamp: base + 49 * 11, partitionLeaderEpoch: 0, lastOffsetDelta: 49,
    producerEpoch: 0, firstSequence: 0,
    records: input.map((r, i) => KafkaRecord({ offsetDelta: i, timestampDelta: r.timestampDelta, key: r.key, value: r.value, headers: r.headers })),
  })).buffer as Buffer;
  const ours = (codec: 'gzip' | 'snappy') => compressBatch(input.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: base + r.timestampDelta })), codec, { partitionLeaderEpoch: 0, producerEpoch: 0, baseSequence: 0 });

  it('gzip batches are byte-identical to kafkajs\'s (both zlib, default level)', async () => {
    expect(ours('gzip').toString('hex')).toBe((await kafkajsBatch(KafkaTypes.GZIP)).toString('hex'));
  });

  it.each([['gzip', 1], ['snappy', 2]] as const)('%s: we read kafkajs batches and kafkajs reads ours', async (name, type) => {
    const theirs = await kafkajsBatch(type);
    expect(validateBatchesDeep(theirs, 't')).toBe(1);
    expect(decode(theirs).map((r) => r.value!.toString())).toEqual(input.map((r) => r.value.toString()));
    const decoded = await KafkaBatchDecoder(new KafkaDecoder(ours(name)));
    expect(decoded.records.map((r: { value: Buffer }) => r.value.toString())).toEqual(input.map((r) => r.value.toString()));
    expect(decoded.records[49].timestamp).toBe(String(base + 49 * 11));
    expect(decoded.records[5].headers.n.toString()).toBe('5');
  });
});
