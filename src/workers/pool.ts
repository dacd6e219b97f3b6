/**
 * The batch worker pool: compression, decompression, recompression and deep validation of
 * record batches on Piscina worker threads, so that CPU-heavy batch work leaves the event loop
 * and spreads over the cores.
 *
 * Moving bytes. A task's input travels as its ArrayBuffer: a SharedArrayBuffer is shared as is;
 * with `transfer: true` the caller hands over the Buffer's whole ArrayBuffer, which is moved
 * (detached here) and comes back moved with the result, so a validated batch returns to the
 * caller without a copy. Otherwise the input is copied once into a fresh ArrayBuffer that is
 * moved: a Buffer from the socket or from Node's small-allocation pool shares its ArrayBuffer
 * with bytes that are not ours to detach. Results are built in buffers of their own and moved
 * back. `stats.copiedBytes` counts the copies.
 *
 * Back-pressure. At most `threads + maxQueued` tasks and `maxInFlightBytes` input bytes are in
 * the pool at once (a single batch larger than that is admitted alone); further callers wait in
 * FIFO order, so memory stays bounded however fast producers submit.
 *
 * Small batches. Work estimated to take less than the hand-off itself (post, wake a worker, post
 * back) runs on the calling thread: the event loop would hardly notice it. See INLINE_BELOW for
 * the measured figures.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { BATCH_LENGTH, LOG_OVERHEAD, RECORDS } from '../format/batch-header.js';
import { codecId } from '../format/codecs.js';
import { type CodecSpec, type RecordChecks, batchCodec } from '../format/compression.js';
import { type EncodeBatchOptions, encodeBatch } from '../format/record-batch.js';
import type { RecordInput } from '../format/record.js';
import { type BatchTask, type TaskResult, type WireBytes, rebuildError, runTask, toBuffer } from './tasks.js';

/**
 * Inline thresholds, measured on this project's 2-core x86-64 machine (Node 20.20, native
 * backend) with batches of ~120-byte text-like records (see bench/codecs.ts, "pool hand-off" and
 * the per-codec rows):
 *
 * - The pool's round trip for a batch that needs no work (post, a worker wakes, post back; the
 *   batch moved, not copied) is 37-52 µs for 1-8 KiB and 76-96 µs for 64 KiB: median of 1000
 *   sequential calls after a warm-up, over several runs (the machine is shared, hence the
 *   spread; bench/codecs.ts prints the 1 KiB figure on every run). Call it 45 µs.
 * - Each figure below is the input size whose inline time (median of 300) equals that round
 *   trip, rounded down to a power of two. Measured medians, compress / decompress, at 16 KiB:
 *   gzip 443 / 54 µs, snappy 27 / 14 µs, lz4 28 / 12 µs, zstd 56 / 24 µs; the deep-validation
 *   walk of uncompressed records (CRC-32C + every record) 22 µs at 64 KiB, 81 µs at 256 KiB.
 *
 * A task whose work adds up to less than one hand-off runs inline: the sum over its steps of
 * size / threshold is below 1 (e.g. recompressing gzip to zstd decompresses gzip, then compresses
 * zstd). The event loop is then held no longer than a hand-off would take.
 */
export const INLINE_BELOW = Object.freeze({
  compress: Object.freeze({ none: Infinity, gzip: 2 * 1024, snappy: 16 * 1024, lz4: 16 * 1024, zstd: 8 * 1024 }),
  decompress: Object.freeze({ none: Infinity, gzip: 8 * 1024, snappy: 32 * 1024, lz4: 64 * 1024, zstd: 32 * 1024 }),
  /** CRC-32C and the record walk of deep validation, after any decompression. */
  walk: 128 * 1024,
});

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** The share of one hand-off that a task's work on `size` bytes is estimated to take. */
type Step = ['compress' | 'decompress', number] | ['walk'];

function inlineCost(size: number, steps: readonly Step[]): number {
  let cost = 0;
  for (const step of steps) {
    const limit = step[0] === 'walk' ? INLINE_BELOW.walk : INLINE_BELOW[step[0]][NAMES[step[1]] ?? 'gzip'];
    cost += size / limit;
  }
  return cost;
}

