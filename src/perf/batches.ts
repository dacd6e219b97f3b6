/**
 * Prebuilt record batches for the load generator. Payloads are random upper-case letters, as
 * kafka-producer-perf-test makes them (so compression ratios are realistic, not those of a run of
 * one byte). A batch of each size is built (and compressed) once and sent many times; a few
 * variants per size vary the bytes on the wire.
 *
 * End-to-end latency batches carry their send times in the first record's value (two float64:
 * the creation times of the first and the last record, in ms since the time origin), stamped into
 * a copy of the uncompressed template, which is then CRC'd (and compressed) again.
 */
import { crc32c } from '../io/index.js';
import { ATTRIBUTES, BATCH_LENGTH, COMPRESSION_MASK, CRC, LAST_OFFSET_DELTA, LOG_OVERHEAD, RECORD_COUNT, RECORDS } from '../format/batch-header.js';
import { CODEC_NAMES, codecId } from '../format/codecs.js';
import { compressBatch, decompressBatch } from '../format/compression.js';
import type { CompressionName } from '../format/batch-header.js';
import { encodeBatch } from '../format/record-batch.js';
import type { RecordInput } from '../format/record.js';

/** Bytes of the send-time stamp at the start of an end-to-end batch's first value: two float64 and a tag. */
export const STAMP_BYTES = 20;
const TAG = 0x53505246; // 'SPRF'

export interface BatchFactoryOptions {
  recordSize: number;
  compression: CompressionName;
  /** Distinct payload variants per batch size (default 4). */
  variants?: number;
  /** Deterministic payloads (for tests); random when omitted. */
  seed?: number;
}

/** Compression names `strand perf` accepts (those registered in format/codecs). */
export const COMPRESSIONS: readonly CompressionName[] = CODEC_NAMES;

function letters(n: number, next: () => number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = 65 + Math.floor(next() * 26);
  return b;
}

/** mulberry32: a small seeded generator. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class BatchFactory {
  readonly codec: number;
  private readonly variants: number;
  private readonly cache = new Map<number, Buffer[]>();
  private readonly random: () => number;
  private turn = 0;
  /** A pool of payloads that records are cut from. */
  private readonly pool: Buffer;

  constructor(private readonly options: BatchFactoryOptions) {
    this.codec = codecId(options.compression);
    this.variants = Math.max(1, options.variants ?? 4);
    this.random = options.seed === undefined ? Math.random : seeded(options.seed);
    this.pool = letters(Math.max(options.recordSize * 64, 1 << 20), this.random);
  }

  private records(count: number, stamped: boolean): RecordInput[] {
    const size = this.options.recordSize;
    const out: RecordInput[] = new Array(count);
    const span = this.pool.length - size;
    for (let i = 0; i < count; i++) {
      const at = Math.floor(this.random() * (span + 1));
      out[i] = { value: this.pool.subarray(at, at + size) };
    }
    if (stamped) {
      const v = Buffer.from(out[0]!.value as Buffer);
      v.writeUInt32BE(TAG, 16);
      out[0] = { value: v };
    }
    return out;
  }

  private build(count: number): Buffer {
    const plain = encodeBatch(this.records(count, false));
    return this.codec === 0 ? plain : compressBatch(plain, this.codec);
  }

  /**
   * A prebuilt batch of `count` records (one of a few variants, in turn). Do not modify it. The
   * first few counts asked for are built and kept (the full batch size, the last partial one);
   * any other (a batch cut by linger at a paced rate) is cut from a pooled copy: give it back
   * with `release` once its request was answered.
   */
  batch(count: number): Buffer {
    let list = this.cache.get(count);
    if (list === undefined && this.cache.size >= 4) {
      const pool = this.plainPool = this.grown(this.plainPool, count, false);
      const [b, full] = pool.take(count);
      return this.finish(pool, b, full);
    }
    if (list === undefined) this.cache.set(count, (list = []));
    const i = this.turn++ % this.variants;
    while (list.length <= i) list.push(this.build(count));
    return list[i]!;
  }

  /** Bytes of the records' keys and values in a batch of `count` (what MB/s counts, as Kafka's tool does). */
  payloadBytes(count: number): number {
    return count * this.options.recordSize;
  }

  /** Stamped batches are cut from copies of one template (grown as larger counts are asked for). */
  private stampPool: PrefixPool | null = null;
  /** Unstamped batches of a count not cached (see `batch`). */
  private plainPool: PrefixPool | null = null;
  /** Batches cut from a pool and not given back yet. */
  private readonly lent = new Map<Buffer, [PrefixPool, Buffer]>();

  /**
   * A batch of `count` records whose first value carries the two creation times (ms). Give it
   * back with `release` once the broker has answered its request, and a later call reuses it.
   * A fresh 100 KB copy per batch (1,000 a second at 1 M records/s) cost the load generator more
   * CPU than anything else it did, most of it faulting in new memory and collecting it; and a
   * template per count (a batch cut by linger has any count) meant a new template, built record
   * by record, for most batches at a low rate. Every count is now a prefix of one template: the
   * same records, the header's count, last offset delta and length set to match.
   */
  stamped(count: number, firstCreated: number, lastCreated: number): Buffer {
    if (this.options.recordSize < STAMP_BYTES) throw new RangeError(`end-to-end latency needs --record-size of at least ${STAMP_BYTES}`);
    const pool = this.stampPool = this.grown(this.stampPool, count, true);
    const [b, full] = pool.take(count);
    b.writeDoubleBE(firstCreated, pool.at);
    b.writeDoubleBE(lastCreated, pool.at + 8);
    return this.finish(pool, b, full);
  }

  /** Give back a batch `stamped` or `batch` returned (no-op for one not cut from a pool): its request was answered. */
  release(batch: Buffer): void {
    const lent = this.lent.get(batch);
    if (lent === undefined) return;
    this.lent.delete(batch);
    lent[0].give(lent[1]);
  }

  private grown(pool: PrefixPool | null, count: number, stamped: boolean): PrefixPool {
    if (pool !== null && pool.count >= count) return pool;
    // Doubling: counts that creep up (linger-cut batches at a rising rate) rebuild it a few times at most.
    return new PrefixPool(encodeBatch(this.records(Math.max(count, 2 * (pool?.count ?? 0)), stamped)));
  }

  /** CRC, then compress (the plain copy is free again at once) or lend. */
  private finish(pool: PrefixPool, b: Buffer, full: Buffer): Buffer {
    b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES)), CRC);
    if (this.codec !== 0) {
      const compressed = compressBatch(b, this.codec);
      pool.give(full);
      return compressed;
    }
    this.lent.set(b, [pool, full]);
    return b;
  }
}

