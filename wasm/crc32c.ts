// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) kernel, compiled to WebAssembly (with
// SIMD) by AssemblyScript; see build.mjs. Used by the portable backend (src/io/crc32c-wasm.ts).
//
// No runtime and no allocation: the module works on fixed regions of its own linear memory.
//
//   0x00000  T        slicing-by-8 tables, 8 x 256 x u32: T[k][b] = byte b followed by k zeros
//   0x02000  SHIFT    3 x 4 tables of 256 x u32, one set per lane length in LANES: they multiply a
//                     CRC register by x^(8 * lane length), one byte of the register at a time
//   0x05000  NIB      8 x 16-byte nibble tables for the SIMD kernel
//   0x05080  COLS     16 x v128: the transposed columns of the current 16 x 16 byte tile
//   0x05180  PLANES   4 x v128: the lane registers, spilled to combine them
//   0x05200  BASIS    32 x u32, used while building SHIFT
//   0x10000  SCRATCH  64 KiB: the host copies input here, then calls crc32c(seed, SCRATCH, len)
//
// Algorithm. Bulk data is cut into blocks of 16 lanes x `lane` bytes (lane = 256, then 64, then
// 16 for what is left). All 16 lanes advance together, one byte each per step: the 32-bit CRC
// registers of the lanes are held as 4 byte planes (v128 p0..p3, byte i of plane k = byte k of
// lane i's register), and the byte-wise table step reg' = (reg >> 8) ^ T[(reg ^ byte) & 0xff] is
// done with 16-entry i8x16.swizzle lookups on the low and high nibble of the index (the table
// is linear, so T[i] = T[i & 15] ^ T[i & 0xf0]). Input is read 16 bytes from each lane and
// transposed with byte/halfword/word/doubleword unpacks so that one v128 holds one byte of every
// lane. Finally the lane registers are chained: reg(A || B) = reg(A) * x^(8|B|) ^ reg0(B), the
// multiplication done with the SHIFT tables. What is shorter than the smallest block goes
// through scalar slicing-by-8.

const POLY: u32 = 0x82f63b78;
const T: usize = 0x00000;
const SHIFT: usize = 0x02000;
const NIB: usize = 0x05000;
const COLS: usize = 0x05080;
const PLANES: usize = 0x05180;
const BASIS: usize = 0x05200;
const SCRATCH: usize = 0x10000;
const SCRATCH_SIZE: usize = 0x10000;

/** Lane lengths, longest first; SHIFT holds one 4 KiB table set for each, in this order. */
const LANE_A: usize = 256;
const LANE_B: usize = 64;
const LANE_C: usize = 16;

/** Address of the input region (64 KiB). */
export function scratch(): usize {
  return SCRATCH;
}

/** Size of the input region in bytes. */
export function scratchSize(): usize {
  return SCRATCH_SIZE;
}

// ---- tables, built once by the module's start function ----

function buildShift(set: usize, lane: usize): void {
  for (let i: u32 = 0; i < 32; i++) {
    let v: u32 = 1 << i;
    for (let j: usize = 0; j < lane; j++) v = load<u32>(T + (<usize>(v & 0xff) << 2)) ^ (v >>> 8);
    store<u32>(BASIS + (<usize>i << 2), v);
  }
  const base = SHIFT + (set << 12);
  for (let k: u32 = 0; k < 4; k++) {
    for (let b: u32 = 0; b < 256; b++) {
      let v: u32 = 0;
      for (let i: u32 = 0; i < 8; i++) {
        if (b & (1 << i)) v ^= load<u32>(BASIS + (<usize>(8 * k + i) << 2));
      }
      store<u32>(base + (<usize>k << 10) + (<usize>b << 2), v);
    }
  }
}

