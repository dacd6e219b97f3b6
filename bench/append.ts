/**
 * Embedded append and sequential read throughput, 100-byte records in batches of 1,000, each
 * beside its baseline measured in the same process: the same bytes written by pwrite in the same
 * sizes into a preallocated file (bench/durable-baseline.ts), and for the durable rows a second
 * thread fdatasyncing on the cadence of strand's group commit for the same flush policy.
 *
 * Durable rows: a batch counts as durable when an fdatasync that started after it was written has
 * completed (for strand: when its append resolves), and a run lasts until the last batch is
 * durable. Both sides keep the same IN_FLIGHT batches written but not yet durable.
 *
 * Every measurement runs RUNS times, interleaved round by round (baseline, strand, baseline,
 * strand, ...) so that load from elsewhere on this shared machine falls on both alike. A row is
 * the median of its runs (each one in `runs`), its ratio the median of strand over the median of
 * the baseline, its peak RSS the highest of its own runs (the peak is reset before each run).
 *
 * Usage: tsx bench/append.ts <variant>   (none | durable | read | all; bench/run.ts runs each in
 * a fresh process). STRAND_BENCH_RUNS sets the number of runs (default 5).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBatch } from '../src/format/record-batch.js';
import { openLog, type RecordInput } from '../src/index.js';
import { io } from '../src/io/index.js';
import type { FlushPolicy } from '../src/storage/log-config.js';
import { type BaselineSync, runBaseline } from './durable-baseline.js';
import { type BenchRow, SCALE, emitRows, formatTable, median, peakRssMiB, resetPeakRss } from './lib.js';

const RECORD_BYTES = 100;
const BATCH = 1000;
const TOTAL = Math.max(BATCH * 20, Math.round(3_000_000 * SCALE / BATCH) * BATCH);
const BATCHES = TOTAL / BATCH;
const INTERVAL_MS = 5;
const RUNS = Math.max(1, Number(process.env.STRAND_BENCH_RUNS ?? 5));
/** Kafka's segment.bytes (1 GiB): a run never rolls. */
const DEFAULT_SEGMENT_BYTES = 1024 * 1024 * 1024;

/**
 * Durable appends in flight (as a producer application keeps them): enough to cover a group
 * commit cycle (the 5 ms interval plus the fdatasync itself, ~10-20 ms at this disk's ~1 GB/s),
 * so the appending thread keeps writing while the flusher thread syncs. With 64 (7 MB) it
 * stalled a third of the time waiting for a sync.
 */
const IN_FLIGHT = Number(process.env.STRAND_BENCH_IN_FLIGHT ?? 256);

const value = Buffer.alloc(RECORD_BYTES, 'x');
const records: RecordInput[] = Array.from({ length: BATCH }, () => ({ value }));
const template = encodeBatch(records);
const batchBytes = template.length;
/** The buffers appendBatch and the baseline cycle through (6.9 MB: more than the caches hold). */
const batchBuffers = Array.from({ length: 64 }, () => Buffer.from(template));
/**
 * Segments for the rows that roll: each holds a tenth of a run's batches, so a run fills ten of
 * them (nine rolls, each of which syncs the segment it leaves, and its indexes, besides the
 * active one before the recovery point passes it).
 */
const ROLL_SEGMENT_BATCHES = Math.ceil(BATCHES / 10);
const ROLL_SEGMENT_BYTES = ROLL_SEGMENT_BATCHES * batchBytes;

/**
 * A fresh directory, after writing back every dirty page of earlier runs: each run starts from
 * the same page-cache state, or the kernel's dirty throttling would slow whichever run comes
 * after a large unsynced one (measured: raw writes from 3.5 down to 0.3 GB/s).
 */
function tmp(): string {
  spawnSync('sync');
  return mkdtempSync(join(tmpdir(), 'strand-bench-'));
}

interface RunResult {
  seconds: number;
  fsyncs: number;
  /** Segments the log rolled during the run. */
  rolls?: number;
}

async function baselineRun(sync: BaselineSync): Promise<RunResult> {
  const dir = tmp();
  try {
    const r = await runBaseline({ path: join(dir, 'baseline.bin'), chunks: batchBuffers, batches: BATCHES, inFlight: IN_FLIGHT, sync });
    if (r.preallocation !== 'fallocate') process.stderr.write('append bench: fallocate failed, the baseline file is sparse\n');
    return r;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function appendRun(kind: 'records' | 'batch', flush: FlushPolicy, segmentBytes = DEFAULT_SEGMENT_BYTES): Promise<RunResult> {
  const dir = tmp();
  const log = await openLog(dir, { flush, retentionMs: -1, segmentBytes });
  const durable = flush !== 'none';
  const fsyncsBefore = io.fsyncCount();
  const start = performance.now();
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < BATCHES; i++) {
    const p = kind === 'records' ? log.append(records) : log.appendBatch(batchBuffers[i % batchBuffers.length]!);
    if (!durable) {
      await p;
      continue;
    }
    // A durable append resolves once a group fsync covers it: keep a window of them in flight.
    pending.add(p);
    void p.then(() => pending.delete(p));
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  }
  // Every append has resolved: every batch is durable (or, for 'none', written).
  await Promise.all(pending);
  const seconds = (performance.now() - start) / 1000;
  const fsyncs = io.fsyncCount() - fsyncsBefore;
  const rolls = log.segmentBaseOffsets().length - 1;
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, fsyncs, rolls };
}

