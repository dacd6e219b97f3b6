/**
 * Kafka wire primitives: reading.
 *
 * "Read, then check once" (franz-go's kbin.Reader): every read past the end, every negative
 * or oversized length and every malformed varint marks the reader failed, moves it to the end
 * and returns a zero value (0, 0n, false, '', an empty Buffer, a count of 0). Decoders run to
 * the end without a single try/catch and the caller checks `ok` or calls `complete()` once,
 * which throws a typed `ProtocolDecodeError`. Because every length and element count is capped
 * by the bytes that remain, a hostile frame can neither crash a decoder nor make it allocate
 * more than a small multiple of its own size.
 *
 * Representations: int64 is `bigint` everywhere (offsets, timestamps, producer ids) because a
 * JS number cannot hold all 64-bit values; a uuid is Kafka's own text form, the 22-character
 * unpadded base64url string of its 16 bytes (what `kafka-topics --describe` prints); `bytes`
 * and `records` are zero-copy `subarray` views of the frame, valid as long as the frame is.
 */
import { KafkaErrorCode } from '../errors.js';
import { ProtocolDecodeError } from './errors.js';

const EMPTY = Buffer.alloc(0);

/** One tagged field that a decoder did not know, kept verbatim so it can be written back. */
export interface RawTaggedField {
  tag: number;
  data: Buffer;
}

export class Reader {
  /** The buffer being read. */
  readonly buf: Buffer;
  /** Next byte to read. */
  pos: number;
  /** One past the last readable byte. */
  readonly end: number;
  /** False once any read failed; every later read returns zero values. */
  ok = true;
  /** DataView over `buf`, made on first int64/float64 read (faster than Buffer's methods). */
  private dv: DataView | undefined;
  private reason = '';
  private failedAt = -1;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Marks the reader failed (the first reason is kept) and moves it to the end. */
  fail(reason: string): void {
    if (this.ok) {
      this.ok = false;
      this.reason = reason;
      this.failedAt = this.pos;
    }
    this.pos = this.end;
  }

  /** The error describing the first failure, or undefined while `ok`. */
  error(kafkaCode: KafkaErrorCode = KafkaErrorCode.INVALID_REQUEST): ProtocolDecodeError | undefined {
    if (this.ok) return undefined;
    return new ProtocolDecodeError(`${this.reason} at byte ${this.failedAt} of ${this.end}`, this.failedAt, kafkaCode);
  }

  /** Throws a ProtocolDecodeError if any read failed. */
  complete(kafkaCode: KafkaErrorCode = KafkaErrorCode.INVALID_REQUEST): void {
    if (!this.ok) throw this.error(kafkaCode)!;
  }

  /** Skips n bytes. */
  skip(n: number): void {
    if (n < 0 || n > this.end - this.pos) this.fail('skip past the end');
    else this.pos += n;
  }

  // ---- fixed-size integers -------------------------------------------------------------

  bool(): boolean {
    const p = this.pos;
    if (p >= this.end) {
      this.fail('truncated bool');
      return false;
    }
    this.pos = p + 1;
    return this.buf[p] !== 0;
  }

  int8(): number {
    const p = this.pos;
    if (p >= this.end) {
      this.fail('truncated int8');
      return 0;
    }
    this.pos = p + 1;
    return (this.buf[p]! << 24) >> 24;
  }

  int16(): number {
    const p = this.pos;
    if (p + 2 > this.end) {
      this.fail('truncated int16');
      return 0;
    }
    this.pos = p + 2;
    const b = this.buf;
    return (((b[p]! << 8) | b[p + 1]!) << 16) >> 16;
  }

  uint16(): number {
    const p = this.pos;
    if (p + 2 > this.end) {
      this.fail('truncated uint16');
      return 0;
    }
    this.pos = p + 2;
    const b = this.buf;
    return (b[p]! << 8) | b[p + 1]!;
  }