function buildTables(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    store<u32>(T + (<usize>n << 2), c);
  }
  for (let n: u32 = 0; n < 256; n++) {
    let c = load<u32>(T + (<usize>n << 2));
    for (let k: usize = 1; k < 8; k++) {
      c = load<u32>(T + (<usize>(c & 0xff) << 2)) ^ (c >>> 8);
      store<u32>(T + (k << 10) + (<usize>n << 2), c);
    }
  }
  buildShift(0, LANE_A);
  buildShift(1, LANE_B);
  buildShift(2, LANE_C);
  // NIB[k] = byte k of T[0][n], NIB[4 + k] = byte k of T[0][n << 4], for n = 0..15.
  for (let k: u32 = 0; k < 4; k++) {
    for (let n: u32 = 0; n < 16; n++) {
      store<u8>(NIB + (<usize>k << 4) + n, <u8>(load<u32>(T + (<usize>n << 2)) >>> (8 * k)));
      store<u8>(NIB + (<usize>(4 + k) << 4) + n, <u8>(load<u32>(T + (<usize>n << 6)) >>> (8 * k)));
    }
  }
}

buildTables();

// ---- scalar ----

/** Raw register update (no pre/post inversion) over [p, p + len), slicing-by-8. */
function scalar(c: u32, p: usize, len: usize): u32 {
  const end8 = p + (len & ~7);
  const end = p + len;
  while (p < end8) {
    const a = c ^ load<u32>(p);
    const b = load<u32>(p, 4);
    c =
      load<u32>(<usize>(a & 0xff) << 2, T + 0x1c00) ^
      load<u32>(<usize>((a >>> 8) & 0xff) << 2, T + 0x1800) ^
      load<u32>(<usize>((a >>> 16) & 0xff) << 2, T + 0x1400) ^
      load<u32>(<usize>(a >>> 24) << 2, T + 0x1000) ^
      load<u32>(<usize>(b & 0xff) << 2, T + 0x0c00) ^
      load<u32>(<usize>((b >>> 8) & 0xff) << 2, T + 0x0800) ^
      load<u32>(<usize>((b >>> 16) & 0xff) << 2, T + 0x0400) ^
      load<u32>(<usize>(b >>> 24) << 2, T);
    p += 8;
  }
  while (p < end) {
    c = load<u32>(<usize>((c ^ load<u8>(p)) & 0xff) << 2, T) ^ (c >>> 8);
    p++;
  }
  return c;
}

/** c * x^(8 * lane) for the lane length whose SHIFT table set starts at `s`. */
@inline
function shiftBy(c: u32, s: usize): u32 {
  return (
    load<u32>(s + (<usize>(c & 0xff) << 2)) ^
    load<u32>(s + (<usize>((c >>> 8) & 0xff) << 2), 0x400) ^
    load<u32>(s + (<usize>((c >>> 16) & 0xff) << 2), 0x800) ^
    load<u32>(s + (<usize>(c >>> 24) << 2), 0xc00)
  );
}

// ---- SIMD ----

@inline function lo8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
@inline function hi8(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}
@inline function lo16(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}
@inline function hi16(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}
@inline function lo32(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
}
@inline function hi32(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
}
@inline function lo64(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
}
@inline function hi64(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
}

/**
 * Load 16 bytes at q + i * lane for lanes i = 0..15 and store the transposed tile: column j
 * (byte j of every lane, lane i in byte i) at COLS + 16 * j.
 */