export interface BatchPoolOptions {
  /** Worker threads; the number of cores by default. */
  threads?: number;
  /** Tasks admitted beyond one per thread before callers wait; 2 per thread by default. */
  maxQueued?: number;
  /** Input bytes in the pool at once before callers wait; 256 MiB by default. */
  maxInFlightBytes?: number;
  /**
   * Run tasks on inputs below this many bytes on the calling thread, whatever the codec; by
   * default the measured per-codec figures of INLINE_BELOW decide. 0 sends everything to the
   * workers, Infinity nothing.
   */
  inlineBelow?: number;
}

export interface MoveOptions {
  /**
   * The caller hands over the Buffer's whole ArrayBuffer: it is moved to the worker (and is
   * unusable here afterwards) instead of copied. Only for buffers whose ArrayBuffer holds
   * nothing else anyone still reads.
   */
  transfer?: boolean;
}

export interface PoolStats {
  threads: number;
  /** Tasks in the workers or queued in Piscina. */
  inFlight: number;
  inFlightBytes: number;
  /** Callers waiting for admission. */
  waiting: number;
  /** Tasks done on the calling thread / in a worker. */
  inline: number;
  offloaded: number;
  /** Input bytes copied to reach a worker (inputs not transferred). */
  copiedBytes: number;
  /** Most tasks ever in the pool at once (never above threads + maxQueued). */
  peakInFlight: number;
  /** Seconds the offloaded tasks took, admission to answer (for their mean, with `offloaded`). */
  offloadedSeconds: number;
}

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

function workerFile(): { filename: string; execArgv?: string[] } {
  const here = import.meta.url;
  // From src (vitest, tsx) the worker is TypeScript and needs tsx's loader in its thread;
  // from dist it is the compiled .js beside this file.
  if (here.endsWith('.ts')) return { filename: new URL('./worker.ts', here).href, execArgv: ['--import', 'tsx'] };
  return { filename: new URL('./worker.js', here).href };
}

export class BatchPool {
  /** Started on the first task that needs a thread: a pool used only inline costs nothing. */
  private piscina: Piscina | null = null;
  private isClosed = false;
  private readonly maxTasks: number;
  private readonly maxBytes: number;
  private readonly inlineBelow: number | undefined;
  private waiters: Waiter[] = [];
  private drained: (() => void) | null = null;
  private inFlight = 0;
  private inFlightBytes = 0;
  private counters = { inline: 0, offloaded: 0, copiedBytes: 0, peakInFlight: 0, offloadedSeconds: 0 };
  readonly threads: number;

