/**
 * The native I/O backend: loads the `strand_native` addon (binding.gyp, sources in native/) and
 * puts the project's argument checks and typed errors in front of it.
 *
 * Division of labour (as better-sqlite3 does it): this file validates every argument and fills
 * every default, then calls the addon with plain positional values; the C++ side trusts them
 * and keeps only the checks that protect memory. Native failures arrive as `StorageIOError`
 * (handed to the addon by `initialize`), carrying `path`, plus `syscall`, `errno` (number) and
 * `osCode` (e.g. 'ENOSPC') from the addon.
 *
 * What the addon gives over the portable backend:
 *  - `view()` returns a zero-copy Buffer over the file's mapping. It stays valid (same bytes,
 *    no fault) after truncate, delete or close, until it is garbage-collected.
 *  - `sync()` is group commit on a flusher thread: all calls made while an fdatasync runs share
 *    the next one; the event loop never blocks on the disk.
 *  - `crc32c` uses SSE4.2 when the CPU has it (`crc32cImplementation` says which kernel runs).
 *
 * Thread-safety: every worker thread that imports this module loads its own addon instance;
 * objects from one thread must not be used on another.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailableError, ClosedError, InvalidArgumentError, StorageIOError } from '../errors.js';
import { makeAtomicWriter } from './atomic-write.js';
import { skippedFsync } from './fault.js';
import { timedSync } from './sync-stats.js';
import type { FileSyncKind, IoBackend, OpenSegmentFileOptions, SegmentFile } from './types.js';

const RESOLVED = Promise.resolve();

/** The raw `SegmentFile` class of the addon (native/segment_file.h). */
interface AddonSegmentFile {
  readonly size: number;
  readonly capacity: number;
  append(buffers: readonly Uint8Array[]): number;
  view(position: number, length: number): Buffer;
  copyTo(position: number, target: Uint8Array): void;
  zeroFrom(position: number): boolean;
  truncate(size: number): void;
  sync(): Promise<void>;
  close(): void;
  closeAndSync(): Promise<void>;
}

/** The addon's exports (native/addon.h). */
interface Addon {
  initialize(storageIOError: typeof StorageIOError, skipDirSync: boolean): void;
  syncDirectory(dir: string): Promise<void>;
  lockFile(path: string): number;
  unlockFile(fd: number): void;
  crc32c(data: Uint8Array, seed?: number): number;
  crc32cSoftware(data: Uint8Array, seed?: number): number;
  fsyncCount(): number;
  recordSectionValid(data: Uint8Array, start: number, end: number, count: number, lastDelta: number, sequential: boolean, keysRequired: boolean): boolean;
  duplicateFd(fd: number): number;
  sendTo(fd: number, chunks: readonly Uint8Array[]): number;
  readonly crc32cImplementation: 'sse4.2' | 'armv8-crc' | 'software';
  readonly SegmentFile: new (path: string, preallocate: number, size: number, readOnly: boolean, syncDirectoryOnCreate: boolean) => AddonSegmentFile;
}

/** A `SegmentFile` of the native backend: adds the mapped capacity. */
export interface NativeSegmentFile extends SegmentFile {
  /** Bytes reserved on disk and mapped (>= size while open). */
  readonly capacity: number;
}

/** The native backend, with what it tells beyond `IoBackend`. */
export interface NativeIoBackend extends IoBackend {
  readonly name: 'native';
  openSegmentFile(path: string, options?: OpenSegmentFileOptions): NativeSegmentFile;
  /** Which CRC-32C kernel runs: 'sse4.2', 'armv8-crc' or 'software'. */
  readonly crc32cImplementation: string;
  /** The table-driven CRC-32C kernel, whatever the CPU (tests and benchmarks compare it). */
  crc32cSoftware(data: Uint8Array, seed?: number): number;
  /** Absolute path of the loaded addon binary. */
  readonly addonPath: string;
}

const ADDON_FILE = 'strand_native.node';
/** Chunks the addon's sendTo takes per call (native/socket_send.cc). */
const SEND_MAX_CHUNKS = 1024;

/**
 * The package root: the nearest ancestor holding package.json and binding.gyp (this file runs
 * as src/io/native.ts under vitest/tsx and as dist/src/io/native.js when built), else the
 * nearest holding package.json.
 */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  let firstWithPackageJson: string | undefined;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      if (existsSync(join(dir, 'binding.gyp'))) return dir;
      firstWithPackageJson ??= dir;
    }
    const parent = dirname(dir);
    if (parent === dir) return firstWithPackageJson;
    dir = parent;
  }
}

function candidatePaths(): string[] {
  const candidates: string[] = [];
  const override = process.env.STRAND_NATIVE_PATH;
  if (override) candidates.push(override);
  const root = packageRoot();
  if (root !== undefined) {
    candidates.push(join(root, 'build', 'Release', ADDON_FILE), join(root, 'build', 'Debug', ADDON_FILE));
  }
  return candidates;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code === 'MODULE_NOT_FOUND' ? 'not built' : String(e?.message ?? err).split('\n')[0]!;
}

