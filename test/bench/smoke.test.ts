/**
 * CI smoke run of the benchmark suite: `npm run bench -- --smoke` (a few seconds per benchmark,
 * no peers) must complete and write its JSON with rows and its HTML report. Speed is reported by
 * the suite, never asserted here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'strand-bench-smoke-'));
/** Runs per append measurement: two, so that every row is a median with a spread. */
const RUNS = 2;
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('npm run bench --smoke completes and writes results with rows', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], {
    cwd: ROOT,
    env: { ...process.env, STRAND_BENCH_SCALE: '0.02', STRAND_BENCH_PEERS: '0', STRAND_BENCH_OUT: out, STRAND_BENCH_RUNS: String(RUNS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, stderr.slice(-4000)).toBe(0);
  expect(stdout).toMatch(/\| benchmark/);
  const files = readdirSync(out);
  const json = files.find((f) => f.endsWith('.json'));
  expect(json, files.join(', ')).toBeDefined();
  const results = JSON.parse(readFileSync(join(out, json!), 'utf8')) as {
    scale: number;
    rows: Array<{ name: string; value: number; id?: string; runs?: number[]; baseline?: string; ratio?: number; note?: string; stored?: number; cpuPerMRec?: number; cpuPerGB?: number;
      rateAsked?: number; latency?: { p50Ms: number; p99Ms: number }; e2eLatency?: { p50Ms: number; p99Ms: number } }>;
  };
  expect(results.scale).toBe(0.02);
  expect(results.rows.length).toBeGreaterThan(5);
  for (const id of ['sink-produce', 'produce-1', 'produce-all', 'consume', 'latency-half-peak']) {
    expect(results.rows.find((r) => r.id === id), id).toBeDefined();
  }
  // The cluster's failover row: 30 batches of 300 records sent across a SIGKILL of a leader, each
  // stored exactly once (checked on the brokers before the row is written), with a stall measured.
  const failover = results.rows.find((r) => r.id === 'cluster-failover');
  expect(failover, 'cluster-failover').toBeDefined();
  expect(failover!.stored).toBe(9000);
  expect(failover!.value).toBeGreaterThan(0);
  // The broker's own ceiling (pre-batched load): each row counted on the broker (log end offsets)
  // before it was reported, and priced in the broker process's CPU-seconds per million records.
  // 6 M records at scale 0.02: 120,000.
  for (const id of ['produce-1', 'produce-all', 'consume']) {
    const row = results.rows.find((r) => r.id === id)!;
    expect(row.name, id).toMatch(/^ceiling: strand perf/);
    expect(row.stored, id).toBe(120_000);
    expect(row.runs, id).toHaveLength(1);
    expect(row.cpuPerMRec, id).toBeGreaterThan(0);
    expect(row.cpuPerGB, id).toBeCloseTo(row.cpuPerMRec! * 10, 6);
  }
  // The durable appends of both group-commit cadences, each beside its baseline of the same run:
  // a pwrite thread and an fdatasync thread (bench/durable-baseline.ts) that did sync, and the
  // same appends into small segments that roll.
  for (const cadence of ['always', '5ms']) {
    const base = results.rows.find((r) => r.id === `append-durable-baseline-${cadence}`);
    expect(base, cadence).toBeDefined();
    expect(base!.runs).toHaveLength(RUNS);
    expect(Number(/(\d+) fdatasyncs per run/.exec(base!.note ?? '')?.[1]), base!.note).toBeGreaterThan(0);
    for (const id of [`append-durable-${cadence}`, `appendBatch-durable-${cadence}`]) {
      const row = results.rows.find((r) => r.id === id);
      expect(row, id).toBeDefined();
      expect(row!.runs).toHaveLength(RUNS);
      expect(row!.baseline).toBe(base!.name);
      expect(row!.ratio).toBe(row!.value / base!.value);
    }
    // 60 batches at this scale into segments of 6: ten segments, nine rolls in every run.
    const rolling = results.rows.find((r) => r.id === `appendBatch-durable-rolling-${cadence}`);
    expect(rolling?.note, cadence).toMatch(/; 9 rolls per run/);
    expect(rolling!.ratio).toBe(rolling!.value / base!.value);
  }
  // Latency against rate: each fixed rate in its own fresh broker, a consumer long-polling, every
  // record counted on the broker; 0.5 s of records per rate at this scale (20,000 at least).
  for (const rate of [100_000, 500_000, 1_000_000, 2_000_000]) {
    const row = results.rows.find((r) => r.id === `curve-${rate}`);
    expect(row, String(rate)).toBeDefined();
    expect(row!.rateAsked).toBe(rate);
    expect(row!.stored).toBe(Math.max(20_000, rate / 2));
    expect(row!.latency!.p99Ms).toBeGreaterThan(0);
    expect(row!.e2eLatency!.p99Ms).toBeGreaterThanOrEqual(row!.e2eLatency!.p50Ms);
  }
  // Replication's cost, beside a single broker's acks=all of the same run (bench/cluster.ts).
  const single = results.rows.find((r) => r.id === 'single-acks-all');
  const replicated = results.rows.find((r) => r.id === 'cluster-acks-all');
  expect(single?.value, stderr.slice(-2000)).toBeGreaterThan(0);
  expect(replicated?.value, stderr.slice(-2000)).toBeGreaterThan(0);
  expect(replicated!.ratio).toBe(replicated!.value / single!.value);
  expect(replicated!.note).toMatch(/broker CPU-s per million records/);
  const html = readFileSync(join(out, json!.replace(/\.json$/, '.html')), 'utf8');
  expect(html).toContain('<svg');
  // Every benchmark in a fresh process, the append ones twice each: about a minute alone, and up
  // to six on a machine whose two cores other test runs share (load average 17 measured).
}, 420_000);