  int32(): number {
    const p = this.pos;
    if (p + 4 > this.end) {
      this.fail('truncated int32');
      return 0;
    }
    this.pos = p + 4;
    const b = this.buf;
    return (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  int64(): bigint {
    const p = this.pos;
    if (p + 8 > this.end) {
      this.fail('truncated int64');
      return 0n;
    }
    this.pos = p + 8;
    return (this.dv ?? this.dataView()).getBigInt64(p);
  }

  private dataView(): DataView {
    const b = this.buf;
    return (this.dv = new DataView(b.buffer, b.byteOffset, b.length));
  }

  float64(): number {
    const p = this.pos;
    if (p + 8 > this.end) {
      this.fail('truncated float64');
      return 0;
    }
    this.pos = p + 8;
    return (this.dv ?? this.dataView()).getFloat64(p);
  }

  /** 16 raw bytes, returned as Kafka's 22-character base64url text form. */
  uuid(): string {
    const p = this.pos;
    if (p + 16 > this.end) {
      this.fail('truncated uuid');
      return ZERO_UUID;
    }
    this.pos = p + 16;
    return this.buf.toString('base64url', p, p + 16);
  }

  // ---- varints ------------------------------------------------------------------------

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits), as used by flexible versions. */
  uvarint(): number {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    if (p < end) {
      const x = b[p]!;
      if (x < 0x80) {
        this.pos = p + 1;
        return x;
      }
    }
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (p >= end) {
        this.fail('truncated varint');
        return 0;
      }
      const x = b[p++]!;
      result += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) {
        this.pos = p;
        return result > 0xffffffff ? result % 0x100000000 : result;
      }
      shift += 7;
    }
    this.fail('varint longer than 5 bytes');
    return 0;
  }

  /** Zigzag-encoded signed 32-bit varint (used inside records). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed 64-bit varint of at most 10 bytes (used inside records). */
  varlong(): bigint {
    const b = this.buf;
    const end = this.end;
    let p = this.pos;
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (p >= end) {
        this.fail('truncated varlong');
        return 0n;
      }
      const x = b[p++]!;
      result |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) {
        this.pos = p;
        const u = BigInt.asUintN(64, result);
        return (u >> 1n) ^ -(u & 1n);
      }
      shift += 7n;
    }
    this.fail('varlong longer than 10 bytes');
    return 0n;
  }

  // ---- strings ------------------------------------------------------------------------

  private utf8(len: number): string {
    if (len === 0) return '';
    const p = this.pos;
    if (len > this.end - p) {
      this.fail('string length past the end');
      return '';
    }
    this.pos = p + len;
    return this.buf.toString('utf8', p, p + len);
  }

  /** Classic string: int16 length, then UTF-8 bytes. */
  string(): string {
    const len = this.int16();
    if (len < 0) {
      this.fail('null in a non-nullable string');
      return '';
    }
    return this.utf8(len);
  }

  /** Classic nullable string: int16 length, -1 is null. */
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) {
      if (len !== -1) this.fail('negative string length');
      return null;
    }
    return this.utf8(len);
  }

  /** Compact string: uvarint (length + 1), then UTF-8 bytes. */
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) {
      if (this.ok) this.fail('null in a non-nullable compact string');
      return '';
    }
    return this.utf8(n - 1);
  }

  /** Compact nullable string: uvarint (length + 1), 0 is null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }

  // ---- bytes and records (zero-copy views) ---------------------------------------------

  private view(len: number): Buffer {
    if (len === 0) return EMPTY;
    const p = this.pos;
    if (len > this.end - p) {
      this.fail('bytes length past the end');
      return EMPTY;
    }
    this.pos = p + len;
    return this.buf.subarray(p, p + len);
  }

  /** Classic bytes: int32 length, then the bytes (a view of the frame). */
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) {
      this.fail('null in non-nullable bytes');
      return EMPTY;
    }
    return this.view(len);
  }

  /** Classic nullable bytes (also `records`): int32 length, -1 is null. */
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) {
      if (len !== -1) this.fail('negative bytes length');
      return null;
    }
    return this.view(len);
  }

  /** Compact bytes: uvarint (length + 1), then the bytes. */
  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) {
      if (this.ok) this.fail('null in non-nullable compact bytes');
      return EMPTY;
    }
    return this.view(n - 1);
  }

  /** Compact nullable bytes (also compact `records`): uvarint (length + 1), 0 is null. */
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.view(n - 1);
  }

  // ---- array lengths ------------------------------------------------------------------
  // Each element of every array takes at least one byte on the wire, so a count larger than
  // the bytes that remain is rejected before any element is allocated.

  private count(n: number): number {
    if (n > this.end - this.pos) {
      this.fail('array count past the end');
      return 0;
    }
    return n;
  }

  /** Classic non-nullable array count (int32). */
  arrayLength(): number {
    const n = this.int32();
    if (n < 0) {
      if (this.ok) this.fail('null in a non-nullable array');
      return 0;
    }
    return this.count(n);
  }

  /** Classic nullable array count (int32); -1 is null. */
  nullableArrayLength(): number {
    const n = this.int32();
    if (n < 0) {
      if (n !== -1) this.fail('negative array count');
      return -1;
    }
    return this.count(n);
  }

  /** Compact non-nullable array count: uvarint (count + 1). */
  compactArrayLength(): number {
    const n = this.uvarint();
    if (n === 0) {
      if (this.ok) this.fail('null in a non-nullable compact array');
      return 0;
    }
    return this.count(n - 1);
  }

  /** Compact nullable array count; -1 is null. */
  compactNullableArrayLength(): number {
    const n = this.uvarint();
    if (n === 0) return -1;
    return this.count(n - 1);
  }

  // ---- tagged fields ------------------------------------------------------------------

  /** Number of tagged fields that follow (capped by the bytes that remain). */
  taggedFieldCount(): number {
    return this.count(this.uvarint());
  }

  /** Reads the size of one tagged field and returns the offset where it ends. */
  taggedFieldEnd(): number {
    const size = this.uvarint();
    if (size > this.end - this.pos) {
      this.fail('tagged field past the end');
      return this.end;
    }
    return this.pos + size;
  }

  /** After decoding a known tagged field: fails if it overran its size, else skips what it left. */
  endTaggedField(end: number): void {
    if (this.pos > end) this.fail('tagged field longer than its size');
    else this.pos = end;
  }

  /** An unknown tagged field: keeps its bytes (a view) and moves past them. */
  unknownTaggedField(tag: number, end: number, into: RawTaggedField[] | undefined): RawTaggedField[] {
    const list = into ?? [];
    list.push({ tag, data: this.buf.subarray(this.pos, end) });
    this.pos = end;
    return list;
  }

  /** A whole tagged-field section of a struct that knows no tags: every field is kept raw. */
  taggedFields(): RawTaggedField[] | undefined {
    const p = this.pos;
    if (p < this.end && this.buf[p] === 0) {
      this.pos = p + 1;
      return undefined;
    }
    const n = this.taggedFieldCount();
    let list: RawTaggedField[] | undefined;
    for (let i = 0; i < n && this.ok; i++) {
      const tag = this.uvarint();
      const end = this.taggedFieldEnd();
      if (this.ok) list = this.unknownTaggedField(tag, end, list);
    }
    return list;
  }
}

/** The all-zero uuid in Kafka's text form (`Uuid.ZERO_UUID`). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
