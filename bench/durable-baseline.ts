/**
 * The baseline of the embedded append rows (bench/append.ts): the bytes strand appends, written by
 * plain pwrite in the same sizes into a preallocated file, and, for the durable rows, made durable
 * the way strand's group commit does it, so that the ratio measures strand and not a different
 * threading model:
 *
 * - the main thread only writes: one pwrite per batch, never an fsync;
 * - a second thread (bench/fdatasync-worker.mjs) fdatasyncs the file on strand's cadence: with
 *   `'always'`, one fdatasync in flight at a time, the next one starting as soon as it completes
 *   and covering everything written meanwhile (the native flusher thread); with `{ intervalMs }`,
 *   the same but starting at most every intervalMs (Log's periodic flush);
 * - a batch counts as durable once an fdatasync that started after it was written has completed,
 *   and the writer keeps at most `inFlight` batches written but not yet durable, as the strand
 *   rows keep that many appends pending. The run ends when the last batch is durable.
 *
 * The threads share an Int32Array: the writer publishes WRITTEN after each pwrite, the syncing
 * thread reads it just before an fdatasync (so that fdatasync covers that many batches) and
 * publishes SYNCED when it completes. The writer blocks in Atomics.wait when its window is full,
 * which is the cheapest a writer can wait: the baseline is the best this machine does, and strand
 * pays its own costs (promises, the event loop) on top.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/** Slots of the shared Int32Array (handed to the worker with its data). */
const WRITTEN = 0;
const SYNCED = 1;
const STOP = 2;
const FSYNCS = 3;
/** Set by the worker when an fdatasync throws (it then stops), so the writer does not wait forever. */
const FAILED = 4;
const SLOTS = 5;

/** `'none'`: no fdatasync at all; otherwise strand's flush policy whose cadence the syncing thread follows. */
export type BaselineSync = 'none' | 'always' | { intervalMs: number };

export interface BaselineOptions {
  path: string;
  /**
   * Batches of one size, written in turn (batch i is chunks[i % length]) `batches` times back to
   * back: the buffers strand's appendBatch rows cycle through, so both read the same memory.
   */
  chunks: readonly Buffer[];
  batches: number;
  /** Batches written but not yet durable that the writer may have at once. */
  inFlight: number;
  sync: BaselineSync;
}

export interface BaselineResult {
  /** From the first pwrite until the last batch is durable (written, for `'none'`). */
  seconds: number;
  fsyncs: number;
  /** How the file was preallocated: 'fallocate' (blocks reserved, as strand does) or 'ftruncate' (sparse). */
  preallocation: 'fallocate' | 'ftruncate';
}

/**
 * Reserve the file's blocks up front, as strand's segments do (posix_fallocate). Node has no
 * fallocate, so util-linux's does it (mode 0, what glibc's posix_fallocate calls on Linux); where
 * that fails the file is extended sparsely and the result says so.
 */
function preallocate(path: string, fd: number, bytes: number): BaselineResult['preallocation'] {
  const r = spawnSync('fallocate', ['-l', String(bytes), path], { stdio: 'ignore' });
  if (r.status === 0) return 'fallocate';
  ftruncateSync(fd, bytes);
  return 'ftruncate';
}

interface Syncer {
  worker: Worker;
  /** Settles when the thread has ended: with its error if it threw. */
  exited: Promise<void>;
}

async function startSyncer(fd: number, shared: SharedArrayBuffer, intervalMs: number): Promise<Syncer> {
  const slots = { WRITTEN, SYNCED, STOP, FSYNCS, FAILED };
  const worker = new Worker(new URL('./fdatasync-worker.mjs', import.meta.url), { workerData: { fd, shared, intervalMs, slots } });
  let failure: unknown;
  worker.on('error', (err) => (failure = err));
  const exited = new Promise<void>((resolve, reject) => worker.once('exit', () => (failure === undefined ? resolve() : reject(failure))));
  await Promise.race([new Promise((resolve) => worker.once('message', resolve)), exited]);
  return { worker, exited };
}

async function stopSyncer(syncer: Syncer, state: Int32Array): Promise<void> {
  Atomics.store(state, STOP, 1);
  Atomics.notify(state, WRITTEN);
  Atomics.notify(state, STOP);
  await syncer.exited;
}

/** Block until the syncing thread has covered `batches` batches. */
function waitSynced(state: Int32Array, batches: number, path: string): void {
  for (let synced = Atomics.load(state, SYNCED); synced < batches; synced = Atomics.load(state, SYNCED)) {
    if (Atomics.load(state, FAILED) === 1) throw new Error(`baseline: fdatasync of ${path} failed (see the worker's error)`);
    Atomics.wait(state, SYNCED, synced);
  }
}

/** One run of the baseline; the file is created, preallocated and closed here (outside the timing). */
export async function runBaseline(o: BaselineOptions): Promise<BaselineResult> {
  const size = o.chunks[0]!.length;
  if (o.chunks.some((c) => c.length !== size)) throw new Error('baseline: every chunk must have the same size');
  const fd = openSync(o.path, 'w+');
  const preallocation = preallocate(o.path, fd, size * o.batches);
  const sync = o.sync;
  const durable = sync !== 'none';
  const shared = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const state = new Int32Array(shared);
  let syncer: Syncer | undefined;
  try {
    if (sync !== 'none') syncer = await startSyncer(fd, shared, sync === 'always' ? 0 : sync.intervalMs);
    const start = performance.now();
    for (let i = 0; i < o.batches; i++) {
      if (durable) waitSynced(state, i - o.inFlight + 1, o.path);
      writeSync(fd, o.chunks[i % o.chunks.length]!, 0, size, i * size);
      if (durable) {
        Atomics.store(state, WRITTEN, i + 1);
        Atomics.notify(state, WRITTEN);
      }
    }
    if (durable) waitSynced(state, o.batches, o.path);
    const seconds = (performance.now() - start) / 1000;
    return { seconds, fsyncs: Atomics.load(state, FSYNCS), preallocation };
  } finally {
    if (syncer !== undefined) await stopSyncer(syncer, state);
    closeSync(fd);
  }
}
