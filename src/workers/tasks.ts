/**
 * The batch tasks, as plain functions over byte ranges, shared by the worker threads and the
 * pool's inline path (batches too small to be worth the hand-off run these on the caller's
 * thread). Errors never cross the thread boundary as exceptions: a task reports them in its
 * result, and the pool turns them back into strand's typed errors.
 */
import { CorruptBatchError, DecompressedTooLargeError, InvalidRecordError, type KafkaErrorCode, type RecordError, StrandError } from '../errors.js';
import { type RecordChecks, recompressBatches, validateBatchesDeep } from '../format/compression.js';
import { type CleanTask, type CleanTaskResult, runCleanTask } from './clean-task.js';

export type TaskOp = 'recompress' | 'validate' | 'clean';

/** A batch buffer as it travels to a worker: the (transferred) ArrayBuffer and the view's place in it. */
export interface WireBytes {
  buffer: ArrayBuffer | SharedArrayBuffer;
  offset: number;
  length: number;
}

export interface BatchTask {
  op: TaskOp;
  bytes: WireBytes;
  /** recompress: target codec id (0 decompresses). */
  codec?: number;
  level?: number;
  /** validate, and recompress when set (deep-check while recompressing): name used in error messages. */
  where?: string;
  /** With `where`: a compacted log's records must have keys. */
  keysRequired?: boolean;
  /** With `where`: the bound on a compressed batch's decompressed records. */
  maxDecompressedBytes?: number;
  /** clean: the log cleaner's task (clean-task.ts). */
  clean?: CleanTask;
}

export interface TaskError {
  /** Class to rebuild on the caller's side. */
  type: 'corrupt' | 'invalid' | 'too-large' | 'strand' | 'other';
  message: string;
  code?: string;
  kafkaCode?: number;
  position?: number;
  /** invalid: the records refused one by one, when the rule concerns records. */
  recordErrors?: RecordError[];
  /** too-large: the bound passed. */
  limit?: number;
}

export interface TaskResult {
  /** recompress: the new batches. validate: the input, handed back. */
  bytes?: WireBytes;
  /** validate: number of batches. */
  batches?: number;
  /** True when `bytes` is the input itself (nothing was recompressed). */
  same?: boolean;
  /** clean: what the cleaner's task did. */
  clean?: CleanTaskResult;
  error?: TaskError;
}

export function toBuffer(w: WireBytes): Buffer {
  return Buffer.from(w.buffer as ArrayBuffer, w.offset, w.length);
}

export function toWire(b: Buffer): WireBytes {
  return { buffer: b.buffer, offset: b.byteOffset, length: b.length };
}

export function runTask(task: BatchTask, input: Buffer): { result: TaskResult; out?: Buffer } {
  try {
    // The cleaner's tasks read and write segment files themselves; `bytes` goes back empty.
    if (task.op === 'clean') return { result: { clean: runCleanTask(task.clean!) }, out: Buffer.from(new ArrayBuffer(0)) };
    if (task.op === 'validate') {
      const batches = validateBatchesDeep(input, recordChecks(task, task.where ?? 'batch'));
      return { result: { batches, same: true }, out: input };
    }
    const out = recompressBatches(input, task.codec ?? 0, task.level, task.where === undefined ? undefined : recordChecks(task, task.where));
    return { result: { same: out === input }, out };
  } catch (err) {
    return { result: { error: describeError(err) } };
  }
}

function recordChecks(task: BatchTask, where: string): RecordChecks {
  return {
    where,
    ...(task.keysRequired === true ? { keysRequired: true } : {}),
    ...(task.maxDecompressedBytes === undefined ? {} : { maxDecompressedBytes: task.maxDecompressedBytes }),
  };
}

function describeError(err: unknown): TaskError {
  if (err instanceof CorruptBatchError) return { type: 'corrupt', message: err.message, ...(err.position === undefined ? {} : { position: err.position }) };
  if (err instanceof InvalidRecordError) return { type: 'invalid', message: err.message, ...(err.recordErrors.length === 0 ? {} : { recordErrors: [...err.recordErrors] }) };
  if (err instanceof DecompressedTooLargeError) return { type: 'too-large', message: err.message, limit: err.limit };
  if (err instanceof StrandError) return { type: 'strand', message: err.message, code: err.code, kafkaCode: err.kafkaCode };
  return { type: 'other', message: err instanceof Error ? err.message : String(err) };
}

/** The typed error a task reported. */
export function rebuildError(e: TaskError): Error {
  switch (e.type) {
    case 'corrupt': return new CorruptBatchError(e.message, e.position);
    case 'invalid': return new InvalidRecordError(e.message, e.recordErrors);
    case 'too-large': return new DecompressedTooLargeError(e.message, e.limit!);
    case 'strand': return new StrandError(e.message, e.code, e.kafkaCode as KafkaErrorCode | undefined);
    default: return new Error(e.message);
  }
}
