/**
 * Entry point of the pool's worker threads (Piscina calls the default export once per task).
 * The input arrives as a transferred ArrayBuffer (or a SharedArrayBuffer); the output goes back
 * the same way: the validated input itself, or the recompressed batches, which
 * `recompressBatches` builds in buffers of their own so that moving them costs nothing.
 */
import { Piscina } from 'piscina';
import { hasherReady, prepareHasher } from './clean-offset-map.js';
import { type BatchTask, type TaskResult, runTask, toBuffer, toWire } from './tasks.js';

export default function batchTask(task: BatchTask): unknown {
  // The cleaner's tasks hash keys with xxhash-wasm, instantiated asynchronously once per thread.
  if (task.op === 'clean' && !hasherReady()) return prepareHasher().then(() => batchTask(task));
  const { result, out } = runTask(task, toBuffer(task.bytes));
  if (out === undefined) return result;
  result.bytes = toWire(out);
  // ArrayBuffers that cannot move (Node's small-allocation pool) are copied by postMessage.
  const movable = out.buffer instanceof ArrayBuffer ? [out.buffer] : [];
  return Piscina.move({ [Piscina.transferableSymbol]: movable, [Piscina.valueSymbol]: result } as unknown as ArrayBuffer);
}
