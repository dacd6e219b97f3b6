/** Shared helpers of the benchmarks: result rows, the table, and the JSON they write. */
import { mkdirSync, writeFileSync } from 'node:fs';

export interface BenchRow {
  /** What was measured, e.g. "append(records) flush=none". */
  name: string;
  /** Main figure and its unit, e.g. 3.1e6 "records/s". */
  value: number;
  unit: string;
  /** Secondary throughput in MB/s where it applies. */
  mbPerSec?: number;
  /** The row this one is compared with, by name, and the ratio value/baseline. */
  baseline?: string;
  ratio?: number;
  /** Peak resident set size of the process that measured it, MiB. */
  peakRssMiB: number;
  /** Target from the issue, for the reader (never asserted). */
  target?: string;
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export function fmt(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(2);
}

export function printTable(rows: BenchRow[]): void {
  const header = ['benchmark', 'value', 'MB/s', 'ratio', 'vs', 'peak RSS', 'target'];
  const lines = rows.map((r) => [
    r.name,
    `${fmt(r.value)}${r.unit}`,
    r.mbPerSec === undefined ? '' : r.mbPerSec.toFixed(0),
    r.ratio === undefined ? '' : r.ratio.toFixed(2),
    r.baseline ?? '',
    `${r.peakRssMiB.toFixed(0)} MiB`,
    r.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(row(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const l of lines) console.log(row(l));
}

/** Child benchmarks print their rows as one JSON line prefixed with this marker. */
export const ROWS_MARKER = '@@strand-bench-rows ';

export function emitRows(rows: BenchRow[]): void {
  process.stdout.write(ROWS_MARKER + JSON.stringify(rows) + '\n');
}

export function writeResults(rows: BenchRow[], meta: Record<string, unknown>): string {
  const dir = new URL('./results/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ ...meta, rows }, null, 2));
  return file;
}

/** Scale for smoke runs (CI): STRAND_BENCH_SCALE=0.05 runs each benchmark for a few seconds at most. */
export const SCALE = Number(process.env.STRAND_BENCH_SCALE ?? '1');
