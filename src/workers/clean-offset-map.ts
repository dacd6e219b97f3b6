/**
 * The log cleaner's offset map (Kafka's SkimpyOffsetMap): for each record key of the dirty part
 * of a log, the offset of its latest record, keyed by the key's 64-bit xxHash (`xxhash-wasm`)
 * rather than the key itself, so a slot costs 16 bytes whatever the key size. Two keys with the
 * same 64-bit hash would share a slot; with fewer than 2^32 keys that is vanishingly unlikely (Kafka
 * makes the same trade with a 128-bit MD5 it truncates to the slot size).
 *
 * Open addressing with linear probing over a SharedArrayBuffer: the main thread allocates it,
 * the map-building task fills it and the cleaning tasks read it, in the pool's threads, without
 * copying. Layout: `slots` x (hash high u32, hash low u32) then `slots` x float64 (offset + 1),
 * 0 for an empty slot, so that a new map needs no filling (shared memory starts zeroed). At
 * most `maxEntries` (90% of the slots, Kafka's dupBufferLoadFactor) are used.
 */
import xxhash from 'xxhash-wasm';

type XXHash = Awaited<ReturnType<typeof xxhash>>;

// Instantiated once per thread, asynchronously (the package has no synchronous form), before the
// first task that hashes: see `prepareHasher`.
let hasher: XXHash | null = null;
let preparing: Promise<void> | null = null;

/** Instantiate the xxHash WebAssembly module of this thread (once). */
export function prepareHasher(): Promise<void> {
  preparing ??= xxhash().then((h) => {
    hasher = h;
  });
  return preparing;
}

export function hasherReady(): boolean {
  return hasher !== null;
}

export const OFFSET_MAP_SLOT_BYTES = 16;
export const OFFSET_MAP_LOAD_FACTOR = 0.9;

/** What crosses the thread boundary: the shared memory and its slot count (a power of two). */
export interface OffsetMapShape {
  buffer: SharedArrayBuffer;
  slots: number;
}

// The hash's halves, read through an aliased view rather than by BigInt arithmetic (which
// allocates): hashKey sets these two.
const hash64 = new BigUint64Array(1);
const hash32 = new Uint32Array(hash64.buffer);
let hashHi = 0;
let hashLo = 0;

/** 64-bit xxHash of `key` as two unsigned 32-bit halves. */
export function hashKey(key: Uint8Array): [number, number] {
  setHash(key);
  return [hashHi, hashLo];
}

function setHash(key: Uint8Array): void {
  if (hasher === null) throw new Error('the xxHash module is not instantiated yet (await prepareHasher())');
  hash64[0] = hasher.h64Raw(key);
  // Both halves as unsigned numbers whatever the platform's byte order.
  const little = LITTLE_ENDIAN;
  hashHi = hash32[little ? 1 : 0]!;
  hashLo = hash32[little ? 0 : 1]!;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class OffsetMap {
  private readonly hashes: Uint32Array;
  private readonly offsets: Float64Array;
  private readonly mask: number;
  readonly slots: number;
  readonly maxEntries: number;
  private count = 0;

  private constructor(readonly shape: OffsetMapShape) {
    const { buffer, slots } = shape;
    this.slots = slots;
    this.mask = slots - 1;
    this.maxEntries = Math.floor(slots * OFFSET_MAP_LOAD_FACTOR);
    this.hashes = new Uint32Array(buffer, 0, slots * 2);
    this.offsets = new Float64Array(buffer, slots * 8, slots);
  }

  /**
   * A new, empty map with room for `entries` keys (a power of two of slots, at least 1024), or
   * as many as `maxBytes` allows.
   */
  static allocate(entries: number, maxBytes = Infinity): OffsetMap {
    let slots = 1024;
    while (slots * OFFSET_MAP_LOAD_FACTOR < entries && slots * 2 * OFFSET_MAP_SLOT_BYTES <= maxBytes) slots *= 2;
    return new OffsetMap({ buffer: new SharedArrayBuffer(slots * OFFSET_MAP_SLOT_BYTES), slots });
  }

  /** The map another thread built (or is building) in `shape`. */
  static attach(shape: OffsetMapShape): OffsetMap {
    return new OffsetMap(shape);
  }

  /** Keys put in the map through this object (the building task's view). */
  get size(): number {
    return this.count;
  }

  /** Record `offset` as the latest of `key`. The caller keeps `size` below `maxEntries`. */
  put(key: Uint8Array, offset: number): void {
    setHash(key);
    const hi = hashHi;
    const lo = hashLo;
    let slot = (lo ^ hi) & this.mask;
    for (;;) {
      const o = this.offsets[slot]!;
      if (o === 0) {
        this.hashes[slot * 2] = hi;
        this.hashes[slot * 2 + 1] = lo;
        this.offsets[slot] = offset + 1;
        this.count++;
        return;
      }
      if (this.hashes[slot * 2] === hi && this.hashes[slot * 2 + 1] === lo) {
        if (offset + 1 > o) this.offsets[slot] = offset + 1;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Latest offset recorded for `key`, or -1. */
  get(key: Uint8Array): number {
    setHash(key);
    const hi = hashHi;
    const lo = hashLo;
    let slot = (lo ^ hi) & this.mask;
    for (;;) {
      const o = this.offsets[slot]!;
      if (o === 0) return -1;
      if (this.hashes[slot * 2] === hi && this.hashes[slot * 2 + 1] === lo) return o - 1;
      slot = (slot + 1) & this.mask;
    }
  }
}
