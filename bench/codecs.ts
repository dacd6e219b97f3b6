/**
 * Codecs: compress and decompress MB/s of each codec on the main thread and through the worker
 * pool (one thread per core), and the pool's speed-up over the main thread in the same run.
 * Also the pool's hand-off (round trip of a task with no work), the figure the inline threshold
 * of src/workers/pool.ts is derived from.
 *
 * Work unit: a 1 MiB batch of ~120-byte text-like records (JSON-ish values with numbers), the
 * same on both sides: main thread = recompressBatches on this thread; pool = BatchPool.recompress
 * with as many tasks in flight as the pool admits, inputs copied to the worker (not transferred),
 * as a broker handing it socket buffers would. MB/s count uncompressed bytes in both directions.
 */
import { availableParallelism } from 'node:os';
import { compressBatch, recompressBatches } from '../src/format/compression.js';
import type { RecordInput } from '../src/format/record.js';
import { BatchPool } from '../src/workers/pool.js';
import { type BenchRow, SCALE, emitRows, peakRssMiB } from './lib.js';

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
// Main thread and pool alternate in ROUNDS short rounds and each keeps its best round, so a
// burst of load from elsewhere on the machine skews the ratio less.
const ROUNDS = 3;
const seconds = Math.max(0.1, 0.5 * SCALE);

function textish(n: number, seed: number): string {
  const words = ['"order"', '"user"', '"id"', '"amount"', '"EUR"', '"status"', '"shipped"', '"pending"', '{', '}', ':', ','];
  let x = seed;
  let s = '';
  while (s.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += (x >>> 16) % 5 === 0 ? String(x % 1000000) : words[(x >>> 8) % words.length]!;
  }
  return s.slice(0, n);
}

const records: RecordInput[] = [];
for (let size = 61, i = 0; size < 1 << 20; i++) {
  const r = { key: `user-${i % 1000}`, value: textish(100, i + 1), timestamp: 1_700_000_000_000 + i };
  records.push(r);
  size += 100 + 16;
}
const plain = compressBatch(records, 'none');
const rawBytes = plain.length;

const turn = () => new Promise((r) => setImmediate(r));

/**
 * Runs `fn` repeatedly for `seconds`; returns calls per second. The event loop turns between
 * calls, as it does between requests: napi-rs packages (snappy, lz4-napi) free their external
 * output buffers in finalizers that run only then.
 */
async function timeSync(fn: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) fn();
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    fn();
    n++;
    await turn();
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

/** Keeps `inFlight` calls of `fn` running for `seconds`; returns completions per second. */
async function timePool(fn: () => Promise<unknown>, inFlight: number): Promise<number> {
  await Promise.all(Array.from({ length: inFlight }, () => fn()));
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      await fn();
      n++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return n / ((performance.now() - start) / 1000);
}

const threads = availableParallelism();
const pool = BatchPool.open({ threads, inlineBelow: 0 });
const rows: BenchRow[] = [];
const row = (name: string, perSec: number, baseline?: BenchRow): BenchRow => {
  const mb = (perSec * rawBytes) / 1e6;
  const r: BenchRow = { name, value: perSec * rawBytes, unit: 'B/s', mbPerSec: mb, peakRssMiB: peakRssMiB() };
  if (baseline) {
    r.baseline = baseline.name;
    r.ratio = mb / baseline.mbPerSec!;
    r.target = `pool speed-up on ${threads} cores`;
  }
  rows.push(r);
  return r;
};

// The hand-off: a task that needs no work (recompress to its own codec) on a 1 KiB batch.
{
  const small = compressBatch(records.slice(0, 8), 'none');
  const times: number[] = [];
  for (let i = 0; i < 300; i++) await pool.recompress(small, 'none');
  for (let i = 0; i < Math.max(200, 2000 * SCALE); i++) {
    const t = performance.now();
    await pool.recompress(small, 'none');
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  rows.push({ name: 'pool hand-off (1 KiB batch, no work), median', value: times[times.length >> 1]! * 1000, unit: 'µs', peakRssMiB: peakRssMiB() });
}

async function pair(mainFn: () => void, poolFn: () => Promise<unknown>): Promise<[number, number]> {
  let main = 0;
  let viaPool = 0;
  for (let r = 0; r < ROUNDS; r++) {
    main = Math.max(main, await timeSync(mainFn));
    viaPool = Math.max(viaPool, await timePool(poolFn, threads * 2));
  }
  return [main, viaPool];
}

for (const codec of CODECS) {
  const compressed = recompressBatches(plain, codec);
  const ratio = rawBytes / compressed.length;
  process.stderr.write(`codecs: ${codec} (ratio ${ratio.toFixed(2)})\n`);
  const [cm, cp] = await pair(() => recompressBatches(plain, codec), () => pool.recompress(plain, codec));
  row(`${codec} compress, pool x${threads}`, cp, row(`${codec} compress, main thread (ratio ${ratio.toFixed(1)})`, cm));
  const [dm, dp] = await pair(() => recompressBatches(compressed, 'none'), () => pool.recompress(compressed, 'none'));
  row(`${codec} decompress, pool x${threads}`, dp, row(`${codec} decompress, main thread`, dm));
}
await pool.close();
emitRows(rows);