@inline
function transpose(q: usize, lane: usize): void {
  const w0 = v128.load(q);
  const w1 = v128.load(q + lane);
  const w2 = v128.load(q + 2 * lane);
  const w3 = v128.load(q + 3 * lane);
  q += 4 * lane;
  const w4 = v128.load(q);
  const w5 = v128.load(q + lane);
  const w6 = v128.load(q + 2 * lane);
  const w7 = v128.load(q + 3 * lane);
  q += 4 * lane;
  const w8 = v128.load(q);
  const w9 = v128.load(q + lane);
  const w10 = v128.load(q + 2 * lane);
  const w11 = v128.load(q + 3 * lane);
  q += 4 * lane;
  const w12 = v128.load(q);
  const w13 = v128.load(q + lane);
  const w14 = v128.load(q + 2 * lane);
  const w15 = v128.load(q + 3 * lane);
  // a0..a7: lanes (2k, 2k+1), columns 0..7; a8..a15: the same lanes, columns 8..15
  const a0 = lo8(w0, w1), a1 = lo8(w2, w3), a2 = lo8(w4, w5), a3 = lo8(w6, w7);
  const a4 = lo8(w8, w9), a5 = lo8(w10, w11), a6 = lo8(w12, w13), a7 = lo8(w14, w15);
  const a8 = hi8(w0, w1), a9 = hi8(w2, w3), a10 = hi8(w4, w5), a11 = hi8(w6, w7);
  const a12 = hi8(w8, w9), a13 = hi8(w10, w11), a14 = hi8(w12, w13), a15 = hi8(w14, w15);
  // b[4g + q]: lanes 4q..4q+3, columns 4g..4g+3
  const b0 = lo16(a0, a1), b1 = lo16(a2, a3), b2 = lo16(a4, a5), b3 = lo16(a6, a7);
  const b4 = hi16(a0, a1), b5 = hi16(a2, a3), b6 = hi16(a4, a5), b7 = hi16(a6, a7);
  const b8 = lo16(a8, a9), b9 = lo16(a10, a11), b10 = lo16(a12, a13), b11 = lo16(a14, a15);
  const b12 = hi16(a8, a9), b13 = hi16(a10, a11), b14 = hi16(a12, a13), b15 = hi16(a14, a15);
  // per column group g: xl0/xh0 = lanes 0..7, xl1/xh1 = lanes 8..15 (two columns each)
  const cl0 = lo32(b0, b1), cl1 = lo32(b2, b3), ch0 = hi32(b0, b1), ch1 = hi32(b2, b3);
  v128.store(COLS, lo64(cl0, cl1), 0 * 16);
  v128.store(COLS, hi64(cl0, cl1), 1 * 16);
  v128.store(COLS, lo64(ch0, ch1), 2 * 16);
  v128.store(COLS, hi64(ch0, ch1), 3 * 16);
  const dl0 = lo32(b4, b5), dl1 = lo32(b6, b7), dh0 = hi32(b4, b5), dh1 = hi32(b6, b7);
  v128.store(COLS, lo64(dl0, dl1), 4 * 16);
  v128.store(COLS, hi64(dl0, dl1), 5 * 16);
  v128.store(COLS, lo64(dh0, dh1), 6 * 16);
  v128.store(COLS, hi64(dh0, dh1), 7 * 16);
  const el0 = lo32(b8, b9), el1 = lo32(b10, b11), eh0 = hi32(b8, b9), eh1 = hi32(b10, b11);
  v128.store(COLS, lo64(el0, el1), 8 * 16);
  v128.store(COLS, hi64(el0, el1), 9 * 16);
  v128.store(COLS, lo64(eh0, eh1), 10 * 16);
  v128.store(COLS, hi64(eh0, eh1), 11 * 16);
  const fl0 = lo32(b12, b13), fl1 = lo32(b14, b15), fh0 = hi32(b12, b13), fh1 = hi32(b14, b15);
  v128.store(COLS, lo64(fl0, fl1), 12 * 16);
  v128.store(COLS, hi64(fl0, fl1), 13 * 16);
  v128.store(COLS, lo64(fh0, fh1), 14 * 16);
  v128.store(COLS, hi64(fh0, fh1), 15 * 16);
}

/**
 * Raw register update over one block of 16 x `lane` bytes at p (`lane` a multiple of 16, `s`
 * its SHIFT table set).
 */
