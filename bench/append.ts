/**
 * Embedded append and sequential read throughput, 100-byte records in batches of 1,000, each
 * beside its baseline measured in the same process: fs.writeSync of the same bytes in the same
 * chunk sizes (and fdatasync at the same interval for the durable rows).
 *
 * Usage: tsx bench/append.ts <variant>   (variants below; bench/run.ts runs each in a fresh process)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBatch } from '../src/format/record-batch.js';
import { openLog, type RecordInput } from '../src/index.js';
import { type BenchRow, SCALE, emitRows, peakRssMiB } from './lib.js';

const RECORD_BYTES = 100;
const BATCH = 1000;
const TOTAL = Math.max(BATCH * 20, Math.round(3_000_000 * SCALE / BATCH) * BATCH);
const INTERVAL_MS = 5;
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
const totalBytes = (TOTAL / BATCH) * batchBytes;

/**
 * A fresh directory, after writing back every dirty page of earlier runs: each run starts from
 * the same page-cache state, or the kernel's dirty throttling would slow whichever run comes
 * after a large unsynced one (measured: raw writes from 3.5 down to 0.3 GB/s).
 */
function tmp(): string {
  spawnSync('sync');
  return mkdtempSync(join(tmpdir(), 'strand-bench-'));
}

function rateRow(name: string, seconds: number, extra: Partial<BenchRow> = {}): BenchRow {
  return { name, value: TOTAL / seconds, unit: ' rec/s', mbPerSec: totalBytes / seconds / 1e6, peakRssMiB: peakRssMiB(), ...extra };
}

/** Raw sequential write of the same bytes: the baseline of every append row. */
function rawWrite(durable: boolean): number {
  const dir = tmp();
  const fd = openSync(join(dir, 'raw.bin'), 'w');
  const chunk = Buffer.from(template);
  const start = performance.now();
  let lastSync = start;
  for (let i = 0; i < TOTAL / BATCH; i++) {
    writeSync(fd, chunk);
    if (durable && performance.now() - lastSync >= INTERVAL_MS) {
      fdatasyncSync(fd);
      lastSync = performance.now();
    }
  }
  if (durable) fdatasyncSync(fd);
  const seconds = (performance.now() - start) / 1000;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

async function appendRun(kind: 'records' | 'batch', durable: boolean): Promise<number> {
  const dir = tmp();
  const log = await openLog(dir, { flush: durable ? { intervalMs: INTERVAL_MS } : 'none', retentionMs: -1 });
  const batches = kind === 'batch' ? Array.from({ length: 64 }, () => Buffer.from(template)) : [];
  const start = performance.now();
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < TOTAL / BATCH; i++) {
    const p = kind === 'records' ? log.append(records) : log.appendBatch(batches[i % batches.length]!);
    if (!durable) {
      await p;
      continue;
    }
    // Durable appends resolve at the next group fsync: keep a window of them in flight.
    pending.add(p);
    void p.then(() => pending.delete(p));
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  }
  await Promise.all(pending);
  // As the baseline: a final fdatasync for the durable rows only.
  if (durable) await log.sync();
  const seconds = (performance.now() - start) / 1000;
  await log.close();
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

async function readRun(): Promise<number> {
  const dir = tmp();
  const log = await openLog(dir, { retentionMs: -1 });
  for (let i = 0; i < TOTAL / BATCH; i++) await log.append(records);
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
  return seconds;
}

// Warm-up, not measured: the first run of a process writes into page-cache pages the machine
// has to provide fresh (on this VM, 0.3-0.5 GB/s instead of 2-4 GB/s for pages freed by an
// earlier run), so whichever run came first would be penalised. Every run deletes its files,
// so each measured run reuses the pages of the one before.
rawWrite(false);

const variant = process.argv[2] ?? 'all';
const rows: BenchRow[] = [];
const want = (v: string) => variant === 'all' || variant === v;

if (want('none')) {
  const base = rawWrite(false);
  rows.push(rateRow('baseline: fs.writeSync, no sync', base));
  const rec = await appendRun('records', false);
  rows.push(rateRow('append(records) flush=none', rec, { baseline: 'fs.writeSync', ratio: base / rec, target: '>= 3 M rec/s' }));
  const bat = await appendRun('batch', false);
  rows.push(rateRow('appendBatch(bytes) flush=none', bat, { baseline: 'fs.writeSync', ratio: base / bat }));
}
if (want('durable')) {
  const base = rawWrite(true);
  rows.push(rateRow(`baseline: fs.writeSync + fdatasync/${INTERVAL_MS}ms`, base));
  const rec = await appendRun('records', true);
  rows.push(rateRow(`append(records) group commit ${INTERVAL_MS}ms`, rec, { baseline: 'durable fs.writeSync', ratio: base / rec }));
  const bat = await appendRun('batch', true);
  rows.push(rateRow(`appendBatch(bytes) group commit ${INTERVAL_MS}ms`, bat, { baseline: 'durable fs.writeSync', ratio: base / bat, target: '>= 0.8 of baseline' }));
}
if (want('read')) {
  rows.push(rateRow('sequential read(offset) records', await readRun(), { target: '>= 5 M rec/s' }));
}
emitRows(rows);