async function readRun(): Promise<RunResult> {
  const dir = tmp();
  const log = await openLog(dir, { retentionMs: -1 });
  for (let i = 0; i < BATCHES; i++) await log.append(records);
  const start = performance.now();
  let n = 0;
  for (let o = 0; o < log.endOffset;) {
    const r = await log.read(o, { maxBytes: 1 << 20 });
    n += r.records.length;
    o = r.nextOffset;
  }
  const seconds = (performance.now() - start) / 1000;
  if (n !== TOTAL) throw new Error(`read ${n} records, expected ${TOTAL}`);
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, fsyncs: 0 };
}

interface Measurement {
  name: string;
  run: () => Promise<RunResult>;
  /** Index (in the same list) of the measurement this one is a ratio of. */
  baselineOf?: number;
  extra?: Partial<BenchRow>;
}

/** Run every measurement RUNS times, round by round, and make one median row of each. */
async function measure(list: Measurement[]): Promise<BenchRow[]> {
  const results = list.map(() => ({ rates: [] as number[], fsyncs: [] as number[], rolls: [] as number[], peak: 0 }));
  for (let round = 0; round < RUNS; round++) {
    for (const [k, m] of list.entries()) {
      resetPeakRss();
      const r = await m.run();
      results[k]!.rates.push(TOTAL / r.seconds);
      results[k]!.fsyncs.push(r.fsyncs);
      results[k]!.rolls.push(r.rolls ?? 0);
      results[k]!.peak = Math.max(results[k]!.peak, peakRssMiB());
    }
  }
  return list.map((m, k) => {
    const { rates, fsyncs, rolls, peak } = results[k]!;
    const rate = median(rates);
    const row: BenchRow = { name: m.name, value: rate, unit: ' rec/s', mbPerSec: rate * batchBytes / BATCH / 1e6, runs: rates, peakRssMiB: peak, ...m.extra };
    const notes = [`median of ${RUNS}: ${rates.map((x) => (x / 1e6).toFixed(2)).join(', ')} M rec/s`];
    if (fsyncs.some((f) => f > 0)) notes.push(`${median(fsyncs)} fdatasyncs per run`);
    if (rolls.some((n) => n > 0)) notes.push(`${median(rolls)} rolls per run`);
    if (m.baselineOf !== undefined) {
      const base = results[m.baselineOf]!.rates;
      row.baseline = list[m.baselineOf]!.name;
      row.ratio = rate / median(base);
      const paired = rates.map((x, i) => x / base[i]!);
      notes.push(`ratio run by run ${Math.min(...paired).toFixed(2)}-${Math.max(...paired).toFixed(2)}`);
    }
    row.note = notes.join('; ');
    return row;
  });
}

// Warm-up, not measured: the first run of a process writes into page-cache pages the machine
// has to provide fresh (on this VM, 0.3-0.5 GB/s instead of 2-4 GB/s for pages freed by an
// earlier run), so whichever run came first would be penalised. Every run deletes its files,
// so each measured run reuses the pages of the one before.
await baselineRun('none');

const variant = process.argv[2] ?? 'all';
const rows: BenchRow[] = [];
const want = (v: string) => variant === 'all' || variant === v;
const inFlight = `${IN_FLIGHT} in flight`;

if (want('none')) {
  rows.push(...await measure([
    { name: 'baseline: pwrite into a preallocated file, no sync', run: () => baselineRun('none'), extra: { group: 'baseline' } },
    { name: 'append(records) flush=none', run: () => appendRun('records', 'none'), baselineOf: 0, extra: { target: '>= 3 M rec/s' } },
    { name: 'appendBatch(bytes) flush=none', run: () => appendRun('batch', 'none'), baselineOf: 0 },
  ]));
}
if (want('durable')) {
  // Both of strand's group-commit cadences, each beside a baseline syncing on the same one.
  const policies: Array<[string, FlushPolicy & BaselineSync, string]> = [
    ['flush=always', 'always', 'fdatasync thread, back to back'],
    [`flush=${INTERVAL_MS}ms`, { intervalMs: INTERVAL_MS }, `fdatasync thread every ${INTERVAL_MS}ms`],
  ];
  for (const [label, policy, cadence] of policies) {
    const id = typeof policy === 'string' ? policy : `${policy.intervalMs}ms`;
    rows.push(...await measure([
      { name: `baseline: pwrite + ${cadence}, ${inFlight}`, run: () => baselineRun(policy), extra: { group: 'baseline', id: `append-durable-baseline-${id}` } },
      { name: `append(records) ${label}, ${inFlight}`, run: () => appendRun('records', policy), baselineOf: 0, extra: { id: `append-durable-${id}` } },
      { name: `appendBatch(bytes) ${label}, ${inFlight}`, run: () => appendRun('batch', policy), baselineOf: 0, extra: { id: `appendBatch-durable-${id}`, target: '>= 0.8 of baseline' } },
      {
        name: `appendBatch(bytes) ${label}, ${inFlight}, segments of ${ROLL_SEGMENT_BATCHES} batches`,
        run: () => appendRun('batch', policy, ROLL_SEGMENT_BYTES),
        baselineOf: 0,
        extra: { id: `appendBatch-durable-rolling-${id}` },
      },
    ]));
  }
}
if (want('read')) {
  rows.push(...await measure([{ name: 'sequential read(offset) records', run: readRun, extra: { target: '>= 5 M rec/s' } }]));
}
// The table for a reader running this file alone; bench/run.ts reads the rows line.
process.stderr.write(`${formatTable(rows)}\n`);
emitRows(rows);
