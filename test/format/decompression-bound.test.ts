import { createRequire } from 'node:module';
import { crc32, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CorruptBatchError, DecompressedTooLargeError, KafkaErrorCode } from '../../src/errors.js';
import { lz4DecompressedBound } from '../../src/format/codec-lz4.js';
import { snappyDecompressedSize } from '../../src/format/codec-snappy.js';
import { compressRecords, decompressRecords } from '../../src/format/codecs.js';
import { encodeMessageSet, upconvertMessageSet } from '../../src/format/message-set.js';

const require = createRequire(import.meta.url);
const MIB = 1024 * 1024;
const CODECS = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

/** Compressible but not trivially so: repeated text with counters. */
function text(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let pos = 0, i = 0; pos < bytes; i++) pos += out.write(`line ${i} of some record text ${i * 7919 % 1000}\n`, pos);
  return out;
}

function refusal(fn: () => unknown): DecompressedTooLargeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecompressedTooLargeError);
    return err as DecompressedTooLargeError;
  }
  throw new Error('expected DecompressedTooLargeError');
}

describe('decompression with a bound on the output', () => {
  it.each(Object.entries(CODECS))('%s: refuses output past the bound and returns output up to it', (name, id) => {
    const zeros = Buffer.alloc(2 * MIB);
    const packed = compressRecords(id, zeros);
    const err = refusal(() => decompressRecords(id, packed, MIB));
    expect(err.kafkaCode).toBe(KafkaErrorCode.INVALID_RECORD);
    expect(err.limit).toBe(MIB);
    expect(err.message).toBe(`${name} records decompress to more than ${MIB} bytes`);
    expect(decompressRecords(id, packed, 2 * MIB).equals(zeros)).toBe(true);
    const t = text(300 * 1024);
    expect(decompressRecords(id, compressRecords(id, t), t.length).equals(t)).toBe(true);
    refusal(() => decompressRecords(id, compressRecords(id, t), t.length - 1));
  });

  it('zstd frames without a declared content size are stopped as the stream passes the bound', async () => {
    const { CompressStream } = require('zstd-napi') as { CompressStream: new () => NodeJS.ReadWriteStream };
    const stream = new CompressStream();
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    const done = new Promise((resolve) => stream.on('end', resolve));
    for (let i = 0; i < 8; i++) stream.write(Buffer.alloc(MIB));
    stream.end();
    await done;
    const frame = Buffer.concat(parts);
    const binding = require('zstd-napi/binding') as { getFrameContentSize(b: Buffer): number | null };
    expect(binding.getFrameContentSize(frame)).toBeNull();
    refusal(() => decompressRecords(CODECS.zstd, frame, 3 * MIB));
    expect(decompressRecords(CODECS.zstd, frame, 8 * MIB).length).toBe(8 * MIB);
    // Two frames, one declaring its size: the sum counts.
    const both = Buffer.concat([frame, compressRecords(CODECS.zstd, Buffer.alloc(MIB))]);
    refusal(() => decompressRecords(CODECS.zstd, both, 8 * MIB));
    expect(decompressRecords(CODECS.zstd, both, 9 * MIB).length).toBe(9 * MIB);
    // Truncated: corrupt, not an endless loop.
    expect(() => decompressRecords(CODECS.zstd, frame.subarray(0, frame.length - 8), 64 * MIB)).toThrow(CorruptBatchError);
  });

  it('lz4: the bound read from the framing holds for every frame layout the decoder takes', () => {
    const lz4 = require('lz4-napi') as { compressFrameSync(d: Buffer, o?: { contentChecksum?: boolean; blockChecksums?: boolean }): Buffer };
    const t = text(5 * MIB + 123);
    for (const options of [undefined, { contentChecksum: true, blockChecksums: true }]) {
      const frame = lz4.compressFrameSync(t, options); // 4 MiB blocks, unlike Kafka's 64 KiB
      const bound = lz4DecompressedBound(frame);
      expect(bound.bytes).toBeGreaterThanOrEqual(t.length);
      expect(bound.bytes - t.length).toBeLessThan(bound.blockMax);
      expect(bound.blockMax).toBe(4 * MIB);
      expect(decompressRecords(CODECS.lz4, frame, t.length).equals(t)).toBe(true);
      refusal(() => decompressRecords(CODECS.lz4, frame, t.length - 1));
    }
    // Kafka's framing (64 KiB blocks): within one block of the truth; two frames add up.
    const ours = compressRecords(CODECS.lz4, t);
    expect(lz4DecompressedBound(ours).bytes - t.length).toBeLessThan(64 * 1024);
    expect(lz4DecompressedBound(Buffer.concat([ours, ours])).bytes).toBe(2 * lz4DecompressedBound(ours).bytes);
    // Far past the bound: refused from the framing alone, before anything is decoded.
    const bomb = compressRecords(CODECS.lz4, Buffer.alloc(64 * MIB));
    expect(lz4DecompressedBound(bomb).bytes).toBe(64 * MIB);
    refusal(() => decompressRecords(CODECS.lz4, bomb, MIB));
    expect(() => lz4DecompressedBound(ours.subarray(0, ours.length - 3))).toThrow(CorruptBatchError);
    expect(() => lz4DecompressedBound(Buffer.from('not an lz4 frame'))).toThrow(CorruptBatchError);
  });

  it('snappy: sizes come from the block preambles, in xerial framing and raw', () => {
    const t = text(200 * 1024 + 5);
    expect(snappyDecompressedSize(compressRecords(CODECS.snappy, t))).toBe(t.length);
    const raw = (require('snappy') as { compressSync(b: Buffer): Buffer }).compressSync(t);
    expect(snappyDecompressedSize(raw)).toBe(t.length);
    expect(decompressRecords(CODECS.snappy, raw, t.length).equals(t)).toBe(true);
    refusal(() => decompressRecords(CODECS.snappy, raw, t.length - 1));
  });

  it('legacy message sets: compressed wrappers share one bound', () => {
    const inner = encodeMessageSet([{ value: Buffer.alloc(600 * 1024) }], 1);
    const wrapper = (): Buffer => {
      const set = encodeMessageSet([{ value: gzipSync(inner) }], 1);
      // attributes (codec) of the wrapper message: offset 8 + size 4 + crc 4 + magic 1
      set.writeInt8(1, 17);
      set.writeUInt32BE(crc32(set.subarray(16)) >>> 0, 12);
      return set;
    };
    const two = Buffer.concat([wrapper(), wrapper()]);
    expect(upconvertMessageSet(two, 't-0', 2 * MIB).length).toBeGreaterThan(0);
    const err = refusal(() => upconvertMessageSet(two, 't-0', MIB));
    expect(err.message).toMatch(/^t-0: message at byte \d+: gzip records decompress to more than/);
  });
});
