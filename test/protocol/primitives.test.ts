/** Reader and Writer: every primitive, nulls, limits, chunks and zero-copy references. */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ProtocolDecodeError, ProtocolEncodeError } from '../../src/protocol/errors.js';
import { Reader, ZERO_UUID } from '../../src/protocol/reader.js';
import { REF_THRESHOLD, Writer } from '../../src/protocol/writer.js';

const bytes = (w: Writer): Buffer => w.toBuffer();
const hex = (w: Writer): string => w.toBuffer().toString('hex');

describe('fixed-size integers', () => {
  test('big-endian encodings', () => {
    const w = new Writer(1);
    w.bool(true);
    w.int8(-2);
    w.int16(-2);
    w.uint16(0xfffe);
    w.int32(-2);
    w.uint32(0xfffffffe);
    w.int64(-2n);
    w.float64(1.5);
    expect(hex(w)).toBe('01' + 'fe' + 'fffe' + 'fffe' + 'fffffffe' + 'fffffffe' + 'fffffffffffffffe' + '3ff8000000000000');
  });

  test('round trips', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -32768, max: 32767 }),
        fc.integer({ min: 0, max: 65535 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.double(),
        (b, i8, i16, u16, i32, u32, i64, f64) => {
          const w = new Writer(3);
          w.bool(b);
          w.int8(i8);
          w.int16(i16);
          w.uint16(u16);
          w.int32(i32);
          w.uint32(u32);
          w.int64(i64);
          w.float64(f64);
          const r = new Reader(bytes(w));
          expect([r.bool(), r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.int64(), r.float64()]).toEqual([b, i8, i16, u16, i32, u32, i64, f64]);
          r.complete();
          expect(r.remaining).toBe(0);
        },
      ),
    );
  });

  test('bool: any non-zero byte is true', () => {
    expect(new Reader(Buffer.from([7])).bool()).toBe(true);
  });
});

describe('varints', () => {
  test('unsigned varint encodings (not zigzag)', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8001'],
      [300, 'ac02'],
      [16383, 'ff7f'],
      [16384, '808001'],
      [0xffffffff, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      const w = new Writer();
      w.uvarint(v);
      expect(hex(w)).toBe(h);
      const r = new Reader(Buffer.from(h, 'hex'));
      expect(r.uvarint()).toBe(v);
      r.complete();
    }
  });

  test('zigzag varint and varlong round trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, l) => {
        const w = new Writer(1);
        w.varint(i);
        w.varlong(l);
        const r = new Reader(bytes(w));
        expect(r.varint()).toBe(i);
        expect(r.varlong()).toBe(l);
        r.complete();
      }),
    );
    const w = new Writer();
    w.varint(-1);
    w.varint(1);
    w.varlong(-64n);
    expect(hex(w)).toBe('01' + '02' + '7f');
  });

  test('overlong and truncated varints fail', () => {
    const r = new Reader(Buffer.from('ffffffffff01', 'hex'));
    expect(r.uvarint()).toBe(0);
    expect(r.ok).toBe(false);
    const t = new Reader(Buffer.from('80', 'hex'));
    t.uvarint();
    expect(() => t.complete()).toThrow(ProtocolDecodeError);
  });
});

describe('strings and bytes', () => {
  test('classic and compact strings, with null', () => {
    const w = new Writer(1);
    w.string('héllo');
    w.nullableString(null);
    w.compactString('héllo');
    w.compactNullableString(null);
    w.compactString('');
    expect(hex(w)).toBe('0006' + Buffer.from('héllo').toString('hex') + 'ffff' + '07' + Buffer.from('héllo').toString('hex') + '00' + '01');
    const r = new Reader(bytes(w));
    expect([r.string(), r.nullableString(), r.compactString(), r.compactNullableString(), r.compactString()]).toEqual(['héllo', null, 'héllo', null, '']);
    r.complete();
  });

  test('strings of every length and alphabet round trip', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
        const w = new Writer(2);
        w.string(s);
        w.compactString(s);
        const r = new Reader(bytes(w));
        expect(r.string()).toBe(s);
        expect(r.compactString()).toBe(s);
        r.complete();
      }),
    );
  });

  test('a long compact string uses a multi-byte length', () => {
    const s = 'x'.repeat(200);
    const w = new Writer();
    w.compactString(s);
    expect(bytes(w).subarray(0, 2).toString('hex')).toBe('c901');
  });

  test('classic string longer than 32767 bytes is an encode error', () => {
    expect(() => new Writer().string('x'.repeat(40000))).toThrow(ProtocolEncodeError);
  });

  test('null where not nullable fails the reader', () => {
    for (const [buf, read] of [
      ['ffff', (r: Reader) => r.string()],
      ['00', (r: Reader) => r.compactString()],
      ['ffffffff', (r: Reader) => r.bytes()],
      ['00', (r: Reader) => r.compactBytes()],
      ['ffffffff', (r: Reader) => r.arrayLength()],
      ['00', (r: Reader) => r.compactArrayLength()],
    ] as const) {
      const r = new Reader(Buffer.from(buf, 'hex'));
      read(r);
      expect(r.ok).toBe(false);
    }
  });

  test('bytes decode as views of the frame (zero copy)', () => {
    const w = new Writer();
    w.bytes(Buffer.from('abc'));
    w.compactNullableBytes(Buffer.from('de'));
    const frame = bytes(w);
    const r = new Reader(frame);
    const a = r.bytes();
    const b = r.compactNullableBytes()!;
    expect(a.toString()).toBe('abc');
    expect(b.toString()).toBe('de');
    frame[4] = 'X'.charCodeAt(0);
    expect(a.toString()).toBe('Xbc');
    expect(a.buffer).toBe(frame.buffer);
  });

  test('uuid is the base64url text form', () => {
    const raw = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const id = raw.toString('base64url');
    const w = new Writer();
    w.uuid(id);
    w.uuid(ZERO_UUID);
    expect(hex(w)).toBe(raw.toString('hex') + '00'.repeat(16));
    const r = new Reader(bytes(w));
    expect(r.uuid()).toBe(id);
    expect(r.uuid()).toBe(ZERO_UUID);
    expect(() => new Writer().uuid('not-a-uuid')).toThrow(ProtocolEncodeError);
  });
});

