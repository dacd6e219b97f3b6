/**
 * The file-I/O and checksum interface every storage layer talks to. Two backends implement it:
 * the native addon (mmap'd files, a flusher thread, hardware CRC-32C) and the portable one
 * (`node:fs` and a WebAssembly CRC-32C). `src/io/index.ts` picks one at load time.
 */

/**
 * The kinds of fsync the storage engine issues, as the test-only fault switch
 * STRAND_FAULT_SKIP_FSYNC names them (see fault.ts):
 * - `active`: fdatasync of log data of the active segment (flush policy, `sync()`, `close()`);
 * - `roll`: the fdatasync of a segment when it rolls (it covers the trim of its preallocation);
 * - `index`: fdatasync of `.index`, `.timeindex` and `.txnindex` files;
 * - `dir`: fsync of a directory (new, renamed and removed entries), explicit or implied by the
 *   first sync of a newly created file;
 * - `snapshot`: producer-state snapshots; `checkpoint`: checkpoint files and the clean-shutdown
 *   marker (both written by `writeFileAtomic`).
 */
export type FsyncKind = 'active' | 'roll' | 'index' | 'dir' | 'snapshot' | 'checkpoint';
export const FSYNC_KINDS: readonly FsyncKind[] = ['active', 'roll', 'index', 'dir', 'snapshot', 'checkpoint'];
/** The fsync kinds of a SegmentFile's data. */
export type FileSyncKind = 'active' | 'roll' | 'index';

export interface OpenSegmentFileOptions {
  /**
   * Bytes to reserve on disk when the file is created or opened for appending (like Kafka's
   * `file.preallocate` / index preallocation). The logical size stays what was written; `close()`
   * trims the file back to it. 0 means no preallocation.
   */
  preallocate?: number;
  /**
   * Logical size to assume for an existing file. Defaults to the file's length on disk. Recovery
   * passes the size it validated, so bytes beyond it (preallocated zeros, a torn tail) are ignored
   * and overwritten by the next append.
   */
  size?: number;
  /** Open read-only: appends and truncates throw. Used for sealed segments. */
  readOnly?: boolean;
  /**
   * When the file is created, fsync its directory after its first data sync (default true), so
   * data called durable is reachable. False for files that can be lost and rebuilt (indexes),
   * whose entries the next directory fsync of the log covers.
   */
  syncDirectoryOnCreate?: boolean;
}

/**
 * One append-only file: a log segment or an index. Appends go to the end, reads are views.
 *
 * Thread-safety: used from one JS thread. `sync()` may run concurrently with appends; it covers
 * every byte appended before it was called.
 */
export interface SegmentFile {
  readonly path: string;
  /** Logical size in bytes: everything appended, minus truncation. */
  readonly size: number;
  /**
   * Copy the buffers, in order, to the end of the file. Returns the file position of the first
   * byte written. Throws StorageIOError on failure (disk full, closed).
   */
  append(buffers: readonly Uint8Array[]): number;
  /**
   * Bytes [position, position+length) as a Buffer. With the native backend this is a zero-copy
   * view over the mapping that stays valid after truncate, delete or close, until it is collected.
   * With the portable backend it is a copy. Throws if the range is outside [0, size].
   */
  view(position: number, length: number): Buffer;
  /**
   * Copy bytes [position, position + target.length) into `target`: for readers of a few bytes at
   * a time (batch headers), where a view would cost more than the bytes. Throws if the range is
   * outside [0, size].
   */
  copyTo(position: number, target: Uint8Array): void;
  /**
   * Whether bytes [position, size) are all zero (position <= size). The native backend asks the
   * file system where data can lie (SEEK_DATA/SEEK_HOLE), so never-written preallocated space is
   * not read; absent on the portable backend (Node has no lseek), where callers compare copies.
   */
  zeroFrom?(position: number): boolean;
  /** Drop everything at or after `size` (which must be <= the current size). */
  truncate(size: number): void;
  /**
   * Resolves once an fdatasync that covers every append made before the call has completed.
   * Concurrent callers share one fsync (group commit). `kind` (default 'active') only names the
   * fsync for the test-only fault switch.
   */
  sync(kind?: FileSyncKind): Promise<void>;
  /** Trim preallocation to the logical size and release the file. Views stay readable. */
  close(): void;
  /**
   * `close()`, then an fdatasync covering every append and the trim, off the event loop (the
   * native flusher thread, the libuv pool): a roll returns at once and the promise says when
   * the old segment is durable. Resolves at once when nothing is unsynced.
   */
  closeAndSync(kind?: FileSyncKind): Promise<void>;
}

export interface IoBackend {
  readonly name: 'native' | 'portable';
  /** CRC-32C (Castagnoli) of `data`, continuing from `seed` (default 0). Unsigned 32-bit result. */
  crc32c(data: Uint8Array, seed?: number): number;
  /** Open (creating if missing) a file for appending and viewing. */
  openSegmentFile(path: string, options?: OpenSegmentFileOptions): SegmentFile;
  /**
   * Number of fsyncs this backend has issued since load: file data (fdatasync), directories and
   * the files of `writeFileAtomic` (shows group commit; tests count them exactly). Skipped ones
   * (fault switch) are not counted.
   */
  fsyncCount(): number;
  /**
   * fsync the directory `dir`, so entries created, renamed or removed in it before the call
   * survive a power cut. Off the event loop (native: the flusher thread; portable: the libuv
   * pool). Filesystems that cannot fsync a directory count as success.
   */
  syncDirectory(dir: string): Promise<void>;
  /**
   * Replace `path` with `data` atomically and durably, off the event loop: write `<path>.tmp`,
   * fsync it, rename it over `path`, fsync the directory. A crash leaves the old or the new
   * content, never a mix. Writes to one path are applied in call order. `kind` names the fsync
   * of the file for the fault switch (the directory's is 'dir').
   */
  writeFileAtomic(path: string, data: Uint8Array | string, kind: 'snapshot' | 'checkpoint'): Promise<void>;
  /**
   * Take an exclusive `flock` on `path` (created if missing) for as long as the returned fd is
   * open; null when another open file holds it. The kernel releases it when the process dies.
   * The native backend only: Node cannot flock.
   */
  lockFile?(path: string): number | null;
  /** Release a lock taken with `lockFile` (the file is emptied, not removed). */
  unlockFile?(fd: number): void;
  /**
   * The verdict of src/format/record-batch.ts's record walk over [start, end) of `data`, in
   * native code (the native backend only). True means checkRecordSection would find nothing
   * wrong; on false the JS walk runs to say what is wrong.
   */
  /** A close-on-exec duplicate of file descriptor `fd` (the native backend only). */
  duplicateFd?(fd: number): number;
  /**
   * Write `chunks` in order to the non-blocking socket `fd` until it would block, and return the
   * bytes written (the native backend only). Chunks that are views of segment files go by
   * sendfile, from the page cache, neither faulted into the process nor copied by it. Call it
   * only when nothing else is queued on the socket, and write what it did not the ordinary way.
   */
  sendTo?(fd: number, chunks: readonly Uint8Array[]): number;
  recordSectionValid?(data: Uint8Array, start: number, end: number, count: number, lastDelta: number, sequential: boolean, keysRequired: boolean): boolean;
}
