/** CRC-32C throughput: native (hardware), WebAssembly, and the pure-JS reference, same buffers. */
import { randomBytes } from 'node:crypto';
import { Bench } from 'tinybench';
import { crc32cJs } from '../src/io/crc32c-js.js';
import { loadWasmCrc32c } from '../src/io/crc32c-wasm.js';
import { loadNativeBackend } from '../src/io/native.js';
import { type BenchRow, SCALE, emitRows, peakRssMiB } from './lib.js';

const size = 1 << 20;
const buf = randomBytes(size);
const wasm = loadWasmCrc32c();
const kernels: Array<[string, (b: Uint8Array) => number]> = [['wasm', (b) => wasm(b)], ['js', (b) => crc32cJs(b)]];
try {
  const native = loadNativeBackend();
  kernels.unshift(['native', (b) => native.crc32c(b)]);
} catch {
  console.error('crc32c bench: native addon unavailable, skipping its row');
}

const bench = new Bench({ time: Math.max(100, 1000 * SCALE), warmupTime: 50 });
for (const [name, fn] of kernels) bench.add(name, () => fn(buf));
await bench.run();
const rows: BenchRow[] = [];
const js = bench.tasks.find((t) => t.name === 'js')!;
const jsGBs = size / (js.result!.latency.mean / 1000) / 1e9;
for (const t of bench.tasks) {
  const gbs = size / (t.result!.latency.mean / 1000) / 1e9;
  rows.push({ name: `crc32c ${t.name} (1 MiB)`, value: gbs * 1e9, unit: 'B/s', mbPerSec: gbs * 1000, baseline: 'crc32c js', ratio: gbs / jsGBs, peakRssMiB: peakRssMiB(), target: t.name === 'native' ? '>= 10 GB/s' : undefined });
}
emitRows(rows);
