/**
 * The portable I/O backend: SegmentFile on `node:fs` and CRC-32C in WebAssembly. Used where the
 * native addon cannot load, or with STRAND_BACKEND=portable. Same contract as the native backend
 * (see types.ts), with these differences:
 *
 * - `view()` returns a COPY read with pread, not a zero-copy view of a mapping. It never changes
 *   afterwards, so it trivially stays valid after truncate, delete or close.
 * - No preallocation: `preallocate` is accepted and ignored. The file on disk always ends at the
 *   logical size (after the first append when opened with a smaller `size`), so a crash never
 *   leaves a zero-filled tail for recovery to skip.
 * - `sync()` is group commit in JS: an async fdatasync on the libuv thread pool, shared by every
 *   caller it covers (see group-commit.ts).
 * - No `lockFile`: Node cannot flock, so the directory lock stays a pid file (dir-lock.ts).
 */
import {
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  writevSync,
} from 'node:fs';
import { open as openAsync } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClosedError, InvalidArgumentError, StorageIOError } from '../errors.js';
import { makeAtomicWriter } from './atomic-write.js';
import { crc32cJs } from './crc32c-js.js';
import { skippedFsync } from './fault.js';
import { loadWasmCrc32c } from './crc32c-wasm.js';
import { GroupCommit } from './group-commit.js';
import { timedSync } from './sync-stats.js';
import type { FileSyncKind, IoBackend, OpenSegmentFileOptions, SegmentFile } from './types.js';

/**
 * Inputs shorter than this go to the JS kernel: below it the fixed cost of a call into wasm
 * (copy in, call) outweighs its speed (measured crossover ~128 bytes).
 */
const SMALL_INPUT = 128;

/** Directory fsync errors that mean "this platform or filesystem cannot do that": ignored. */
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF']);

function ioError(what: string, path: string, err: unknown): StorageIOError {
  const e = err as NodeJS.ErrnoException;
  const detail = e.code !== undefined ? `${e.code}: ${e.message.replace(/^[A-Z]+: /, '')}` : String(e?.message ?? err);
  return new StorageIOError(`${what} ${path} failed (${detail})`, path, { cause: err });
}