  private constructor(options: BatchPoolOptions) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new InvalidArgumentError(`threads must be a positive integer, got ${threads}`);
    const maxQueued = options.maxQueued ?? threads * 2;
    if (!Number.isInteger(maxQueued) || maxQueued < 0) throw new InvalidArgumentError(`maxQueued must be a non-negative integer, got ${maxQueued}`);
    const maxBytes = options.maxInFlightBytes ?? 256 * 1024 * 1024;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new InvalidArgumentError(`maxInFlightBytes must be a positive integer, got ${maxBytes}`);
    if (options.inlineBelow !== undefined && !(options.inlineBelow >= 0)) throw new InvalidArgumentError(`inlineBelow must be a non-negative number, got ${options.inlineBelow}`);
    this.inlineBelow = options.inlineBelow;
    this.threads = threads;
    this.maxTasks = threads + maxQueued;
    this.maxBytes = maxBytes;
  }

  private threadsPool(): Piscina {
    if (this.piscina === null) {
      const { filename, execArgv } = workerFile();
      // Admission is ours (below), so Piscina's own queue never fills; idle workers are unref'd
      // by Piscina and do not keep the process alive. atomics 'async': a worker's event loop
      // turns between tasks, which is when napi-rs codecs (lz4-napi) free their output buffers;
      // with 'sync' a busy worker never turned it and its RSS grew by every batch it decoded.
      this.piscina = new Piscina({ filename, ...(execArgv ? { execArgv } : {}), minThreads: this.threads, maxThreads: this.threads, idleTimeout: 60_000, maxQueue: Infinity, atomics: 'async' });
    }
    return this.piscina;
  }

  /** A pool; its threads start with the first task too large to run inline. */
  static open(options: BatchPoolOptions = {}): BatchPool {
    return new BatchPool(options);
  }

  get stats(): PoolStats {
    return { threads: this.threads, inFlight: this.inFlight, inFlightBytes: this.inFlightBytes, waiting: this.waiters.length, ...this.counters };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Records encoded as one v2 batch compressed with `codec` (encoding on this thread, compression
   * in a worker when large), or a buffer of batches recompressed to `codec`.
   */
  async compress(input: readonly RecordInput[] | Buffer, codec: CodecSpec, options: MoveOptions & { level?: number; encode?: EncodeBatchOptions } = {}): Promise<Buffer> {
    if (Buffer.isBuffer(input)) return this.recompress(input, codec, options);
    const plain = encodeBatch(input, options.encode);
    // The encoded batch is ours alone: move it.
    return this.recompress(plain, codec, { ...(options.level === undefined ? {} : { level: options.level }), transfer: true });
  }

  /** Every batch of `batches` with its records uncompressed. */
  decompress(batches: Buffer, options: MoveOptions = {}): Promise<Buffer> {
    return this.recompress(batches, 0, options);
  }

  /**
   * Every batch of `batches` with its records in `codec` (Kafka's compression.type applied by a
   * broker); batches already in that codec and control batches are kept as they are. With
   * `validate` (a name for error messages, or the checks of `validate()`), every batch is
   * deep-checked on the way, as by `validate()`, decompressing each once; otherwise CRCs and
   * records are not checked.
   */
  async recompress(batches: Buffer, codec: CodecSpec, options: MoveOptions & { level?: number; validate?: string | RecordChecks } = {}): Promise<Buffer> {
    const id = codecId(codec);
    const checks = typeof options.validate === 'string' ? { where: options.validate } : options.validate;
    const task: BatchTask = {
      op: 'recompress', codec: id, bytes: WIRE_PLACEHOLDER,
      ...(options.level === undefined ? {} : { level: options.level }), ...(checks === undefined ? {} : checkFields(checks)),
    };
    const from = batches.length >= RECORDS ? batchCodec(batches) : 0;
    const steps: Step[] = from === id ? [] : [['decompress', from], ['compress', id]];
    if (options.validate !== undefined) steps.push(['walk']);
    const inline = this.runsInline(batches.length, steps);
    const { out } = await this.run(task, batches, inline, options.transfer === true);
    return out!;
  }

  /**
   * Deep validation of a buffer of batches as a producer sent them: framing, CRC-32C, and every
   * record (compressed batches are decompressed first): count, offset deltas, timestamp deltas,
   * lengths; keys when `keysRequired`; decompressed sizes up to `maxDecompressedBytes`. Resolves
   * to the number of batches and the bytes (the same memory, handed back when it was
   * transferred); rejects with CorruptBatchError, InvalidRecordError or DecompressedTooLargeError.
   */
  async validate(batches: Buffer, options: MoveOptions & Partial<RecordChecks> = {}): Promise<{ batches: number; bytes: Buffer }> {
    const task: BatchTask = { op: 'validate', bytes: WIRE_PLACEHOLDER, ...checkFields({ ...options, where: options.where ?? 'batch' }) };
    // Priced as if every byte were in the slowest codec among the batches (malformed framing
    // stops this walk; the task reports it).
    let slowest = 0;
    for (let pos = 0; pos + RECORDS <= batches.length;) {
      const codec = batchCodec(batches, pos);
      if (codec !== 0 && (slowest === 0 || inlineCost(1, [['decompress', codec]]) > inlineCost(1, [['decompress', slowest]]))) slowest = codec;
      const size = batches.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
      if (!(size > LOG_OVERHEAD)) break;
      pos += size;
    }
    const inline = this.runsInline(batches.length, [['decompress', slowest], ['walk']]);
    const { result, out } = await this.run(task, batches, inline, options.transfer === true);
    return { batches: result.batches!, bytes: out! };
  }

  /**
   * Run a task that another module registered in tasks.ts (the log cleaner's, which reads and
   * writes files itself and so moves no bytes) on a thread, or on this one with `inline`.
   */
  async runTask(task: BatchTask, options: { inline?: boolean } = {}): Promise<TaskResult> {
    return (await this.run(task, Buffer.from(new ArrayBuffer(0)), options.inline === true, false)).result;
  }

  /** Stop taking work: callers still waiting are rejected with ClosedError, admitted tasks finish, then the threads stop. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const w of this.waiters.splice(0)) w.reject(new ClosedError('batch pool'));
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    const p = this.piscina;
    this.piscina = null;
    if (p !== null) await p.close();
  }

  private runsInline(size: number, steps: readonly Step[]): boolean {
    if (this.inlineBelow !== undefined) return size < this.inlineBelow;
    return inlineCost(size, steps) < 1;
  }

  private async run(task: BatchTask, input: Buffer, inline: boolean, transfer: boolean): Promise<{ result: TaskResult; out?: Buffer }> {
    if (this.isClosed) throw new ClosedError('batch pool');
    if (inline) {
      this.counters.inline++;
      const done = runTask(task, input);
      if (done.result.error) throw rebuildError(done.result.error);
      return done;
    }
    // Once admitted, a task runs even if close() starts meanwhile: close waits for it.
    await this.admit(input.length);
    try {
      const piscina = this.threadsPool();
      let bytes: WireBytes;
      let transferList: ArrayBuffer[] = [];
      const ab = input.buffer;
      if (!(ab instanceof ArrayBuffer)) {
        bytes = { buffer: ab, offset: input.byteOffset, length: input.length }; // shared memory: no move, no copy
      } else if (transfer) {
        bytes = { buffer: ab, offset: input.byteOffset, length: input.length };
        transferList = [ab];
      } else {
        const copy = new ArrayBuffer(input.length);
        new Uint8Array(copy).set(input);
        this.counters.copiedBytes += input.length;
        bytes = { buffer: copy, offset: 0, length: input.length };
        transferList = [copy];
      }
      this.counters.offloaded++;
      const started = performance.now();
      const result = (await piscina.run({ ...task, bytes }, { transferList })) as TaskResult;
      this.counters.offloadedSeconds += (performance.now() - started) / 1000;
      if (result.error) throw rebuildError(result.error);
      return { result, out: toBuffer(result.bytes!) };
    } finally {
      this.release(input.length);
    }
  }

  private admit(bytes: number): Promise<void> {
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.take(bytes);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.waiters.push({ bytes, resolve, reject }));
  }

  private fits(bytes: number): boolean {
    return this.inFlight === 0 || (this.inFlight < this.maxTasks && this.inFlightBytes + bytes <= this.maxBytes);
  }

  private take(bytes: number): void {
    this.inFlight++;
    this.inFlightBytes += bytes;
    if (this.inFlight > this.counters.peakInFlight) this.counters.peakInFlight = this.inFlight;
  }

  private release(bytes: number): void {
    this.inFlight--;
    this.inFlightBytes -= bytes;
    if (this.inFlight === 0 && this.drained !== null) this.drained();
    // FIFO: a large waiter at the head is not overtaken forever by small ones behind it.
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.take(w.bytes);
      w.resolve();
    }
  }
}

const WIRE_PLACEHOLDER: WireBytes = { buffer: new ArrayBuffer(0), offset: 0, length: 0 };

/** The task fields that carry `checks` to a worker. */
function checkFields(checks: RecordChecks): Pick<BatchTask, 'where' | 'keysRequired' | 'maxDecompressedBytes'> {
  return {
    where: checks.where,
    ...(checks.keysRequired === true ? { keysRequired: true } : {}),
    ...(checks.maxDecompressedBytes === undefined ? {} : { maxDecompressedBytes: checks.maxDecompressedBytes }),
  };
}

let shared: BatchPool | null = null;

/** The process's shared pool, started on first use with the default options. */
export function defaultBatchPool(): BatchPool {
  if (shared === null || shared.closed) shared = BatchPool.open();
  return shared;
}

/** The shared pool's figures, or null when it was not started (for /metrics, which must not start it). */
export function defaultBatchPoolStats(): PoolStats | null {
  return shared === null || shared.closed ? null : shared.stats;
}

/** Close the shared pool if it was started (tests, graceful shutdown). */
export async function closeDefaultBatchPool(): Promise<void> {
  const p = shared;
  shared = null;
  if (p !== null) await p.close();
}
