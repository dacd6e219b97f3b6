/**
 * `strand perf`: the load generator behind the CLI command and the benchmark suite, the
 * counterpart of kafka-producer-perf-test, kafka-consumer-perf-test and Kafka's end-to-end latency
 * tool. Standard Kafka APIs only (Metadata, CreateTopics, ListOffsets, Produce, Fetch), so it
 * measures any Kafka broker, not just strand.
 *
 *   perfProduce  prebuilt batches, pipelined over several connections; records/s, MB/s, latency
 *   perfConsume  fetch loop from the earliest (or given) offsets; records/s, MB/s, fetch latency
 *   perfE2e      produce at a rate while a consumer long-polls; produce-to-consume latency
 */
import type { CompressionName } from '../format/batch-header.js';
import { readStamp } from './batches.js';
import { openTarget, partitionOffsets, type Target } from './cluster.js';
import { runConsumer, type ConsumeResult } from './consume.js';
import { LatencyRecorder, type LatencyCurve, type LatencySummary } from './histogram.js';
import { runProducer, type Acks, type ProduceResult, type ProducerSettings } from './produce.js';
import { PerfError } from './wire.js';

export { COMPRESSIONS, STAMP_BYTES } from './batches.js';
export type { LatencyCurve, LatencySummary } from './histogram.js';
export type { Acks, ConsumeResult, ProduceResult, ProducerSettings };
export { PerfError };

export interface PerfCommon {
  bootstrap: string;
  topic: string;
  /** Partitions for a topic this run creates (the broker's default when omitted). */
  partitions?: number;
  replicationFactor?: number;
  /** Configs for a topic this run creates. */
  topicConfigs?: Readonly<Record<string, string>>;
  /** Connections per leader broker. Default 2. */
  connections?: number;
  /** Request and no-progress timeout, ms. Default 30 s. */
  timeoutMs?: number;
  /** Called with the records done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Called once the total is known (consume without numRecords learns it from the broker). */
  onStart?: (total: number) => void;
}

export interface PerfProduceOptions extends PerfCommon {
  numRecords: number;
  recordSize?: number;
  throughput?: number;
  acks?: Acks;
  batchSize?: number;
  lingerMs?: number;
  compression?: CompressionName;
  /** Requests in flight per connection. Default 5. */
  maxInFlight?: number;
  seed?: number;
}

export interface PerfConsumeOptions extends PerfCommon {
  /** Records to read; default everything in the topic when the run starts. */
  numRecords?: number;
  /** Where to start: earliest (default) or latest offsets. */
  from?: 'earliest' | 'latest';
  fetchSize?: number;
  fetchMaxBytes?: number;
  maxWaitMs?: number;
  checkCrcs?: boolean;
}

export type PerfE2eOptions = PerfProduceOptions & Pick<PerfConsumeOptions, 'fetchSize' | 'fetchMaxBytes' | 'maxWaitMs'>;

export interface PerfSettingsEcho {
  bootstrap: string;
  topic: string;
  partitions: number;
  leaders: number;
  connections: number;
  [key: string]: unknown;
}

export interface PerfProduceReport extends ProduceResult {
  mode: 'produce';
  settings: PerfSettingsEcho;
}

export interface PerfConsumeReport extends ConsumeResult {
  mode: 'consume';
  settings: PerfSettingsEcho;
}

export interface PerfE2eReport {
  mode: 'e2e';
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Produce-to-consume latency per record (from the moment it was due to its arrival in a fetch). */
  latency: LatencySummary;
  latencyCurve: LatencyCurve;
  /** Produce acknowledgement latency. */
  produceLatency: LatencySummary;
  settings: PerfSettingsEcho;
}

function echo(target: Target, o: PerfCommon, extra: Record<string, unknown>): PerfSettingsEcho {
  return { bootstrap: o.bootstrap, topic: o.topic, partitions: target.partitions.length, leaders: target.leaders.length, connections: o.connections ?? 2, topicCreated: target.created, ...extra };
}

function producerSettings(o: PerfProduceOptions) {
  return {
    numRecords: o.numRecords,
    recordSize: o.recordSize ?? 100,
    throughput: o.throughput ?? -1,
    acks: o.acks ?? -1,
    batchSize: o.batchSize ?? 1000,
    lingerMs: o.lingerMs ?? 5,
    compression: o.compression ?? 'none',
    connections: o.connections ?? 2,
    maxInFlight: o.maxInFlight ?? 5,
    timeoutMs: o.timeoutMs ?? 30_000,
    seed: o.seed,
  } as const;
}

function target(o: PerfCommon): Promise<Target> {
  return openTarget({ bootstrap: o.bootstrap, topic: o.topic, partitions: o.partitions, replicationFactor: o.replicationFactor, topicConfigs: o.topicConfigs, timeoutMs: o.timeoutMs });
}

