/**
 * The legacy MessageSet formats (magic 0 and 1) of Produce v0-2, up-converted to one RecordBatch
 * v2 on append, as a Kafka 3.x broker does (LogValidator.convertAndAssignOffsetsNonCompressed):
 * strand stores only v2 batches. Nothing modern sends these, but librdkafka (up to 2.11) only
 * compresses with gzip, snappy or lz4 against a broker that advertises Produce v0, and
 * advertising it means serving it.
 *
 *   MessageSet := [offset int64, size int32, Message]
 *   Message    := crc uint32 (CRC-32, IEEE, of the rest) | magic int8 | attributes int8 (codec in
 *                 bits 0-2, timestamp type in bit 3 for magic 1) | [timestamp int64, magic 1]
 *                 | key bytes(int32) | value bytes(int32)
 *
 * A compressed message is a wrapper whose value is a compressed MessageSet of inner messages
 * (magic 1: inner offsets relative, and with LogAppendTime the wrapper's timestamp applies).
 */
import { crc32 } from 'node:zlib';
import { CorruptBatchError, DecompressedTooLargeError } from '../errors.js';
import { decompressRecords } from './codecs.js';
import { compressBatch } from './compression.js';
import { encodeBatch } from './record-batch.js';
import type { RecordInput } from './record.js';

const NO_TIMESTAMP = -1;
const MAX_NESTING = 1;

/** Bytes the wrapper messages of one set may still decompress to, all of them together. */
interface Budget {
  left: number;
}

function readMessages(buf: Buffer, where: string, depth: number, out: RecordInput[], wrapperTimestamp: number | null, budget: Budget): number {
  let codec = 0;
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < 12) throw new CorruptBatchError(`${where}: message set ends with ${buf.length - pos} stray bytes`, pos);
    const size = buf.readInt32BE(pos + 8);
    const start = pos + 12;
    const end = start + size;
    if (size < 14 || end > buf.length) throw new CorruptBatchError(`${where}: message at byte ${pos} has bad size ${size}`, pos);
    if ((crc32(buf.subarray(start + 4, end)) >>> 0) !== buf.readUInt32BE(start)) throw new CorruptBatchError(`${where}: message at byte ${pos} fails its CRC-32`, pos);
    const magic = buf.readInt8(start + 4);
    if (magic !== 0 && magic !== 1) throw new CorruptBatchError(`${where}: message at byte ${pos} has magic ${magic} inside a v0/v1 message set`, pos);
    const attributes = buf.readInt8(start + 5);
    let p = start + 6;
    let timestamp = NO_TIMESTAMP;
    if (magic === 1) {
      timestamp = Number(buf.readBigInt64BE(p));
      p += 8;
    }
    const field = (): Buffer | null => {
      if (p + 4 > end) throw new CorruptBatchError(`${where}: message at byte ${pos} is truncated`, pos);
      const len = buf.readInt32BE(p);
      p += 4;
      if (len < 0) return null;
      if (p + len > end) throw new CorruptBatchError(`${where}: message at byte ${pos} has a field past its end`, pos);
      p += len;
      return buf.subarray(p - len, p);
    };
    const key = field();
    const value = field();
    const inner = attributes & 0x07;
    if (inner !== 0) {
      if (depth >= MAX_NESTING || value === null) throw new CorruptBatchError(`${where}: nested or empty compressed message at byte ${pos}`, pos);
      const logAppendTime = magic === 1 && (attributes & 0x08) !== 0;
      let inflated: Buffer;
      try {
        inflated = decompressRecords(inner, value, budget.left);
      } catch (err) {
        if (err instanceof DecompressedTooLargeError) throw new DecompressedTooLargeError(`${where}: message at byte ${pos}: ${err.message}`, err.limit);
        throw err;
      }
      budget.left -= inflated.length;
      readMessages(inflated, where, depth + 1, out, logAppendTime ? timestamp : null, budget);
      codec = inner;
    } else {
      out.push({ key, value, timestamp: wrapperTimestamp ?? timestamp });
    }
    pos = end;
  }
  return codec;
}

/**
 * One v2 batch holding the messages of a magic 0/1 message set, in the set's codec. Compressed
 * wrapper messages may decompress to `maxDecompressedBytes` in all (DecompressedTooLargeError).
 */
export function upconvertMessageSet(buf: Buffer, where: string, maxDecompressedBytes = Infinity): Buffer {
  const records: RecordInput[] = [];
  const codec = readMessages(buf, where, 0, records, null, { left: maxDecompressedBytes });
  if (records.length === 0) throw new CorruptBatchError(`${where}: empty message set`, 0);
  // Magic 0 has no timestamps: Kafka keeps NO_TIMESTAMP (-1) rather than inventing one.
  return codec === 0 ? encodeBatch(records, { now: NO_TIMESTAMP }) : compressBatch(records, codec, { now: NO_TIMESTAMP });
}

/** A magic 0/1 message set of `records` (tests, and tools that speak to old brokers). */
export function encodeMessageSet(records: ReadonlyArray<{ key?: Buffer | null; value: Buffer | null; timestamp?: number }>, magic: 0 | 1): Buffer {
  const parts: Buffer[] = [];
  records.forEach((r, i) => {
    const key = r.key ?? null;
    const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (r.value?.length ?? 0);
    const m = Buffer.alloc(12 + size);
    m.writeBigInt64BE(BigInt(i), 0);
    m.writeInt32BE(size, 8);
    let p = 16;
    m.writeInt8(magic, p++);
    m.writeInt8(0, p++);
    if (magic === 1) {
      m.writeBigInt64BE(BigInt(r.timestamp ?? NO_TIMESTAMP), p);
      p += 8;
    }
    for (const f of [key, r.value]) {
      m.writeInt32BE(f === null ? -1 : f.length, p);
      p += 4;
      if (f !== null) p += f.copy(m, p);
    }
    m.writeUInt32BE(crc32(m.subarray(16)) >>> 0, 12);
    parts.push(m);
  });
  return Buffer.concat(parts);
}
