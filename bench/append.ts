/**
 * Embedded append and sequential read throughput, 100-byte records in batches of 1,000, each
 * beside its baseline measured in the same process: fs.writeSync of the same bytes in the same
 * chunk sizes (and fdatasync at the same interval for the durable rows).
 *
 * Usage: tsx bench/append.ts <variant>   (variants below; bench/run.ts runs each in a fresh process)
 */
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
const IN_FLIGHT = 64;

const value = Buffer.alloc(RECORD_BYTES, 'x');
const records: RecordInput[] = Array.from({ length: BATCH }, () => ({ value }));
const template = encodeBatch(records);
const batchBytes = template.length;
const totalBytes = (TOTAL / BATCH) * batchBytes;

function tmp(): string {
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
  const batches = kind === 'batch' ? Array.from({ length: IN_FLIGHT }, () => Buffer.from(template)) : [];
  const start = performance.now();
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < TOTAL / BATCH; i++) {
    const p = kind === 'records' ? log.append(records) : log.appendBatch(batches[i % IN_FLIGHT]!);
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
  await log.sync();
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
