/**
 * CRC-32C through the WebAssembly kernel built from `wasm/crc32c.ts` (`npm run build:wasm`):
 * SIMD over 16 interleaved lanes, about 3x the pure-JS slicing-by-8 on large buffers.
 *
 * The module is compiled and instantiated synchronously, once per thread, on the first call of
 * `loadWasmCrc32c()`. Its linear memory is fixed (2 pages, never grown, so the view taken here
 * never detaches); input is copied into its 64 KiB scratch region one chunk at a time, with no
 * allocation per call.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError } from '../errors.js';

/**
 * The part of the WebAssembly JS API used here. The project compiles with `lib: ES2022` and
 * @types/node 20, neither of which declares the `WebAssembly` global, so it is typed locally.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmJsApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
  Memory: abstract new (...args: never[]) => WasmMemory;
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmJsApi }).WebAssembly;

/** What wasm/crc32c.ts exports. */
interface KernelExports {
  readonly memory: WasmMemory;
  scratch(): number;
  scratchSize(): number;
  crc32c(crc: number, ptr: number, len: number): number;
}

export type Crc32cFunction = (data: Uint8Array, seed?: number) => number;

const FIX = 'run `npm run build:wasm` to build it';

let loaded: Crc32cFunction | undefined;

/**
 * The package root: the nearest directory above this module holding a package.json. This file
 * runs both as src/io/crc32c-wasm.ts (vitest, tsx) and as dist/src/io/crc32c-wasm.js.
 */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new BackendUnavailableError(`cannot find the strand package root (no package.json above ${start}) to locate wasm/build/crc32c.wasm`);
    }
    dir = parent;
  }
}

/** Absolute path of the built kernel. */
export function wasmCrc32cPath(): string {
  return join(packageRoot(), 'wasm', 'build', 'crc32c.wasm');
}

function instantiate(path: string): KernelExports {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new BackendUnavailableError(`the WebAssembly CRC-32C kernel ${path} cannot be read (${code}); ${FIX}`, { cause: err });
  }
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const exports = instance.exports as unknown as KernelExports;
    if (!(exports.memory instanceof WebAssembly.Memory) || typeof exports.crc32c !== 'function' || typeof exports.scratch !== 'function' || typeof exports.scratchSize !== 'function') {
      throw new Error('unexpected exports');
    }
    return exports;
  } catch (err) {
    throw new BackendUnavailableError(`the WebAssembly CRC-32C kernel ${path} does not load (${(err as Error).message}); ${FIX}`, { cause: err });
  }
}

/**
 * Load the kernel (once per thread) and return a CRC-32C function: `crc(data, seed = 0)` is the
 * CRC of `data` continuing from `seed`, unsigned; `crc(b, crc(a)) === crc(a ++ b)`. The function
 * does not use `this`, so it can be passed around detached. Throws BackendUnavailableError if the
 * kernel is missing or does not load.
 */
export function loadWasmCrc32c(): Crc32cFunction {
  loaded ??= createWasmCrc32c(wasmCrc32cPath());
  return loaded;
}

/** Instantiate the kernel at `path` (a new instance each call; use loadWasmCrc32c). */
export function createWasmCrc32c(path: string): Crc32cFunction {
  const kernel = instantiate(path);
  const memory = new Uint8Array(kernel.memory.buffer);
  const scratch = kernel.scratch();
  const chunk = kernel.scratchSize();
  const run = kernel.crc32c;

  return function crc32cWasm(data: Uint8Array, seed = 0): number {
    const n = data.length;
    if (n <= chunk) {
      memory.set(data, scratch);
      return run(seed, scratch, n) >>> 0;
    }
    let crc = seed;
    for (let off = 0; off < n; off += chunk) {
      const len = Math.min(chunk, n - off);
      memory.set(data.subarray(off, off + len), scratch);
      crc = run(crc, scratch, len);
    }
    return crc >>> 0;
  };
}
