import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32cJs } from '../../src/io/crc32c-js.js';
import { BackendUnavailableError } from '../../src/errors.js';
import { createWasmCrc32c, loadWasmCrc32c, wasmCrc32cPath } from '../../src/io/crc32c-wasm.js';

/** Bit-at-a-time CRC-32C, straight from the definition: the reference for both kernels. */
function crc32cBitwise(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

const wasm = loadWasmCrc32c();
const kernels = [
  ['js', crc32cJs],
  ['wasm', wasm],
] as const;
const ascii = (s: string) => new TextEncoder().encode(s);

describe.each(kernels)('crc32c (%s)', (_name, crc) => {
  it('gives the standard check values', () => {
    expect(crc(new Uint8Array(0))).toBe(0);
    expect(crc(ascii('123456789'))).toBe(0xe3069283);
    expect(crc(ascii('a'))).toBe(0xc1d04330);
    // RFC 3720 (iSCSI) B.4 vectors
    expect(crc(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 50; i++) {
      const v = crc(randomBytes(i * 7));
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
    }
  });

  it('empty data returns the seed', () => {
    expect(crc(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
    expect(crc(new Uint8Array(0), 0xe3069283)).toBe(0xe3069283);
  });

  it('matches the bitwise reference on 1 MiB of random data', () => {
    const data = randomBytes(1 << 20);
    expect(crc(data)).toBe(crc32cBitwise(data));
  });

  it('matches the bitwise reference for every length 0..300 at several offsets', () => {
    const big = randomBytes(300 + 64);
    for (const offset of [0, 1, 2, 3, 5, 7, 8, 13, 31]) {
      for (let len = 0; len <= 300; len++) {
        const view = big.subarray(offset, offset + len);
        expect(crc(view), `offset ${offset} length ${len}`).toBe(crc32cBitwise(view));
      }
    }
  });

  it('matches the bitwise reference around block and chunk boundaries', () => {
    // 256, 1024 and 4096 are the SIMD block sizes of the wasm kernel; 65536 its scratch chunk.
    const big = randomBytes(3 * 65536 + 64);
    const lengths = [255, 256, 257, 1023, 1024, 1025, 1279, 4095, 4096, 4097, 5376, 65535, 65536, 65537, 2 * 65536 + 4096 + 1024 + 256 + 7];
    for (const len of lengths) {
      for (const offset of [0, 3]) {
        const view = big.subarray(offset, offset + len);
        expect(crc(view), `offset ${offset} length ${len}`).toBe(crc32cBitwise(view));
      }
    }
  });

  it('chains through the seed: crc(b, crc(a)) == crc(a ++ b)', () => {
    const data = randomBytes(200_000);
    const whole = crc(data);
    for (const cut of [0, 1, 7, 8, 255, 4096, 65536, 65537, 150_001, 200_000]) {
      expect(crc(data.subarray(cut), crc(data.subarray(0, cut))), `cut at ${cut}`).toBe(whole);
    }
    let running = 0;
    for (let off = 0; off < data.length; off += 9999) running = crc(data.subarray(off, off + 9999), running);
    expect(running).toBe(whole);
  });

  it('accepts Buffers and plain Uint8Arrays alike', () => {
    const bytes = randomBytes(1000);
    expect(crc(new Uint8Array(bytes))).toBe(crc(bytes));
  });
});

describe('crc32c wasm vs js', () => {
  it('agree on random arrays and seeds (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), fc.nat({ max: 64 }), fc.integer({ min: 0, max: 0xffffffff }), (bytes, shift, seed) => {
        // copy to an odd offset of a larger buffer as well, to vary alignment
        const shifted = new Uint8Array(bytes.length + shift);
        shifted.set(bytes, shift);
        const view = shifted.subarray(shift);
        const expected = crc32cJs(bytes, seed);
        return wasm(bytes, seed) === expected && wasm(view, seed) === expected;
      }),
      { numRuns: 500 },
    );
  });

  it('agree on large inputs spanning several scratch chunks', () => {
    const data = randomBytes(5 * 65536 + 12345);
    expect(wasm(data, 0x12345678)).toBe(crc32cJs(data, 0x12345678));
  });

  it('agree with the seed given as a negative int32 (same bits)', () => {
    const data = randomBytes(777);
    expect(wasm(data, 0xdeadbeef | 0)).toBe(crc32cJs(data, 0xdeadbeef));
    expect(crc32cJs(data, 0xdeadbeef | 0)).toBe(crc32cJs(data, 0xdeadbeef));
  });

  it('returns the same function on every load', () => {
    expect(loadWasmCrc32c()).toBe(wasm);
  });
});

describe('crc32c wasm loading', () => {
  it('finds the kernel under the package root', () => {
    expect(wasmCrc32cPath()).toMatch(/wasm[\\/]build[\\/]crc32c\.wasm$/);
  });

  it('a missing kernel is a BackendUnavailableError that says how to build it', () => {
    const missing = join(tmpdir(), `strand-no-such-dir-${process.pid}`, 'crc32c.wasm');
    expect(() => createWasmCrc32c(missing)).toThrow(BackendUnavailableError);
    expect(() => createWasmCrc32c(missing)).toThrow(/npm run build:wasm/);
    expect(() => createWasmCrc32c(missing)).toThrow(missing);
  });

  it('a file that is not a kernel is a BackendUnavailableError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strand-crc-'));
    try {
      const bogus = join(dir, 'crc32c.wasm');
      writeFileSync(bogus, 'not wasm');
      expect(() => createWasmCrc32c(bogus)).toThrow(BackendUnavailableError);
      expect(() => createWasmCrc32c(bogus)).toThrow(/npm run build:wasm/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('separate instances do not share state', () => {
    const other = createWasmCrc32c(wasmCrc32cPath());
    const a = randomBytes(70_000);
    const b = randomBytes(100);
    expect(other(a)).toBe(wasm(a));
    expect(other(b)).toBe(wasm(b));
  });
});
