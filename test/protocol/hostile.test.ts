/**
 * Hostile input: random bytes, truncations and absurd lengths into every decoder and every
 * version. The only error allowed is ProtocolDecodeError, nothing may hang, and a huge count or
 * length is refused before anything is allocated for it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ProtocolDecodeError, UnsupportedVersionError } from '../../src/protocol/errors.js';
import { decodeRequestBody, readRequestFrame } from '../../src/protocol/frame.js';
import * as M from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { codecLayouts, layout, Spec } from './schema-model.js';

type Dec = (r: Reader, version: number) => unknown;
type Enc = (w: Writer, v: unknown, version: number) => void;
const codecs = M as unknown as Record<string, Dec | Enc>;

function tryDecode(dec: Dec, buf: Buffer, version: number): void {
  const r = new Reader(buf);
  try {
    dec(r, version);
    r.complete();
  } catch (e) {
    if (!(e instanceof ProtocolDecodeError)) throw e;
  }
}

const cases = codecLayouts().flatMap((msg) => new Spec(msg).versions.map((v) => [msg.name, v] as const));

describe('random bytes', () => {
  test.each(cases)('%s v%i', (name, version) => {
    const dec = codecs[`decode${name}`] as Dec;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        tryDecode(dec, Buffer.from(bytes), version);
      }),
      { numRuns: 60 },
    );
  });
});

describe('truncated and corrupted valid messages', () => {
  test.each(cases)('%s v%i', (name, version) => {
    const spec = new Spec(layout(name));
    const enc = codecs[`encode${name}`] as Enc;
    const dec = codecs[`decode${name}`] as Dec;
    fc.assert(
      fc.property(spec.structArb(spec.msg.fields, version), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (value, cut, at, byte) => {
        const w = new Writer();
        enc(w, value, version);
        const full = w.toBuffer();
        // Every strict prefix of a valid message is a decode error or a shorter valid message.
        tryDecode(dec, full.subarray(0, full.length === 0 ? 0 : cut % full.length), version);
        if (full.length > 0) {
          const bad = Buffer.from(full);
          bad[at % bad.length] = byte;
          tryDecode(dec, bad, version);
        }
      }),
      { numRuns: 10 },
    );
  });
});

describe('absurd lengths', () => {
  test('0x7fffffff element count in a classic array is rejected at once', () => {
    // MetadataRequest v1: topics is a nullable int32-counted array.
    const buf = Buffer.from('7fffffff', 'hex');
    const r = new Reader(buf);
    const t0 = performance.now();
    const v = M.decodeMetadataRequest(r, 1);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(r.ok).toBe(false);
    expect(v.topics).toEqual([]);
    expect(() => r.complete()).toThrow(/array count past the end/);
  });

  test('0x7fffffff string and bytes lengths are rejected at once', () => {
    // ProduceRequest v3: transactional id (int16 string) then acks, timeout, topics...
    const w = new Writer();
    w.int16(0x7fff);
    const r = new Reader(w.toBuffer());
    M.decodeProduceRequest(r, 3);
    expect(r.ok).toBe(false);
    // ProduceRequest v2, one topic, one partition, records length 0x7fffffff.
    const p = new Writer();
    p.int16(1);
    p.int32(1000);
    p.int32(1);
    p.string('t');
    p.int32(1);
    p.int32(0);
    p.int32(0x7fffffff);
    const r2 = new Reader(p.toBuffer());
    M.decodeProduceRequest(r2, 2);
    expect(() => r2.complete()).toThrow(/bytes length past the end/);
  });

  test('huge compact counts and tagged-field counts are rejected at once', () => {
    // ProduceRequest v9 (flexible): transactional id null, acks, timeout, topics count 2^32-1.
    const w = new Writer();
    w.uvarint(0);
    w.int16(1);
    w.int32(1000);
    w.uvarint(0xffffffff);
    const r = new Reader(w.toBuffer());
    M.decodeProduceRequest(r, 9);
    expect(r.ok).toBe(false);
    // A tagged-field section claiming 2^31 fields.
    const t = new Writer();
    t.int32(1); // correlation id... as a ResponseHeader v1
    t.uvarint(0x7fffffff);
    const r2 = new Reader(t.toBuffer());
    M.decodeResponseHeader(r2, 1);
    expect(r2.ok).toBe(false);
  });

  test('a frame of nested maximal counts decodes in bounded time', () => {
    // FetchRequest v4: topics count = remaining bytes, each topic claims a huge partition count.
    const w = new Writer();
    w.int32(-1);
    w.int32(500);
    w.int32(1);
    w.int32(1 << 20);
    w.int8(0);
    w.int32(100_000);
    for (let i = 0; i < 100_000; i++) w.int8(0);
    const r = new Reader(w.toBuffer());
    const t0 = performance.now();
    M.decodeFetchRequest(r, 4);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(r.ok).toBe(false);
  });
});

describe('request frames', () => {
  test('random frames: only ProtocolDecodeError or UnsupportedVersionError', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 90 }), fc.integer({ min: -1, max: 20 }), fc.uint8Array({ maxLength: 120 }), (key, version, rest) => {
        const w = new Writer();
        w.int16(key);
        w.int16(version);
        w.int32(1);
        const frame = Buffer.concat([w.toBuffer(), Buffer.from(rest)]);
        try {
          decodeRequestBody(readRequestFrame(frame));
        } catch (e) {
          if (!(e instanceof ProtocolDecodeError) && !(e instanceof UnsupportedVersionError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('a frame shorter than a header is a decode error', () => {
    expect(() => readRequestFrame(Buffer.from([0, 3]))).toThrow(ProtocolDecodeError);
  });
});
