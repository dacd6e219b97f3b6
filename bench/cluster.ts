/**
 * Replication's cost: three brokers on this machine (each its own process, one etcd for their
 * metadata), a topic with replication factor 3 and min.insync.replicas=2, produced with
 * acks=all by the `strand perf` load generator; beside it, in the same run, the same load with
 * acks=all against a single broker (replication factor 1). Both keep the default flush policy
 * (no fsync per write), so the difference is replication alone.
 *
 * On this 2-core machine the three brokers, etcd and the load generator share two cores: the
 * figure that travels to bigger machines is the CPU-seconds per million records (the three
 * brokers' together), reported with each row.
 *
 * Each row is the median of REPEATS runs (fresh servers each), with every run's figure.
 *
 * Usage: tsx bench/cluster.ts replicated   (bench/run.ts runs it in a fresh process)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perfProduce, type PerfProduceOptions, type PerfProduceReport } from '../src/perf/index.js';
import { type BenchRow, SCALE, emitRows, median } from './lib.js';
import { startEtcd } from './peers/etcd.js';
import { BATCH, CONNECTIONS, IN_FLIGHT, PARTITIONS, RECORD_SIZE, RECORDS } from './peers/params.js';
import { freePort, type Server } from './peers/procs.js';
import { startStrand } from './peers/strand.js';

const REPEATS = Math.max(1, Number(process.env.STRAND_BENCH_REPEATS ?? (SCALE < 1 ? '1' : '5')));
const BROKERS = 3;

const load = (bootstrap: string, extra: Partial<PerfProduceOptions>): PerfProduceOptions => ({
  bootstrap, topic: 'perf', numRecords: RECORDS, recordSize: RECORD_SIZE, batchSize: BATCH, partitions: Math.max(PARTITIONS, BROKERS),
  connections: CONNECTIONS, maxInFlight: IN_FLIGHT, acks: -1, timeoutMs: 120_000, ...extra,
});

interface Run {
  result: PerfProduceReport;
  cpuSeconds: number;
  peakRssMiB: number;
}

async function single(): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-single-'));
  const broker = await startStrand(dir);
  try {
    const cpu = broker.cpuSeconds();
    const result = await perfProduce(load(broker.address, { replicationFactor: 1 }));
    return { result, cpuSeconds: broker.cpuSeconds() - cpu, peakRssMiB: broker.peakRssMiB() };
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function replicated(): Promise<Run> {
  const etcd = await startEtcd();
  const dirs: string[] = [];
  const brokers: Server[] = [];
  try {
    for (let id = 1; id <= BROKERS; id++) {
      const dir = mkdtempSync(join(tmpdir(), `strand-bench-cluster-${id}-`));
      dirs.push(dir);
      const port = await freePort();
      brokers.push(await startStrand(dir, {
        'cluster.etcd': `etcd://${etcd.address}`, 'cluster.id': 'bench', 'node.id': String(id),
        'listeners': `PLAINTEXT://127.0.0.1:${port}`,
      }));
    }
    const cpu = brokers.map((b) => b.cpuSeconds());
    const result = await perfProduce(load(brokers.map((b) => b.address).join(','), { replicationFactor: BROKERS, topicConfigs: { 'min.insync.replicas': '2' } }));
    const cpuSeconds = brokers.reduce((n, b, i) => n + b.cpuSeconds() - cpu[i]!, 0);
    return { result, cpuSeconds, peakRssMiB: Math.max(...brokers.map((b) => b.peakRssMiB())) };
  } finally {
    await Promise.all(brokers.map((b) => b.stop()));
    await etcd.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

function row(id: string, name: string, runs: Run[], extra: Partial<BenchRow>): BenchRow {
  const values = runs.map((r) => r.result.recordsPerSec);
  const mid = median(values);
  // The run whose throughput is the median (the upper middle for an even count) gives latency and CPU.
  const chosen = runs[values.indexOf([...values].sort((a, b) => a - b)[runs.length >> 1]!)]!;
  const cpuPerMillion = chosen.cpuSeconds / (chosen.result.records / 1e6);
  return {
    id, group: 'cluster', name, value: mid, unit: ' rec/s', runs: values, mbPerSec: chosen.result.mbPerSec,
    latency: chosen.result.latency, latencyCurve: chosen.result.latencyCurve, serverCpuSeconds: chosen.cpuSeconds,
    peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)),
    note: `median of ${runs.length} (${values.map((v) => `${(v / 1e6).toFixed(2)}M`).join(', ')}); p99 ${chosen.result.latency.p99Ms} ms; ${cpuPerMillion.toFixed(2)} broker CPU-s per million records`,
    ...extra,
  };
}

const variant = process.argv[2];
if (variant !== 'replicated') throw new Error(`unknown variant ${variant}; one of: replicated`);
const singles: Run[] = [];
const clusters: Run[] = [];
// Interleaved, so a slow patch of the machine touches both rows alike.
for (let i = 0; i < REPEATS; i++) {
  singles.push(await single());
  clusters.push(await replicated());
}
emitRows([
  row('single-acks-all', 'single broker, produce acks=all (replication factor 1, no fsync per write)', singles, {}),
  row('cluster-acks-all', `${BROKERS} brokers on this machine, replication factor 3, min.insync.replicas=2, produce acks=all`, clusters, {
    compareTo: 'single-acks-all', baseline: '÷ single broker acks=all', target: '>= 1 M rec/s and >= 0.3',
  }),
]);
