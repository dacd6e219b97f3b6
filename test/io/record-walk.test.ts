/**
 * The native record walk (native/record_walk.cc) against the JS walk of
 * src/format/record-batch.ts, which stays the reference: on valid batches, on every kind of
 * damage a fuzzer can make to them, and on the edge cases of varint decoding. Any disagreement
 * would let the produce path accept what the reference refuses, or the other way round.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECORDS, RECORD_COUNT, LAST_OFFSET_DELTA } from '../../src/format/batch-header.js';
import { checkRecordSection, encodeBatch } from '../../src/format/record-batch.js';
import { loadNativeBackend } from '../../src/io/native.js';

const skip = process.env.STRAND_BACKEND === 'portable';
const native = skip ? undefined! : loadNativeBackend();

/** The JS walk alone: passing stats makes checkRecordSection skip the native verdict. */
function jsValid(buf: Buffer, start: number, end: number, count: number, lastDelta: number, sequential: boolean, keys: boolean): boolean {
  return checkRecordSection(buf, start, end, count, lastDelta, sequential, { maxTimestampDelta: 0 }, keys) === null;
}

const record = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }) }), { maxLength: 3 }),
});

describe.skipIf(skip)('native record walk', () => {
  it('agrees with the JS walk on valid batches and on every mutation of them', () => {
    const verdicts = { valid: 0, invalid: 0 };
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 30 }),
        // Untouched batches and headers often enough that both verdicts come up many times.
        fc.oneof({ weight: 1, arbitrary: fc.constant([] as Array<[number, number]>) }, { weight: 2, arbitrary: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }) }),
        fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
        fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
        fc.boolean(),
        fc.boolean(),
        (records, flips, countSkew, deltaSkew, sequential, keys) => {
          const batch = encodeBatch(records.map((r) => ({
            key: r.key === null ? null : Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            timestamp: r.timestamp,
            headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
          })));
          const count = batch.readInt32BE(RECORD_COUNT) + countSkew;
          const lastDelta = batch.readInt32BE(LAST_OFFSET_DELTA) + deltaSkew;
          for (const [at, byte] of flips) {
            const pos = RECORDS + (at % (batch.length - RECORDS));
            batch[pos] = byte;
          }
          const js = jsValid(batch, RECORDS, batch.length, count, lastDelta, sequential, keys);
          const nat = native.recordSectionValid(batch, RECORDS, batch.length, count, lastDelta, sequential, keys);
          expect(nat).toBe(js);
          verdicts[js ? 'valid' : 'invalid']++;
        },
      ),
      { numRuns: 3000 },
    );
    // Both verdicts are exercised, or agreement would prove little.
    expect(verdicts.valid).toBeGreaterThan(300);
    expect(verdicts.invalid).toBeGreaterThan(300);
  });

  it('accepts an unmodified batch and refuses a keyless record only when keys are required', () => {
    const batch = encodeBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }, { key: null, value: Buffer.from('w') }]);
    const args = [batch, RECORDS, batch.length, 2, 1, true] as const;
    expect(native.recordSectionValid(...args, false)).toBe(true);
    expect(native.recordSectionValid(...args, true)).toBe(false);
    expect(checkRecordSection(...args, undefined, true)).toBe('record 1 has a null key');
  });

  it('refuses over-long varints and bytes past the section exactly as the JS walk does', () => {
    // A record whose length varint never ends, one with 6 continuation bytes, and a truncated one.
    for (const bytes of [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01], [0x02]]) {
      const buf = Buffer.from(bytes);
      expect(native.recordSectionValid(buf, 0, buf.length, 1, 0, true, false)).toBe(jsValid(buf, 0, buf.length, 1, 0, true, false));
      expect(native.recordSectionValid(buf, 0, buf.length, 1, 0, true, false)).toBe(false);
    }
    // An empty section with zero records is valid; with trailing bytes it is not.
    expect(native.recordSectionValid(Buffer.alloc(0), 0, 0, 0, -1, true, false)).toBe(true);
    expect(native.recordSectionValid(Buffer.alloc(3), 0, 3, 0, -1, true, false)).toBe(false);
  });

  it('refuses bounds outside the buffer with a typed error instead of reading past it', () => {
    const buf = Buffer.alloc(10);
    expect(() => native.recordSectionValid(buf, 0, 11, 1, 0, true, false)).toThrow(/outside/);
    expect(() => native.recordSectionValid(buf, 5, 4, 1, 0, true, false)).toThrow(/outside/);
  });
});
