#!/usr/bin/env node
// Builds the portable CRC-32C kernel: wasm/crc32c.ts -> wasm/build/crc32c.wasm, with the
// AssemblyScript compiler from node_modules (devDependency). Run by `npm run build:wasm`, which
// `npm install` runs through the prepare script.
//
// Fast: skips the compile when the output is up to date (a stamp holds a hash of the source, this
// script, the compiler version and the flags; `--force` rebuilds anyway).
// Deterministic: the same inputs give the same bytes (no timestamps, no paths in the output).
// Prints one line. Exits non-zero on any failure.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const source = join(here, 'crc32c.ts');
const outDir = join(here, 'build');
const output = join(outDir, 'crc32c.wasm');
const stampFile = join(outDir, 'crc32c.wasm.stamp');
const shown = relative(process.cwd(), output) || output;

// Memory: the kernel uses fixed regions below 128 KiB (tables, then a 64 KiB scratch region at
// 0x10000) and allocates nothing; 2 pages, fixed, so the host's view of memory never detaches.
const FLAGS = [
  '--optimizeLevel', '3',
  '--shrinkLevel', '0',
  '--noAssert',
  '--runtime', 'stub',
  '--enable', 'simd',
  '--memoryBase', '131072',
  '--initialMemory', '2',
  '--maximumMemory', '2',
];

function fail(message) {
  console.error(`wasm: ${message}`);
  process.exit(1);
}

const started = process.hrtime.bigint();

let ascVersion;
try {
  const require = createRequire(join(root, 'package.json'));
  ascVersion = JSON.parse(readFileSync(require.resolve('assemblyscript/package.json'), 'utf8')).version;
} catch {
  fail('the AssemblyScript compiler is not installed; run `npm install` (it is a devDependency)');
}

const stamp = createHash('sha256')
  .update(readFileSync(source))
  .update('\0')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update('\0')
  .update(ascVersion)
  .update('\0')
  .update(FLAGS.join(' '))
  .digest('hex');

const force = process.argv.includes('--force');
if (!force && existsSync(output) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) {
  console.log(`wasm: ${shown} is up to date`);
  process.exit(0);
}

const { default: asc } = await import('assemblyscript/asc');
let binary;
const stderr = [];
const result = await asc.main([relative(root, source), '--outFile', 'crc32c.wasm', ...FLAGS], {
  baseDir: root,
  stdout: { write() { return true; } },
  stderr: { write(chunk) { stderr.push(String(chunk)); return true; } },
  writeFile(name, contents) {
    if (name.endsWith('.wasm')) binary = contents;
  },
});
if (result.error || !binary) fail(`compile failed: ${result.error?.message ?? 'no output'}\n${stderr.join('')}`);

// Sanity check before publishing the file: it loads and gets the standard check value right.
try {
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(binary), {});
  const mem = new Uint8Array(exports.memory.buffer);
  const check = new TextEncoder().encode('123456789');
  mem.set(check, exports.scratch());
  const crc = exports.crc32c(0, exports.scratch(), check.length) >>> 0;
  if (crc !== 0xe3069283) fail(`built module is wrong: crc32c("123456789") = 0x${crc.toString(16)}, expected 0xe3069283`);
} catch (err) {
  fail(`built module does not load: ${err.message}`);
}

mkdirSync(outDir, { recursive: true });
const tmp = `${output}.${process.pid}.tmp`;
writeFileSync(tmp, binary);
renameSync(tmp, output); // atomic: a concurrent reader sees the old file or the new one
writeFileSync(stampFile, `${stamp}\n`);

const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.log(`wasm: built ${shown} (${binary.length} bytes, AssemblyScript ${ascVersion}) in ${ms.toFixed(0)} ms`);
