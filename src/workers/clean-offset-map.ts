/**
 * The log cleaner's offset map (Kafka's SkimpyOffsetMap): for each record key of the dirty part
 * of a log, the offset of its latest record, keyed by the key's 64-bit xxHash (`xxhash-wasm`)
 * rather than the key itself, so a slot costs 16 bytes whatever the key size. Two keys with the
 * same 64-bit hash would share a slot; with fewer than 2^32 keys that is vanishingly unlikely (Kafka
 * makes the same trade with a 128-bit MD5 it truncates to the slot size).
 *
 * Open addressing with linear probing over a SharedArrayBuffer: the main thread allocates it,
 * the map-building task fills it and the cleaning tasks read it, in the pool's threads, without
 * copying. Layout: `slots` x (hash high u32, hash low u32) then `slots` x float64 offset, -1 for
 * an empty slot. At most `maxEntries` (90% of the slots, Kafka's dupBufferLoadFactor) are used.
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

/** 64-bit xxHash of `key` as two unsigned 32-bit halves. */
export function hashKey(key: Uint8Array): [number, number] {
  if (hasher === null) throw new Error('the xxHash module is not instantiated yet (await prepareHasher())');
  const h = hasher.h64Raw(key);
  return [Number(h >> 32n), Number(h & 0xffffffffn)];
}

export class OffsetMap {
  private readonly hashes: Uint32Array;
  private readonly offsets: Float64Array;
  private readonly mask: number;
  readonly slots: number;
  readonly maxEntries: number;
  private count = 0;

  private constructor(readonly shape: OffsetMapShape, fresh: boolean) {
    const { buffer, slots } = shape;
    this.slots = slots;
    this.mask = slots - 1;
    this.maxEntries = Math.floor(slots * OFFSET_MAP_LOAD_FACTOR);
    this.hashes = new Uint32Array(buffer, 0, slots * 2);
    this.offsets = new Float64Array(buffer, slots * 8, slots);
    if (fresh) this.offsets.fill(-1);
    else for (let i = 0; i < slots; i++) if (this.offsets[i]! >= 0) this.count++;
  }

  /**
   * A new, empty map with room for `entries` keys (a power of two of slots, at least 1024), or
   * as many as `maxBytes` allows.
   */
  static allocate(entries: number, maxBytes = Infinity): OffsetMap {
    let slots = 1024;
    while (slots * OFFSET_MAP_LOAD_FACTOR < entries && slots * 2 * OFFSET_MAP_SLOT_BYTES <= maxBytes) slots *= 2;
    return new OffsetMap({ buffer: new SharedArrayBuffer(slots * OFFSET_MAP_SLOT_BYTES), slots }, true);
  }

  /** The map another thread built (or is building) in `shape`. */
  static attach(shape: OffsetMapShape): OffsetMap {
    return new OffsetMap(shape, false);
  }

  /** Keys in the map. */
  get size(): number {
    return this.count;
  }

  /** Record `offset` as the latest of `key`. The caller keeps `size` below `maxEntries`. */
  put(key: Uint8Array, offset: number): void {
    const [hi, lo] = hashKey(key);
    let slot = (lo ^ hi) & this.mask;
    for (;;) {
      const o = this.offsets[slot]!;
      if (o < 0) {
        this.hashes[slot * 2] = hi;
        this.hashes[slot * 2 + 1] = lo;
        this.offsets[slot] = offset;
        this.count++;
        return;
      }
      if (this.hashes[slot * 2] === hi && this.hashes[slot * 2 + 1] === lo) {
        if (offset > o) this.offsets[slot] = offset;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Latest offset recorded for `key`, or -1. */
  get(key: Uint8Array): number {
    const [hi, lo] = hashKey(key);
    let slot = (lo ^ hi) & this.mask;
    for (;;) {
      const o = this.offsets[slot]!;
      if (o < 0) return -1;
      if (this.hashes[slot * 2] === hi && this.hashes[slot * 2 + 1] === lo) return o;
      slot = (slot + 1) & this.mask;
    }
  }
}
