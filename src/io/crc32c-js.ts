/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) in plain JavaScript, slicing-by-8.
 *
 * This is the reference implementation: tests and benchmarks compare the WebAssembly kernel and
 * the native addon against it. It is also the last-resort fallback, needing nothing but JS.
 */

const POLY = 0x82f63b78;

/** Eight 256-entry tables: TABLES[k * 256 + b] is the CRC contribution of byte b followed by k zero bytes. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
}

/**
 * CRC-32C of `data`, continuing from `seed` (the CRC of the bytes before `data`; 0 to start).
 * Returns an unsigned 32-bit integer. `crc32cJs(b, crc32cJs(a)) === crc32cJs(a ++ b)`.
 */
export function crc32cJs(data: Uint8Array, seed = 0): number {
  const t = TABLES;
  let crc = ~seed;
  let i = 0;
  const n = data.length;
  const end8 = n - (n & 7);
  while (i < end8) {
    const a = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    const b = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
    crc =
      t[0x700 + (a & 0xff)]! ^
      t[0x600 + ((a >>> 8) & 0xff)]! ^
      t[0x500 + ((a >>> 16) & 0xff)]! ^
      t[0x400 + (a >>> 24)]! ^
      t[0x300 + (b & 0xff)]! ^
      t[0x200 + ((b >>> 8) & 0xff)]! ^
      t[0x100 + ((b >>> 16) & 0xff)]! ^
      t[b >>> 24]!;
    i += 8;
  }
  while (i < n) {
    crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