export async function perfProduce(o: PerfProduceOptions): Promise<PerfProduceReport> {
  const t = await target(o);
  try {
    const settings = producerSettings(o);
    o.onStart?.(o.numRecords);
    const res = await runProducer(t, { ...settings, onProgress: (n) => o.onProgress?.(n, o.numRecords) });
    const { numRecords: _n, seed: _s, timeoutMs: _t, ...shown } = settings;
    return { mode: 'produce', ...res, settings: echo(t, o, shown) };
  } finally {
    await t.client.close();
  }
}

export async function perfConsume(o: PerfConsumeOptions): Promise<PerfConsumeReport> {
  const t = await target(o);
  try {
    const offsets = await partitionOffsets(t);
    const start = new Map<number, number>();
    let available = 0;
    for (const [p, { start: s, end }] of offsets) {
      const from = o.from === 'latest' ? end : s;
      start.set(p, from);
      available += end - from;
    }
    const total = o.numRecords ?? available;
    o.onStart?.(total);
    const settings = { fetchSize: o.fetchSize ?? 8 << 20, fetchMaxBytes: o.fetchMaxBytes ?? 64 << 20, maxWaitMs: o.maxWaitMs ?? 500, checkCrcs: o.checkCrcs ?? true };
    const res = await runConsumer(t, {
      ...settings, numRecords: total, startOffsets: start, connections: o.connections ?? 2, timeoutMs: o.timeoutMs ?? 30_000,
      onProgress: (n) => o.onProgress?.(n, total),
    });
    return { mode: 'consume', ...res, settings: echo(t, o, { ...settings, from: o.from ?? 'earliest' }) };
  } finally {
    await t.client.close();
  }
}

export async function perfE2e(o: PerfE2eOptions): Promise<PerfE2eReport> {
  const t = await target(o);
  try {
    const settings = producerSettings(o);
    const offsets = await partitionOffsets(t);
    const start = new Map([...offsets].map(([p, r]) => [p, r.end]));
    const e2e = new LatencyRecorder();
    o.onStart?.(o.numRecords);
    const began = performance.now();
    const consumer = runConsumer(t, {
      numRecords: o.numRecords, startOffsets: start, connections: 1, checkCrcs: true,
      fetchSize: o.fetchSize ?? 8 << 20, fetchMaxBytes: o.fetchMaxBytes ?? 64 << 20, maxWaitMs: o.maxWaitMs ?? 100,
      timeoutMs: settings.timeoutMs,
      onProgress: (n) => o.onProgress?.(n, o.numRecords),
      onBatch: (records, pos, size, count, arrived) => {
        const stamp = readStamp(records, pos, size);
        if (stamp !== null) e2e.recordSpread(stamp[0], stamp[1], arrived, count);
      },
    });
    const produced = runProducer(t, { ...settings, stamp: true });
    const [p] = await Promise.all([produced, consumer]);
    const seconds = (performance.now() - began) / 1000;
    const { numRecords: _n, seed: _s, timeoutMs: _t, ...shown } = settings;
    return {
      mode: 'e2e', records: o.numRecords, seconds, recordsPerSec: o.numRecords / seconds, mbPerSec: p.bytes / seconds / 1e6,
      latency: e2e.summary(), latencyCurve: e2e.curve(), produceLatency: p.latency, settings: echo(t, o, shown),
    };
  } finally {
    await t.client.close();
  }
}

/** One line per figure, in the spirit of Kafka's perf tools. */
export function formatReport(r: PerfProduceReport | PerfConsumeReport | PerfE2eReport): string {
  const lat = (name: string, l: LatencySummary) =>
    `${name}: avg ${l.avgMs.toFixed(2)} ms, p50 ${l.p50Ms.toFixed(2)} ms, p95 ${l.p95Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, p99.9 ${l.p999Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms`;
  const head = `${r.records} records in ${r.seconds.toFixed(2)} s: ${r.recordsPerSec.toFixed(1)} records/s, ${r.mbPerSec.toFixed(2)} MB/s`;
  if (r.mode === 'produce') {
    const lines = [`${head} (${r.wireMBPerSec.toFixed(2)} MB/s of record batches, ${r.requests} requests)`];
    lines.push(r.latency.count === 0 ? 'latency: none measured (acks=0)' : lat('latency', r.latency));
    return lines.join('\n');
  }
  if (r.mode === 'consume') return [`${head} of record batches (${r.fetches} fetches)`, lat('fetch latency', r.fetchLatency)].join('\n');
  return [head, lat('end-to-end latency', r.latency), lat('produce latency', r.produceLatency)].join('\n');
}
