/**
 * The durable-append baseline of bench/append.ts (bench/durable-baseline.ts): it writes every
 * batch where it belongs, and its syncing thread follows strand's cadence. The counts are exact
 * where the window allows only one answer: with one batch in flight, every batch waits for an
 * fdatasync of its own.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runBaseline } from '../../bench/durable-baseline.js';

const dir = mkdtempSync(join(tmpdir(), 'strand-bench-baseline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Three 4 KiB chunks whose bytes differ, so a batch written at a wrong position or out of turn shows. */
const chunks = [3, 5, 7].map((k) => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * k + 3) & 0xff)));
const SIZE = 4096;

function expectBatches(path: string, batches: number): void {
  const file = readFileSync(path);
  expect(file.length).toBe(SIZE * batches);
  for (let i = 0; i < batches; i++) expect(file.subarray(i * SIZE, (i + 1) * SIZE).equals(chunks[i % 3]!), `batch ${i}`).toBe(true);
}

it('without sync writes every batch in place into a preallocated file and never fdatasyncs', async () => {
  const path = join(dir, 'none.bin');
  const r = await runBaseline({ path, chunks, batches: 40, inFlight: 8, sync: 'none' });
  expect(r.fsyncs).toBe(0);
  expect(r.preallocation).toBe('fallocate');
  expectBatches(path, 40);
});

it('with one batch in flight fdatasyncs once per batch (flush=always cadence)', async () => {
  const path = join(dir, 'always-1.bin');
  const r = await runBaseline({ path, chunks, batches: 25, inFlight: 1, sync: 'always' });
  expect(r.fsyncs).toBe(25);
  expectBatches(path, 25);
});

it('with a window, one fdatasync covers many batches and the last batch ends durable', async () => {
  const path = join(dir, 'always-window.bin');
  const r = await runBaseline({ path, chunks, batches: 200, inFlight: 64, sync: 'always' });
  // At least one fdatasync per window of 64, at most one per batch.
  expect(r.fsyncs).toBeGreaterThanOrEqual(Math.ceil(200 / 64));
  expect(r.fsyncs).toBeLessThanOrEqual(200);
  expectBatches(path, 200);
});

it('with an interval, fdatasyncs start at least intervalMs apart', async () => {
  const path = join(dir, 'interval.bin');
  const r = await runBaseline({ path, chunks, batches: 5, inFlight: 1, sync: { intervalMs: 30 } });
  expect(r.fsyncs).toBe(5);
  // Five fdatasyncs, each started 30 ms or more after the one before.
  expect(r.seconds).toBeGreaterThanOrEqual(0.12);
  expectBatches(path, 5);
});
