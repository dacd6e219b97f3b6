/**
 * The file-I/O and checksum interface every storage layer talks to. Two backends implement it:
 * the native addon (mmap'd files, a flusher thread, hardware CRC-32C) and the portable one
 * (`node:fs` and a WebAssembly CRC-32C). `src/io/index.ts` picks one at load time.
 */

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
  /** Drop everything at or after `size` (which must be <= the current size). */
  truncate(size: number): void;
  /**
   * Resolves once an fdatasync that covers every append made before the call has completed.
   * Concurrent callers share one fsync (group commit).
   */
  sync(): Promise<void>;
  /** Trim preallocation to the logical size and release the file. Views stay readable. */
  close(): void;
}

export interface IoBackend {
  readonly name: 'native' | 'portable';
  /** CRC-32C (Castagnoli) of `data`, continuing from `seed` (default 0). Unsigned 32-bit result. */
  crc32c(data: Uint8Array, seed?: number): number;
  /** Open (creating if missing) a file for appending and viewing. */
  openSegmentFile(path: string, options?: OpenSegmentFileOptions): SegmentFile;
  /** Number of fdatasync calls this backend has performed since load (shows group commit). */
  fsyncCount(): number;
  /**
   * The verdict of src/format/record-batch.ts's record walk over [start, end) of `data`, in
   * native code (the native backend only). True means checkRecordSection would find nothing
   * wrong; on false the JS walk runs to say what is wrong.
   */
  /** A close-on-exec duplicate of file descriptor `fd` (the native backend only). */
  duplicateFd?(fd: number): number;
  recordSectionValid?(data: Uint8Array, start: number, end: number, count: number, lastDelta: number, sequential: boolean, keysRequired: boolean): boolean;
}