function block(c: u32, p: usize, lane: usize, s: usize): u32 {
  const tl0 = v128.load(NIB, 0), tl1 = v128.load(NIB, 16), tl2 = v128.load(NIB, 32), tl3 = v128.load(NIB, 48);
  const th0 = v128.load(NIB, 64), th1 = v128.load(NIB, 80), th2 = v128.load(NIB, 96), th3 = v128.load(NIB, 112);
  const m0f = i8x16.splat(0x0f);
  // lane 0 starts from the incoming register, lanes 1..15 from zero
  const first = i32x4(0xff, 0, 0, 0);
  let p0 = v128.and(i32x4.splat(c), first);
  let p1 = v128.and(i32x4.splat(c >>> 8), first);
  let p2 = v128.and(i32x4.splat(c >>> 16), first);
  let p3 = v128.and(i32x4.splat(c >>> 24), first);
  for (let j: usize = 0; j < lane; j += 16) {
    transpose(p + j, lane);
    // One step per column: x = p0 ^ column, then reg = (reg >> 8) ^ T[x] in planes. Unrolled by
    // hand (measured ~20% faster than a loop; binaryen does not unroll it).
    let x: v128, lo: v128, hi: v128;
    // column 0
    x = v128.xor(p0, v128.load(COLS, 0));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 1
    x = v128.xor(p0, v128.load(COLS, 16));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 2
    x = v128.xor(p0, v128.load(COLS, 32));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 3
    x = v128.xor(p0, v128.load(COLS, 48));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 4
    x = v128.xor(p0, v128.load(COLS, 64));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 5
    x = v128.xor(p0, v128.load(COLS, 80));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 6
    x = v128.xor(p0, v128.load(COLS, 96));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 7
    x = v128.xor(p0, v128.load(COLS, 112));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 8
    x = v128.xor(p0, v128.load(COLS, 128));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 9
    x = v128.xor(p0, v128.load(COLS, 144));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 10
    x = v128.xor(p0, v128.load(COLS, 160));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 11
    x = v128.xor(p0, v128.load(COLS, 176));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 12
    x = v128.xor(p0, v128.load(COLS, 192));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 13
    x = v128.xor(p0, v128.load(COLS, 208));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 14
    x = v128.xor(p0, v128.load(COLS, 224));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
    // column 15
    x = v128.xor(p0, v128.load(COLS, 240));
    lo = v128.and(x, m0f);
    hi = v128.and(i16x8.shr_u(x, 4), m0f);
    p0 = v128.xor(v128.xor(p1, i8x16.swizzle(tl0, lo)), i8x16.swizzle(th0, hi));
    p1 = v128.xor(v128.xor(p2, i8x16.swizzle(tl1, lo)), i8x16.swizzle(th1, hi));
    p2 = v128.xor(v128.xor(p3, i8x16.swizzle(tl2, lo)), i8x16.swizzle(th2, hi));
    p3 = v128.xor(i8x16.swizzle(tl3, lo), i8x16.swizzle(th3, hi));
  }
  v128.store(PLANES, p0, 0);
  v128.store(PLANES, p1, 16);
  v128.store(PLANES, p2, 32);
  v128.store(PLANES, p3, 48);
  let r: u32 = 0;
  for (let i: usize = 0; i < 16; i++) {
    const l =
      <u32>load<u8>(PLANES + i) |
      (<u32>load<u8>(PLANES + 16 + i) << 8) |
      (<u32>load<u8>(PLANES + 32 + i) << 16) |
      (<u32>load<u8>(PLANES + 48 + i) << 24);
    r = shiftBy(r, s) ^ l;
  }
  return r;
}

/**
 * CRC-32C of the `len` bytes at `ptr`, continuing from `crc` (the CRC of the bytes before them;
 * 0 to start). Standard conventions: the argument and result are final (inverted) values.
 */
export function crc32c(crc: u32, ptr: usize, len: usize): u32 {
  let c = ~crc;
  while (len >= 16 * LANE_A) {
    c = block(c, ptr, LANE_A, SHIFT);
    ptr += 16 * LANE_A;
    len -= 16 * LANE_A;
  }
  while (len >= 16 * LANE_B) {
    c = block(c, ptr, LANE_B, SHIFT + 0x1000);
    ptr += 16 * LANE_B;
    len -= 16 * LANE_B;
  }
  while (len >= 16 * LANE_C) {
    c = block(c, ptr, LANE_C, SHIFT + 0x2000);
    ptr += 16 * LANE_C;
    len -= 16 * LANE_C;
  }
  return ~scalar(c, ptr, len);
}

/** The same CRC with the scalar slicing-by-8 loop only (for benchmarks and cross-checks). */
export function crc32cScalar(crc: u32, ptr: usize, len: usize): u32 {
  return ~scalar(~crc, ptr, len);
}