function checkInteger(name: string, value: unknown, max: number, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [0, ${max}] for ${path}, got ${String(value)}`);
  }
  return value;
}

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** fsync a directory on the libuv pool; filesystems that cannot do it count as success. */
async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await openAsync(dir, constants.O_RDONLY);
  } catch (err) {
    if (DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle.close().catch(() => {});
  }
}

const RESOLVED = Promise.resolve();

class PortableSegmentFile implements SegmentFile {
  readonly path: string;
  private readonly fd: number;
  private logicalSize: number;
  /**
   * The file's length on disk: larger than logicalSize only until the next write (after opening
   * with a smaller `size`, or Infinity when a failed write left it unknown).
   */
  private diskLength: number;
  private readonly readOnly: boolean;
  private closed = false;
  private readonly commits: GroupCommit;

  constructor(path: string, options: OpenSegmentFileOptions, countFsync: () => void) {
    this.path = path;
    this.readOnly = options.readOnly === true;
    let created = false;
    let fd: number;
    try {
      if (this.readOnly) {
        fd = openSync(path, constants.O_RDONLY);
      } else {
        // Create exclusively first, to know whether the directory entry is new (and so needs a
        // directory fsync before the file's data can be called durable).
        try {
          fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644);
          created = true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          fd = openSync(path, constants.O_RDWR);
        }
      }
    } catch (err) {
      throw ioError('open', path, err);
    }
    this.fd = fd;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new StorageIOError(`open ${path} failed: not a regular file`, path);
      this.diskLength = st.size;
      if (options.size === undefined) {
        this.logicalSize = st.size;
      } else if (options.size > st.size) {
        // as the native backend: a state of the file, not a bad argument as such
        throw new StorageIOError(`open ${path} failed: requested size ${options.size} is beyond the end of the file (${st.size} bytes)`, path);
      } else {
        this.logicalSize = options.size;
      }
    } catch (err) {
      closeSync(fd);
      if (err instanceof StorageIOError || err instanceof InvalidArgumentError) throw err;
      throw ioError('fstat', path, err);
    }

    let dirSyncPending = created && options.syncDirectoryOnCreate !== false;
    // A file just created holds nothing to sync until it is written (as on the native backend);
    // an existing one may hold writes of an earlier handle, so its first sync always runs.
    this.commits = new GroupCommit(async () => {
      countFsync();
      try {
        await fdatasyncAsync(fd);
      } catch (err) {
        throw ioError('fdatasync', this.path, err);
      }
      if (dirSyncPending) {
        if (skippedFsync !== 'dir') {
          countFsync();
          try {
            await fsyncDirectory(dirname(this.path));
          } catch (err) {
            throw ioError('fsync of the directory of', this.path, err);
          }
        }
        dirSyncPending = false;
      }
    }, { clean: created });
  }

  get size(): number {
    return this.logicalSize;
  }

  append(buffers: readonly Uint8Array[]): number {
    this.checkWritable('append to');
    if (!Array.isArray(buffers)) throw new InvalidArgumentError(`append to ${this.path} expects an array of Uint8Array`);
    let total = 0;
    for (const b of buffers) {
      if (!(b instanceof Uint8Array)) throw new InvalidArgumentError(`append to ${this.path} expects an array of Uint8Array, got ${typeof b}`);
      total += b.length;
    }
    const position = this.logicalSize;
    if (total === 0) return position;
    if (position + total > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError(`append to ${this.path} would exceed the maximum file size`);
    try {
      // Bytes beyond the logical size (a torn tail the caller chose to ignore) go first, so the
      // file never holds stale data after what was written.
      if (this.diskLength > position) {
        ftruncateSync(this.fd, position);
        this.diskLength = position;
      }
      this.writeAll(buffers, position, total);
    } catch (err) {
      // Do not leave a partial write beyond the logical size.
      try {
        ftruncateSync(this.fd, position);
        this.diskLength = position;
      } catch {
        this.diskLength = Infinity; // unknown: the next append (or close) truncates first
      }
      throw ioError('write to', this.path, err);
    }
    this.logicalSize = position + total;
    this.diskLength = this.logicalSize;
    this.commits.touch();
    return position;
  }

  view(position: number, length: number): Buffer {
    this.checkOpen('read');
    checkInteger('position', position, this.logicalSize, this.path);
    checkInteger('length', length, this.logicalSize - position, this.path);
    const out = Buffer.allocUnsafe(length);
    this.readFully(position, out);
    return out;
  }

  copyTo(position: number, target: Uint8Array): void {
    this.checkOpen('read');
    checkInteger('position', position, this.logicalSize, this.path);
    checkInteger('length', target.byteLength, this.logicalSize - position, this.path);
    this.readFully(position, target);
  }

  private readFully(position: number, out: Uint8Array): void {
    const length = out.byteLength;
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(this.fd, out, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (err) {
      throw ioError('read from', this.path, err);
    }
    if (done < length) {
      throw new StorageIOError(`read from ${this.path} failed: the file ends at ${position + done}, before ${position + length} (was it truncated by another process?)`, this.path);
    }
  }

  truncate(size: number): void {
    this.checkWritable('truncate');
    checkInteger('size', size, this.logicalSize, this.path);
    try {
      ftruncateSync(this.fd, size);
    } catch (err) {
      throw ioError('truncate', this.path, err);
    }
    this.logicalSize = size;
    this.diskLength = size;
    this.commits.touch();
  }

  sync(kind: FileSyncKind = 'active'): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`segment file ${this.path}`));
    if (skippedFsync === kind) return RESOLVED;
    return timedSync(this.commits.sync());
  }

  closeAndSync(kind: FileSyncKind = 'active'): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`segment file ${this.path}`));
    const trim = !this.readOnly && this.diskLength > this.logicalSize;
    if (trim) this.commits.touch();
    // Asked before close(): close() keeps the descriptor open until the flush is done. A
    // read-only handle wrote nothing (as on the native backend, it has nothing to sync).
    const synced = skippedFsync === kind || this.readOnly ? RESOLVED : this.commits.sync();
    try {
      this.close();
    } catch (err) {
      synced.catch(() => {});
      return Promise.reject(err);
    }
    return synced;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    let error: StorageIOError | undefined;
    if (!this.readOnly && this.diskLength > this.logicalSize) {
      try {
        ftruncateSync(this.fd, this.logicalSize);
        this.diskLength = this.logicalSize;
      } catch (err) {
        error = ioError('truncate', this.path, err);
      }
    }
    // A flush running or queued still needs the descriptor: close it once they are done (their
    // callers appended before close and are owed the fsync they asked for).
    const fd = this.fd;
    if (this.commits.busy) {
      void this.commits.idle().then(() => {
        try {
          closeSync(fd);
        } catch {
          // nobody left to tell: every sync() has been answered
        }
      });
    } else {
      try {
        closeSync(fd);
      } catch (err) {
        error ??= ioError('close', this.path, err);
      }
    }
    if (error !== undefined) throw error;
  }

  private writeAll(buffers: readonly Uint8Array[], position: number, total: number): void {
    // pwritev; libuv already loops over IOV_MAX and short writes, but be defensive about the
    // latter anyway.
    let written = writevSync(this.fd, buffers as Uint8Array[], position);
    if (written === total) return;
    let skip = written;
    for (const b of buffers) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      let off = skip;
      skip = 0;
      while (off < b.length) {
        const n = writevSync(this.fd, [b.subarray(off)], position + written);
        if (n === 0) throw Object.assign(new Error('no progress writing'), { code: 'EIO' });
        off += n;
        written += n;
      }
    }
  }

  private checkOpen(op: string): void {
    if (this.closed) throw new ClosedError(`segment file ${this.path}`);
  }

  private checkWritable(op: string): void {
    this.checkOpen(op);
    if (this.readOnly) throw new StorageIOError(`${op} ${this.path} failed: the file is open read-only`, this.path);
  }
}

let loaded: IoBackend | undefined;

/**
 * The portable backend of this thread (created on first call, like the native one). Throws
 * BackendUnavailableError when the WebAssembly CRC-32C kernel is missing (`npm run build:wasm`
 * builds it).
 */
export function loadPortableBackend(): IoBackend {
  if (loaded !== undefined) return loaded;
  const wasmCrc32c = loadWasmCrc32c();
  let fsyncs = 0;
  const countFsync = (): void => {
    fsyncs++;
  };
  // Closures, not methods: callers may detach them (`const { crc32c } = backend`).
  const crc32c = (data: Uint8Array, seed?: number): number => {
    if (!(data instanceof Uint8Array)) {
      throw new InvalidArgumentError(`crc32c data must be a Uint8Array (or Buffer), got ${data === null ? 'null' : typeof data}`);
    }
    if (seed === undefined) seed = 0;
    else if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InvalidArgumentError(`crc32c seed must be an unsigned 32-bit integer, got ${String(seed)}`);
    }
    return data.length < SMALL_INPUT ? crc32cJs(data, seed) : wasmCrc32c(data, seed);
  };
  const openSegmentFile = (path: string, options: OpenSegmentFileOptions = {}): SegmentFile => {
    if (typeof path !== 'string' || path === '' || path.includes('\0')) {
      throw new InvalidArgumentError(`segment file path must be a non-empty string, got ${JSON.stringify(path)}`);
    }
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`options for ${path} must be an object`);
    const { preallocate, size, readOnly } = options;
    if (preallocate !== undefined) checkInteger('preallocate', preallocate, Number.MAX_SAFE_INTEGER, path);
    if (size !== undefined) checkInteger('size', size, Number.MAX_SAFE_INTEGER, path);
    if (readOnly !== undefined && typeof readOnly !== 'boolean') throw new InvalidArgumentError(`readOnly for ${path} must be a boolean`);
    return new PortableSegmentFile(path, options, countFsync);
  };
  const syncDirectory = async (dir: string): Promise<void> => {
    if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError(`directory must be a non-empty string, got ${JSON.stringify(dir)}`);
    if (skippedFsync === 'dir') return;
    countFsync();
    try {
      await fsyncDirectory(dir);
    } catch (err) {
      throw ioError('fsync of directory', dir, err);
    }
  };
  loaded = {
    name: 'portable',
    crc32c,
    openSegmentFile,
    fsyncCount: () => fsyncs,
    syncDirectory,
    writeFileAtomic: makeAtomicWriter(countFsync, syncDirectory),
  };
  return loaded;
}
