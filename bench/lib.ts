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
  /** The value of each run when the row is the median of several (see `median`, `spreadText`). */
  runs?: number[];
  /** Target from the issue, for the reader (never asserted). */
  target?: string;
  /** Stable key other rows refer to (`compareTo`, `peerOf`). */
  id?: string;
  /** Section of the table and the report: micro, broker, baseline, peers. */
  group?: string;
  /** run.ts sets ratio = value / value of the row with this id (rows measured in other processes). */
  compareTo?: string;
  /** A peer's row: run.ts sets ratio = value of the strand row with this id / this value. */
  peerOf?: string;
  /** Latency summary (ms) where the row measured one. */
  latency?: { avgMs: number; p50Ms: number; p95Ms: number; p99Ms: number; p999Ms: number; maxMs: number };
  /** End-to-end (produce to consume) latency where the row measured it beside `latency` (publish). */
  e2eLatency?: { avgMs: number; p50Ms: number; p95Ms: number; p99Ms: number; p999Ms: number; maxMs: number };
  /** Records/s asked of a paced row (latency against rate). */
  rateAsked?: number;
  /** [percentile, ms] points of the latency distribution, for the report's curves. */
  latencyCurve?: Array<[number, number]>;
  /** Why a row has no figure (a peer that could not be installed), or a caveat. */
  note?: string;
  /** Configuration of the server measured (written into the report). */
  config?: string;
  /** CPU seconds (user + system) the server process spent during the measurement. */
  serverCpuSeconds?: number;
  /** The machine's 1-minute load average when the row's benchmark ended (others' work shows here). */
  loadAvg?: number;
  /** The server's CPU-seconds per million records and per GB of record payload (see `withCost`). */
  cpuPerMRec?: number;
  cpuPerGB?: number;
  /** Records the server held after the run (log end offsets, XLEN, stream info): checked against what was sent. */
  stored?: number;
}

/**
 * A row's server cost, from the CPU-seconds its server process spent (read from /proc, the server
 * alone: the load generator's CPU is not in it), so efficiency compares where cores differ.
 */
export function withCost<T extends BenchRow>(row: T, cpuSeconds: number, records: number, payloadBytes: number): T {
  return { ...row, serverCpuSeconds: cpuSeconds, cpuPerMRec: cpuSeconds / (records / 1e6), cpuPerGB: cpuSeconds / (payloadBytes / 1e9) };
}

/** Fail a row whose server does not hold what was sent (a count, not a guess: every row checks it). */
export function checkStored(what: string, stored: number, expected: number): number {
  if (stored !== expected) throw new Error(`${what} holds ${stored} records after the run, expected ${expected}`);
  return stored;
}

/**
 * Several runs of one measurement (each with a fresh server) as one row: the median value with
 * every run's value in `runs` (min and max shown beside it), and the latency, CPU cost and note of
 * the run whose value is the median (the lower middle one for an even count).
 */
export function medianRow(runs: readonly BenchRow[]): BenchRow {
  if (runs.length === 0) throw new Error('medianRow of no runs');
  const sorted = [...runs].sort((a, b) => a.value - b.value);
  const middle = sorted[(sorted.length - 1) >> 1]!;
  const mid = (f: (r: BenchRow) => number | undefined) => {
    const v = runs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return v.length === 0 ? undefined : median(v);
  };
  return {
    ...middle,
    value: median(runs.map((r) => r.value)),
    mbPerSec: mid((r) => r.mbPerSec),
    runs: runs.map((r) => r.value),
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    serverCpuSeconds: mid((r) => r.serverCpuSeconds),
    cpuPerMRec: mid((r) => r.cpuPerMRec),
    cpuPerGB: mid((r) => r.cpuPerGB),
  };
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * Start a new peak-RSS window: on Linux, writing 5 to /proc/self/clear_refs resets the peak
 * (VmHWM, which `peakRssMiB` reads through getrusage) to the current RSS, so a row measured after
 * others in the same process reports its own peak. Elsewhere the peak stays the process's.
 */
export function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Not Linux, or not allowed: peaks stay cumulative.
  }
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A median row's spread: its number of runs, min and max, e.g. "n=5, 1.52 M–1.81 M". */
export function spreadText(r: BenchRow): string {
  if (r.runs === undefined || r.runs.length < 2 || !(r.value > 0)) return '';
  return `n=${r.runs.length}, ${fmt(Math.min(...r.runs))}–${fmt(Math.max(...r.runs))}`;
}

export function fmt(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(2);
}

export function printTable(rows: BenchRow[]): void {
  console.log(formatTable(rows));
}

/** The summary table as Markdown (also what the README publishes). */
export function formatTable(rows: BenchRow[]): string {
  const header = ['benchmark', 'median', 'min–max', 'MB/s', 'p99', 'ratio', 'vs', 'server CPU-s/M rec', 'CPU-s/GB', 'peak RSS', 'target'];
  const lines = rows.map((r) => [
    r.name,
    r.note !== undefined && !(r.value > 0) ? 'skipped' : `${fmt(r.value)}${r.unit}`,
    spreadText(r),
    r.mbPerSec === undefined ? '' : r.mbPerSec.toFixed(0),
    r.latency === undefined ? '' : `${r.latency.p99Ms.toFixed(2)} ms`,
    r.ratio === undefined || !Number.isFinite(r.ratio) ? '' : r.ratio.toFixed(2),
    r.note !== undefined && !(r.value > 0) ? r.note : r.baseline ?? '',
    r.cpuPerMRec === undefined ? '' : r.cpuPerMRec.toFixed(2),
    r.cpuPerGB === undefined ? '' : r.cpuPerGB.toFixed(1),
    Number.isFinite(r.peakRssMiB) && r.peakRssMiB > 0 ? `${r.peakRssMiB.toFixed(0)} MiB` : '',
    r.target ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [row(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(row)].join('\n');
}

/** Child benchmarks print their rows as one JSON line prefixed with this marker. */
export const ROWS_MARKER = '@@strand-bench-rows ';

export function emitRows(rows: BenchRow[]): void {
  process.stdout.write(ROWS_MARKER + JSON.stringify(rows) + '\n');
}

/** Where results go: bench/results/, or STRAND_BENCH_OUT (tests write to a temporary directory). */
export function resultsDir(): string {
  return process.env.STRAND_BENCH_OUT ?? new URL('./results/', import.meta.url).pathname;
}

export function writeResults(rows: BenchRow[], meta: Record<string, unknown>): string {
  const dir = resultsDir().replace(/\/?$/, '/');
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ ...meta, rows }, null, 2));
  return file;
}

/**
 * Scale for smoke runs (CI): STRAND_BENCH_SCALE=0.02 (or `npm run bench -- --smoke`) runs each
 * benchmark for a few seconds at most.
 */
export const SCALE = Number(process.env.STRAND_BENCH_SCALE ?? (process.argv.includes('--smoke') ? '0.02' : '1'));