function loadAddon(): { addon: Addon; path: string } {
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidatePaths()) {
    if (!existsSync(path)) {
      tried.push(`${path}: not built`);
      continue;
    }
    try {
      const addon = require(path) as Addon;
      addon.initialize(StorageIOError, skippedFsync === 'dir');
      return { addon, path };
    } catch (err) {
      tried.push(`${path}: ${describe(err)}`);
    }
  }
  const version = (() => {
    try {
      const root = packageRoot();
      return root ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version : undefined;
    } catch {
      return undefined;
    }
  })();
  throw new BackendUnavailableError(
    `the strand native addon could not be loaded (strand ${version ?? '?'}, node ${process.version}, ${process.platform}-${process.arch}).\n` +
      `Tried:\n${tried.map((t) => `  - ${t}`).join('\n') || '  - (no candidate path: package root not found)'}\n` +
      'Fix: run `npm run build:native` in the strand package (needs python3, make and a C++17 compiler), ' +
      'set STRAND_NATIVE_PATH to a built strand_native.node, or use STRAND_BACKEND=portable.',
  );
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkBytes(data: unknown, what: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what} must be a Uint8Array (or Buffer), got ${data === null ? 'null' : typeof data}`);
  }
}

function checkSeed(seed: unknown): number {
  if (seed === undefined) return 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError(`crc32c seed must be an unsigned 32-bit integer, got ${String(seed)}`);
  }
  return seed;
}

class NativeSegmentFileImpl implements NativeSegmentFile {
  readonly path: string;
  readonly #file: AddonSegmentFile;
  readonly #readOnly: boolean;
  /** Mirrors the addon's size so reads and checks don't cross into C++. */
  #size: number;
  #closed = false;

  constructor(path: string, file: AddonSegmentFile, readOnly: boolean) {
    this.path = path;
    this.#file = file;
    this.#readOnly = readOnly;
    this.#size = file.size;
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.#file.capacity;
  }

  append(buffers: readonly Uint8Array[]): number {
    this.#checkWritable('append to');
    if (!Array.isArray(buffers)) throw new InvalidArgumentError(`append to ${this.path}: buffers must be an array of Uint8Array`);
    let total = 0;
    for (let i = 0; i < buffers.length; i++) {
      const b = buffers[i];
      checkBytes(b, `append to ${this.path}: buffers[${i}]`);
      total += b.byteLength;
    }
    const position = this.#file.append(buffers);
    this.#size = position + total;
    return position;
  }

  view(position: number, length: number): Buffer {
    if (this.#closed) throw new ClosedError(`segment file ${this.path}`);
    if (!isIndex(position) || !isIndex(length) || position + length > this.#size) {
      throw new InvalidArgumentError(
        `view of ${this.path}: [${String(position)}, +${String(length)}) is not a range inside [0, ${this.#size}]`,
      );
    }
    return this.#file.view(position, length);
  }

  copyTo(position: number, target: Uint8Array): void {
    if (this.#closed) throw new ClosedError(`segment file ${this.path}`);
    if (!isIndex(position) || position + target.byteLength > this.#size) {
      throw new InvalidArgumentError(`copy from ${this.path}: [${String(position)}, +${target.byteLength}) is not a range inside [0, ${this.#size}]`);
    }
    this.#file.copyTo(position, target);
  }

  zeroFrom(position: number): boolean {
    if (this.#closed) throw new ClosedError(`segment file ${this.path}`);
    if (!isIndex(position) || position > this.#size) {
      throw new InvalidArgumentError(`zero check of ${this.path} from ${String(position)}: must be an integer in [0, ${this.#size}]`);
    }
    return this.#file.zeroFrom(position);
  }

  truncate(size: number): void {
    this.#checkWritable('truncate');
    if (!isIndex(size) || size > this.#size) {
      throw new InvalidArgumentError(`truncate ${this.path} to ${String(size)}: must be an integer in [0, ${this.#size}]`);
    }
    this.#file.truncate(size);
    this.#size = size;
  }

  sync(kind: FileSyncKind = 'active'): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError(`segment file ${this.path}`));
    if (skippedFsync === kind) return RESOLVED;
    try {
      return timedSync(this.#file.sync());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  closeAndSync(kind: FileSyncKind = 'active'): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError(`segment file ${this.path}`));
    this.#closed = true;
    if (skippedFsync === kind) {
      this.#file.close();
      return RESOLVED;
    }
    try {
      return this.#file.closeAndSync();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }

  #checkWritable(operation: string): void {
    if (this.#closed) throw new ClosedError(`segment file ${this.path}`);
    if (this.#readOnly) throw new StorageIOError(`cannot ${operation} ${this.path}: it is open read-only`, this.path);
  }
}

let loaded: NativeIoBackend | undefined;

/**
 * The native backend of this thread, loading the addon on first use. Throws
 * BackendUnavailableError, listing every path tried and how to fix it, when it cannot load.
 */
export function loadNativeBackend(): NativeIoBackend {
  if (loaded !== undefined) return loaded;
  const { addon, path: addonPath } = loadAddon();
  const { SegmentFile: AddonSegmentFileClass } = addon;

  // Closures, not methods: callers may detach them (`const { crc32c } = backend`).
  const crc32c = (data: Uint8Array, seed?: number): number => {
    checkBytes(data, 'crc32c data');
    return addon.crc32c(data, checkSeed(seed));
  };
  const crc32cSoftware = (data: Uint8Array, seed?: number): number => {
    checkBytes(data, 'crc32c data');
    return addon.crc32cSoftware(data, checkSeed(seed));
  };
  const openSegmentFile = (path: string, options: OpenSegmentFileOptions = {}): NativeSegmentFile => {
    if (typeof path !== 'string' || path === '' || path.includes('\0')) {
      throw new InvalidArgumentError(`segment file path must be a non-empty string, got ${JSON.stringify(path)}`);
    }
    const { preallocate = 0, size, readOnly = false, syncDirectoryOnCreate = true } = options;
    if (!isIndex(preallocate)) throw new InvalidArgumentError(`preallocate for ${path} must be a non-negative integer, got ${String(preallocate)}`);
    if (size !== undefined && !isIndex(size)) throw new InvalidArgumentError(`size for ${path} must be a non-negative integer, got ${String(size)}`);
    if (typeof readOnly !== 'boolean') throw new InvalidArgumentError(`readOnly for ${path} must be a boolean`);
    if (typeof syncDirectoryOnCreate !== 'boolean') throw new InvalidArgumentError(`syncDirectoryOnCreate for ${path} must be a boolean`);
    const file = new AddonSegmentFileClass(path, readOnly ? 0 : preallocate, size ?? -1, readOnly, syncDirectoryOnCreate);
    return new NativeSegmentFileImpl(path, file, readOnly);
  };

  // fsyncs issued from JS (writeFileAtomic's file fsync), added to the addon's count.
  let jsFsyncs = 0;
  const syncDirectory = (dir: string): Promise<void> => {
    if (typeof dir !== 'string' || dir === '' || dir.includes('\0')) {
      return Promise.reject(new InvalidArgumentError(`directory must be a non-empty string, got ${JSON.stringify(dir)}`));
    }
    if (skippedFsync === 'dir') return RESOLVED;
    try {
      return addon.syncDirectory(dir);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  loaded = {
    name: 'native',
    crc32c,
    crc32cSoftware,
    openSegmentFile,
    fsyncCount: () => addon.fsyncCount() + jsFsyncs,
    syncDirectory,
    writeFileAtomic: makeAtomicWriter(() => {
      jsFsyncs++;
    }, syncDirectory),
    lockFile: (path) => {
      if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new InvalidArgumentError(`lock file path must be a non-empty string, got ${JSON.stringify(path)}`);
      const fd = addon.lockFile(path);
      return fd < 0 ? null : fd;
    },
    unlockFile: (fd) => {
      if (!Number.isInteger(fd) || fd < 0) throw new InvalidArgumentError(`fd must be a non-negative integer, got ${String(fd)}`);
      addon.unlockFile(fd);
    },
    duplicateFd: (fd) => {
      if (!Number.isInteger(fd) || fd < 0) throw new InvalidArgumentError(`fd must be a non-negative integer, got ${String(fd)}`);
      return addon.duplicateFd(fd);
    },
    sendTo: (fd, chunks) => {
      if (!Number.isInteger(fd) || fd < 0) throw new InvalidArgumentError(`fd must be a non-negative integer, got ${String(fd)}`);
      return chunks.length === 0 ? 0 : addon.sendTo(fd, chunks.length > SEND_MAX_CHUNKS ? chunks.slice(0, SEND_MAX_CHUNKS) : chunks);
    },
    recordSectionValid: (data, start, end, count, lastDelta, sequential, keysRequired) => {
      checkBytes(data, 'record section');
      if (!isIndex(start) || !isIndex(end) || end < start || end > data.length) throw new InvalidArgumentError(`record section [${start}, ${end}) is outside [0, ${data.length})`);
      if (!Number.isInteger(count) || !Number.isInteger(lastDelta)) throw new InvalidArgumentError('record count and last offset delta must be integers');
      return addon.recordSectionValid(data, start, end, count, lastDelta, sequential, keysRequired);
    },
    crc32cImplementation: addon.crc32cImplementation,
    addonPath,
  };
  return loaded;
}
