/**
 * Kafka wire primitives: writing.
 *
 * A Writer fills a growable buffer and produces a list of chunks (`finish(): Buffer[]`) meant
 * for one corked `writev`. Growing never copies: a full buffer becomes a chunk and writing
 * continues in a new one. Large `bytes`/`records` values (>= `REF_THRESHOLD` bytes, or always
 * through `records()`) are not copied either: the Buffer itself becomes a chunk, so a Fetch
 * response goes out as header bytes interleaved with zero-copy views of the log segments. The
 * caller must not modify a referenced Buffer until the chunks are written.
 *
 * `size` is known at any time, so a frame's length prefix is written with
 * `reserveInt32()` / `patchInt32()` (or use `frame.ts`, which does it).
 *
 * Representations match the Reader: int64 is `bigint`, uuid is the 22-character base64url
 * text form, `bytes` and `records` are Buffers.
 */
import { ProtocolEncodeError } from './errors.js';
import type { RawTaggedField } from './reader.js';

/** Buffers at least this long are appended by reference instead of copied. */
export const REF_THRESHOLD = 512;

const MAX_GROWTH = 1 << 20;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start of the part of `buf` not yet moved into `chunks`. */
  private start = 0;
  private chunks: Buffer[] = [];
  private committed = 0;
  /** DataView over `buf`, made on first use (int64/float64 writes are much faster through it). */
  private dv: DataView | undefined;
  private patches: Buffer[] = [];
  private patchOffsets: number[] = [];

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(initialCapacity > 0 ? initialCapacity : 64);
  }

  /** Bytes written so far. */
  get size(): number {
    return this.committed + this.pos - this.start;
  }

  private commit(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.committed += this.pos - this.start;
    }
    this.start = this.pos;
  }

  private grow(n: number): void {
    this.commit();
    const next = Math.max(n, Math.min(this.buf.length * 2, MAX_GROWTH));
    this.buf = Buffer.allocUnsafe(next);
    this.dv = undefined;
    this.pos = 0;
    this.start = 0;
  }

  /** Makes room for n contiguous bytes. */
  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  /** The written bytes as chunks, in order. The writer must not be used afterwards. */
  finish(): Buffer[] {
    this.commit();
    return this.chunks;
  }

  /** The written bytes as one Buffer (copies only when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, this.committed);
  }

  /** Reserves 4 bytes for an int32 written later with `patchInt32` (e.g. a frame size). */
  reserveInt32(): number {
    this.ensure(4);
    const handle = this.patches.length;
    this.patches.push(this.buf);
    this.patchOffsets.push(this.pos);
    this.pos += 4;
    return handle;
  }

  /** Fills a reserved int32. */
  patchInt32(handle: number, value: number): void {
    this.patches[handle]!.writeInt32BE(value, this.patchOffsets[handle]!);
  }

  // ---- fixed-size integers -------------------------------------------------------------

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  int16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.pos = p + 2;
  }

  uint16(v: number): void {
    this.int16(v);
  }

  int32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
  }

  uint32(v: number): void {
    this.int32(v);
  }

  private dataView(): DataView {
    const b = this.buf;
    return (this.dv = new DataView(b.buffer, b.byteOffset, b.length));
  }

  int64(v: bigint): void {
    this.ensure(8);
    (this.dv ?? this.dataView()).setBigInt64(this.pos, v);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    (this.dv ?? this.dataView()).setFloat64(this.pos, v);
    this.pos += 8;
  }

  /** A uuid given in Kafka's text form (22 characters of unpadded base64url). */
  uuid(v: string): void {
    this.ensure(16);
    if (v.length !== 22 || this.buf.write(v, this.pos, 16, 'base64url') !== 16) {
      throw new ProtocolEncodeError(`invalid uuid ${JSON.stringify(v)}: expected 22 characters of base64url`);
    }
    this.pos += 16;
  }

  // ---- varints ------------------------------------------------------------------------

  /** Unsigned LEB128 varint (0 .. 2^32-1). */
  uvarint(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.pos;
    let x = v >>> 0;
    while (x >= 0x80) {
      b[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    b[p++] = x;
    this.pos = p;
  }

  /** Zigzag signed 32-bit varint. */
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag signed 64-bit varint. */
  varlong(v: bigint): void {
    this.ensure(10);
    let x = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    const b = this.buf;
    let p = this.pos;
    while (x >= 0x80n) {
      b[p++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    b[p++] = Number(x);
    this.pos = p;
  }

  // ---- strings ------------------------------------------------------------------------

  /** Classic string: int16 length, then UTF-8. */
  string(v: string): void {
    this.ensure(2 + v.length * 3);
    const p = this.pos;
    const n = v.length === 0 ? 0 : this.buf.write(v, p + 2);
    if (n > 0x7fff) throw new ProtocolEncodeError(`string of ${n} bytes is longer than 32767`);
    this.buf[p] = n >>> 8;
    this.buf[p + 1] = n & 0xff;
    this.pos = p + 2 + n;
  }

  /** Classic nullable string: int16 length (-1 for null), then UTF-8. */
  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.string(v);
  }

  /** Compact string: uvarint (length + 1), then UTF-8. */
  compactString(v: string): void {
    if (v.length < 42) {
      // At most 41 * 3 = 123 bytes: the length varint is one byte.
      this.ensure(1 + v.length * 3);
      const p = this.pos;
      const n = v.length === 0 ? 0 : this.buf.write(v, p + 1);
      this.buf[p] = n + 1;
      this.pos = p + 1 + n;
      return;
    }
    const n = Buffer.byteLength(v);
    this.uvarint(n + 1);
    this.ensure(n);
    this.pos += this.buf.write(v, this.pos);
  }

  /** Compact nullable string: uvarint (length + 1), 0 for null. */
  compactNullableString(v: string | null): void {
    if (v === null) this.uvarint(0);
    else this.compactString(v);
  }

  // ---- bytes and records --------------------------------------------------------------

  /** Appends raw bytes: copied when small, referenced (zero-copy) when large. */
  raw(v: Buffer): void {
    const n = v.length;
    if (n >= REF_THRESHOLD) {
      this.commit();
      this.chunks.push(v);
      this.committed += n;
      return;
    }
    this.ensure(n);
    v.copy(this.buf, this.pos);
    this.pos += n;
  }

  /** Appends raw bytes by reference regardless of size (record data). */
  rawRef(v: Buffer): void {
    if (v.length === 0) return;
    this.commit();
    this.chunks.push(v);
    this.committed += v.length;
  }

  /** Classic bytes: int32 length, then the bytes. */
  bytes(v: Buffer): void {
    this.int32(v.length);
    this.raw(v);
  }

  /** Classic nullable bytes: int32 length (-1 for null), then the bytes. */
  nullableBytes(v: Buffer | null): void {
    if (v === null) this.int32(-1);
    else this.bytes(v);
  }

  /** Compact bytes: uvarint (length + 1), then the bytes. */
  compactBytes(v: Buffer): void {
    this.uvarint(v.length + 1);
    this.raw(v);
  }

  /** Compact nullable bytes: uvarint (length + 1), 0 for null. */
  compactNullableBytes(v: Buffer | null): void {
    if (v === null) this.uvarint(0);
    else this.compactBytes(v);
  }

  /** Classic `records`: int32 length (-1 for null), then the batches by reference. */
  records(v: Buffer | null): void {
    if (v === null) {
      this.int32(-1);
      return;
    }
    this.int32(v.length);
    this.rawRef(v);
  }

  /** Compact `records`: uvarint (length + 1, 0 for null), then the batches by reference. */
  compactRecords(v: Buffer | null): void {
    if (v === null) {
      this.uvarint(0);
      return;
    }
    this.uvarint(v.length + 1);
    this.rawRef(v);
  }

  // ---- tagged fields ------------------------------------------------------------------

  /** A whole tagged-field section holding only unknown (preserved) fields, or none. */
  taggedFields(unknown: RawTaggedField[] | undefined): void {
    if (unknown === undefined) {
      this.ensure(1);
      this.buf[this.pos++] = 0;
      return;
    }
    this.uvarint(unknown.length);
    this.rawTaggedFields(unknown, 0, -1);
  }

  /**
   * Writes preserved unknown tagged fields from index `start` while their tag is below
   * `belowTag` (all of them when `belowTag` < 0), so they interleave in ascending tag order
   * with the known ones. Returns the index of the first one not written.
   */
  rawTaggedFields(list: RawTaggedField[], start: number, belowTag: number): number {
    let i = start;
    for (; i < list.length; i++) {
      const f = list[i]!;
      if (belowTag >= 0 && f.tag >= belowTag) break;
      this.uvarint(f.tag);
      this.uvarint(f.data.length);
      this.raw(f.data);
    }
    return i;
  }

  /** Appends everything another writer wrote (used for tagged fields). */
  append(other: Writer): void {
    const chunks = other.finish();
    for (let i = 0; i < chunks.length; i++) this.raw(chunks[i]!);
  }
}
