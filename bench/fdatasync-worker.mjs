// The syncing thread of the durable-append baseline (bench/durable-baseline.ts says why and how
// the threads share their state). It fdatasyncs the file while there are batches written since
// the last fdatasync, one at a time; with an interval, a new fdatasync starts no sooner than
// intervalMs after the previous one started, as Log's periodic flush schedules it.
//
// Plain JavaScript: a worker's entry module is loaded without the TypeScript loader of its parent.
import { fdatasyncSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ fd: number, shared: SharedArrayBuffer, intervalMs: number, slots: { WRITTEN: number, SYNCED: number, STOP: number, FSYNCS: number, FAILED: number } }} */
const { fd, shared, intervalMs, slots } = workerData;
const { WRITTEN, SYNCED, STOP, FSYNCS, FAILED } = slots;
const state = new Int32Array(shared);

parentPort.postMessage('ready');
let synced = 0;
let lastStart = -Infinity;
for (;;) {
  let target = Atomics.load(state, WRITTEN);
  if (target === synced) {
    if (Atomics.load(state, STOP) === 1) break;
    Atomics.wait(state, WRITTEN, target);
    continue;
  }
  if (intervalMs > 0) {
    const wait = lastStart + intervalMs - performance.now();
    if (wait > 0) {
      Atomics.wait(state, STOP, 0, wait);
      target = Atomics.load(state, WRITTEN);
    }
  }
  // Everything counted in `target` was written before this call: the fdatasync covers it.
  lastStart = performance.now();
  try {
    fdatasyncSync(fd);
  } catch (err) {
    // Wake the writer, which reports the failure, and end this thread with the error.
    Atomics.store(state, FAILED, 1);
    Atomics.notify(state, SYNCED);
    throw err;
  }
  synced = target;
  Atomics.add(state, FSYNCS, 1);
  Atomics.store(state, SYNCED, synced);
  Atomics.notify(state, SYNCED);
}
