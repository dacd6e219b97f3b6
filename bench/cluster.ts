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
 * The failover row: an idempotent acks=all kafkajs producer sends numbered batches one after
 * another to the three brokers while the leader of partition 0 is SIGKILLed; the row is the
 * longest wait for an acknowledgement (the stall), against the target of the session timeout
 * plus 1 s, and every batch sent must be stored exactly once (log end offsets).
 *
 * Usage: tsx bench/cluster.ts replicated|failover   (bench/run.ts runs it in a fresh process)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTarget, partitionOffsets } from '../src/perf/cluster.js';
import { perfProduce, type PerfProduceOptions, type PerfProduceReport } from '../src/perf/index.js';
import { type BenchRow, SCALE, checkStored, emitRows, median } from './lib.js';
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

interface Cluster {
  brokers: Server[];
  bootstrap: string;
  stop(): Promise<void>;
}

/** etcd and three brokers with node ids 1..3 (brokers[id - 1]), each in a fresh directory. */
async function startCluster(config: Record<string, string> = {}): Promise<Cluster> {
  const etcd = await startEtcd();
  const dirs: string[] = [];
  const brokers: Server[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(brokers.map((b) => b.stop()));
    await etcd.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  try {
    for (let id = 1; id <= BROKERS; id++) {
      const dir = mkdtempSync(join(tmpdir(), `strand-bench-cluster-${id}-`));
      dirs.push(dir);
      const port = await freePort();
      brokers.push(await startStrand(dir, {
        'cluster.etcd': `etcd://${etcd.address}`, 'cluster.id': 'bench', 'node.id': String(id),
        'listeners': `PLAINTEXT://127.0.0.1:${port}`, ...config,
      }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { brokers, bootstrap: brokers.map((b) => b.address).join(','), stop };
}

async function replicated(): Promise<Run> {
  const cluster = await startCluster();
  try {
    const { brokers } = cluster;
    const cpu = brokers.map((b) => b.cpuSeconds());
    const result = await perfProduce(load(cluster.bootstrap, { replicationFactor: BROKERS, topicConfigs: { 'min.insync.replicas': '2' } }));
    const cpuSeconds = brokers.reduce((n, b, i) => n + b.cpuSeconds() - cpu[i]!, 0);
    return { result, cpuSeconds, peakRssMiB: Math.max(...brokers.map((b) => b.peakRssMiB())) };
  } finally {
    await cluster.stop();
  }
}

/** Kafka's broker.session.timeout.ms; a scaled-down run (the smoke run) uses a shorter one to stay short. */
const SESSION_MS = SCALE >= 0.1 ? 9000 : 3000;
const FAILOVER_BATCH = 300;

interface FailoverRun {
  stallMs: number;
  batches: number;
  stored: number;
  peakRssMiB: number;
}

/**
 * One failover: batches of FAILOVER_BATCH records over three partitions, sent one at a time with
 * acks=all by an idempotent kafkajs producer (retrying every 100 ms to 1 s, as a client tuned for
 * failover does); the leader of partition 0 is SIGKILLed once a third of the run's batches are
 * acknowledged. Returns the longest send-to-acknowledgement time and what the brokers stored.
 */
async function failover(): Promise<FailoverRun> {
  const cluster = await startCluster({ 'broker.session.timeout.ms': String(SESSION_MS) });
  const kafka = new Kafka({ clientId: 'bench-failover', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 60, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'failover', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
    const leader = (await admin.fetchTopicMetadata({ topics: ['failover'] })).topics[0]!.partitions.find((p) => p.partitionId === 0)!.leader;
    await producer.connect();
    const batches = Math.max(30, Math.round(RECORDS / 20 / FAILOVER_BATCH));
    const value = Buffer.alloc(RECORD_SIZE, 'x');
    let stallMs = 0;
    for (let i = 0; i < batches; i++) {
      if (i === Math.floor(batches / 3)) await cluster.brokers[leader - 1]!.stop('SIGKILL');
      const t0 = performance.now();
      await producer.send({ topic: 'failover', acks: -1, messages: Array.from({ length: FAILOVER_BATCH }, (_, j) => ({ partition: j % 3, value })) });
      stallMs = Math.max(stallMs, performance.now() - t0);
    }
    const survivors = cluster.brokers.filter((_, i) => i !== leader - 1).map((b) => b.address).join(',');
    const target = await openTarget({ bootstrap: survivors, topic: 'failover', create: false });
    let stored = 0;
    try {
      for (const o of (await partitionOffsets(target)).values()) stored += o.end - o.start;
    } finally {
      await target.client.close();
    }
    const peak = Math.max(...cluster.brokers.map((b) => b.peakRssMiB()).filter((v) => !Number.isNaN(v)));
    return { stallMs, batches, stored: checkStored('failover', stored, batches * FAILOVER_BATCH), peakRssMiB: peak };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await cluster.stop();
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
if (variant === 'failover') {
  const runs: FailoverRun[] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await failover());
  const stalls = runs.map((r) => r.stallMs);
  emitRows([{
    id: 'cluster-failover', group: 'cluster', name: `${BROKERS} brokers, the leader of a partition SIGKILLed under an idempotent acks=all kafkajs producer: longest wait for an acknowledgement (broker.session.timeout.ms=${SESSION_MS})`,
    value: median(stalls), unit: ' ms', runs: stalls, stored: runs[0]!.stored, peakRssMiB: Math.max(...runs.map((r) => r.peakRssMiB)), target: `<= ${SESSION_MS + 1000} ms (session timeout + 1 s)`,
    note: `median of ${runs.length} (${stalls.map((v) => `${Math.round(v)} ms`).join(', ')}); ${runs[0]!.batches} batches of ${FAILOVER_BATCH} records sent one at a time, each stored exactly once`,
  }]);
} else {
  if (variant !== 'replicated') throw new Error(`unknown variant ${variant}; one of: replicated, failover`);
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
}