describe('Writer chunks', () => {
  test('growing never copies: earlier chunks stay as they were', () => {
    const w = new Writer(4);
    for (let i = 0; i < 100; i++) w.int32(i);
    const chunks = w.finish();
    // Each new buffer doubles the last, from 4 bytes; a full one is kept as it is, not copied.
    expect(chunks.map((c) => c.length)).toEqual([4, 8, 16, 32, 64, 128, 148]);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(400);
    for (let i = 0; i < 100; i++) expect(all.readInt32BE(i * 4)).toBe(i);
  });

  test('records and large bytes are appended by reference, small ones copied', () => {
    const big = Buffer.alloc(REF_THRESHOLD, 1);
    const small = Buffer.alloc(10, 2);
    const batch = Buffer.alloc(20, 3);
    const w = new Writer(64);
    w.int16(7);
    w.bytes(big);
    w.bytes(small);
    w.records(batch);
    w.int8(9);
    expect(w.size).toBe(2 + 4 + big.length + 4 + 10 + 4 + 20 + 1);
    const chunks = w.finish();
    expect(chunks.some((c) => c === big)).toBe(true);
    expect(chunks.some((c) => c === small)).toBe(false);
    expect(chunks.some((c) => c === batch)).toBe(true);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(2 + 4 + big.length + 4 + 10 + 4 + 20 + 1);
    expect(all.readInt32BE(2)).toBe(big.length);
    expect(all[all.length - 1]).toBe(9);
  });

  test('reserveInt32 / patchInt32 write a size prefix after the fact, across chunks', () => {
    const w = new Writer(8);
    const h = w.reserveInt32();
    for (let i = 0; i < 50; i++) w.int32(i);
    w.records(Buffer.alloc(1000));
    w.patchInt32(h, w.size - 4);
    const all = Buffer.concat(w.finish());
    expect(all.readInt32BE(0)).toBe(all.length - 4);
  });

  test('toBuffer returns the single chunk without copying', () => {
    const w = new Writer(64);
    w.int32(1);
    expect(w.toBuffer().length).toBe(4);
  });
});

describe('Reader failure', () => {
  test('reads past the end return zero values and fail once, with where', () => {
    const r = new Reader(Buffer.from([1, 2]));
    expect(r.int32()).toBe(0);
    expect(r.int64()).toBe(0n);
    expect(r.string()).toBe('');
    expect(r.bytes().length).toBe(0);
    expect(r.nullableArrayLength()).toBe(0);
    expect(r.ok).toBe(false);
    const e = r.error()!;
    expect(e).toBeInstanceOf(ProtocolDecodeError);
    expect(e.message).toBe('truncated int32 at byte 0 of 2');
    expect(e.kafkaCode).toBe(42);
    expect(e.code).toBe('ERR_STRAND_PROTOCOL_DECODE');
  });

  test('a length of 0x7fffffff is rejected without allocating', () => {
    const huge = Buffer.from('7fffffff', 'hex');
    for (const read of [(r: Reader) => r.bytes(), (r: Reader) => r.nullableBytes(), (r: Reader) => r.arrayLength(), (r: Reader) => r.nullableArrayLength()]) {
      const r = new Reader(huge);
      read(r);
      expect(r.ok).toBe(false);
    }
    const s = new Reader(Buffer.from('7fff', 'hex'));
    expect(s.string()).toBe('');
    expect(s.ok).toBe(false);
    const c = new Reader(Buffer.from('ffffffff07', 'hex'));
    expect(c.compactArrayLength()).toBe(0);
    expect(c.ok).toBe(false);
  });

  test('a reader may cover part of a buffer', () => {
    const buf = Buffer.from('0000000100000002', 'hex');
    const r = new Reader(buf, 4, 8);
    expect(r.int32()).toBe(2);
    expect(r.remaining).toBe(0);
    r.int8();
    expect(r.ok).toBe(false);
  });
});