/** Copies of one uncompressed template batch, each handed out cut to its first `count` records. */
class PrefixPool {
  /** Where the first record's value starts (the stamp of an end-to-end batch). */
  readonly at: number;
  /** ends[i]: the size of the batch made of records 0..i. */
  private readonly ends: Int32Array;
  private readonly free: Buffer[] = [];

  constructor(private readonly plain: Buffer) {
    this.at = firstValueAt(plain);
    const count = plain.readInt32BE(RECORD_COUNT);
    this.ends = new Int32Array(count);
    let pos = RECORDS;
    for (let i = 0; i < count; i++) {
      const [length, after] = readVarint(plain, pos);
      pos = after + length;
      this.ends[i] = pos;
    }
  }

  get count(): number {
    return this.ends.length;
  }

  /** A copy of the template cut to `count` records (CRC not set), and the whole copy to give back. */
  take(count: number): [Buffer, Buffer] {
    const full = this.free.pop() ?? Buffer.from(this.plain);
    const size = this.ends[count - 1]!;
    full.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH);
    full.writeInt32BE(count - 1, LAST_OFFSET_DELTA);
    full.writeInt32BE(count, RECORD_COUNT);
    return [full.subarray(0, size), full];
  }

  give(full: Buffer): void {
    this.free.push(full);
  }
}

/** A zigzag varint at `pos`: its value and the position after it. */
function readVarint(buf: Buffer, pos: number): [number, number] {
  let raw = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++]!;
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0 || shift > 21) break;
    shift += 7;
  }
  return [(raw >>> 1) ^ -(raw & 1), pos];
}

/** Position of the first record's value in an uncompressed batch, or -1 if it has none. */
function firstValueAt(batch: Buffer): number {
  let pos = RECORDS;
  const skipVarint = () => {
    while (pos < batch.length && (batch[pos++]! & 0x80) !== 0);
  };
  const readVarint = () => {
    let raw = 0;
    let shift = 0;
    for (;;) {
      const b = batch[pos++]!;
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0 || shift > 21) break;
      shift += 7;
    }
    return (raw >>> 1) ^ -(raw & 1);
  };
  if (batch.length <= RECORDS) return -1;
  skipVarint(); // record length
  pos += 1; // attributes
  skipVarint(); // timestamp delta
  skipVarint(); // offset delta
  const keyLen = readVarint();
  if (keyLen > 0) pos += keyLen;
  const valueLen = readVarint();
  return valueLen >= STAMP_BYTES && pos + valueLen <= batch.length ? pos : -1;
}

/**
 * The creation times stamped into the batch at `pos` (of `size` bytes) of a fetched record set,
 * or null if it carries none.
 */
export function readStamp(records: Buffer, pos: number, size: number): [number, number] | null {
  let batch = records.subarray(pos, pos + size);
  if ((batch.readInt16BE(ATTRIBUTES) & COMPRESSION_MASK) !== 0) batch = decompressBatch(Buffer.from(batch));
  const at = firstValueAt(batch);
  if (at < 0 || batch.readUInt32BE(at + 16) !== TAG) return null;
  return [batch.readDoubleBE(at), batch.readDoubleBE(at + 8)];
}
