/**
 * Runs an OpenMessaging Benchmark workload (./workload.ts) against any Kafka broker with strand's
 * load generator, and reports it in OMB's result shape (io.openmessaging.benchmark.TestResult):
 * publish and consume rates per window, backlog per window, publish latency and end-to-end
 * latency percentiles (ms), aggregated over the run.
 *
 * Per topic: one producer with `producersPerTopic` connections pacing `producerRate / topics`
 * messages/s (records stamped with their due time, so a producer that falls behind sees it in its
 * latency: no coordinated omission), and `subscriptionsPerTopic` consumers, each reading every
 * record of the topic over `consumerPerSubscription` connections (OMB's consumers of one
 * subscription share its partitions; strand's fetch loop spreads them over its connections).
 * With consumerBacklogSizeGB, that much is produced first with no consumer reading, then the
 * consumers start from the earliest offsets while the paced producers go on: the drain time is
 * how long they take to catch up (OMB's backlog drain).
 */
import { readStamp, STAMP_BYTES } from './batches.js';
import { openTarget, partitionOffsets, type Target } from './cluster.js';
import { runConsumer } from './consume.js';
import { LatencyRecorder, type LatencyCurve, type LatencySummary } from './histogram.js';
import { runProducer, type Acks } from './produce.js';
import { PerfError } from './wire.js';
import type { Workload } from './workload.js';

export interface WorkloadRunOptions {
  bootstrap: string;
  /** Topics are `<prefix>-<i>`; default `omb-<time>` so each run gets fresh topics. */
  topicPrefix?: string;
  /** Run this many seconds instead of testDurationMinutes (short runs, tests). */
  durationSeconds?: number;
  acks?: Acks;
  /** Records per batch at most (the producer also sends a batch 5 ms after its first record was due). */
  batchSize?: number;
  topicConfigs?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  /** Seconds per sample of the rate series (OMB: 10). */
  windowSeconds?: number;
}

/** OMB's TestResult fields (rates in messages/s, latencies in ms), plus what strand adds at the end. */
export interface OmbResult {
  workload: string;
  driver: string;
  messageSize: number;
  topics: number;
  partitions: number;
  producersPerTopic: number;
  consumersPerTopic: number;
  publishRate: number[];
  publishErrorRate: number[];
  consumeRate: number[];
  backlog: number[];
  publishLatencyAvg: number[];
  publishLatency50pct: number[];
  publishLatency75pct: number[];
  publishLatency95pct: number[];
  publishLatency99pct: number[];
  publishLatency999pct: number[];
  publishLatency9999pct: number[];
  publishLatencyMax: number[];
  aggregatedPublishLatencyAvg: number;
  aggregatedPublishLatency50pct: number;
  aggregatedPublishLatency75pct: number;
  aggregatedPublishLatency95pct: number;
  aggregatedPublishLatency99pct: number;
  aggregatedPublishLatency999pct: number;
  aggregatedPublishLatency9999pct: number;
  aggregatedPublishLatencyMax: number;
  aggregatedPublishLatencyQuantiles: Record<string, number>;
  endToEndLatencyAvg: number[];
  endToEndLatency50pct: number[];
  endToEndLatency75pct: number[];
  endToEndLatency95pct: number[];
  endToEndLatency99pct: number[];
  endToEndLatency999pct: number[];
  endToEndLatency9999pct: number[];
  endToEndLatencyMax: number[];
  aggregatedEndToEndLatencyAvg: number;
  aggregatedEndToEndLatency50pct: number;
  aggregatedEndToEndLatency75pct: number;
  aggregatedEndToEndLatency95pct: number;
  aggregatedEndToEndLatency99pct: number;
  aggregatedEndToEndLatency999pct: number;
  aggregatedEndToEndLatency9999pct: number;
  aggregatedEndToEndLatencyMax: number;
  aggregatedEndToEndLatencyQuantiles: Record<string, number>;
  /** strand's additions: what was asked and done, in totals. */
  strand: {
    producerRateAsked: number;
    seconds: number;
    published: number;
    consumed: number;
    publishRate: number;
    backlogRecords: number;
    /** Seconds from the consumers' start until they had read everything (backlog workloads). */
    drainSeconds: number | null;
    acks: Acks;
    windowSeconds: number;
  };
}

/**
 * One distribution from several producers' curves: each curve step [p_i, p_i+1] holds
 * count × (p_i+1 − p_i)% records at the step's upper latency. Exact for one topic; for several,
 * as fine as the curves' points (which halve the distance to 100% each step).
 */
function mergeCurves(parts: ReadonlyArray<{ count: number; curve: LatencyCurve }>): LatencyRecorder {
  const out = new LatencyRecorder();
  for (const { count, curve } of parts) {
    for (let i = 1; i < curve.length; i++) {
      const n = Math.round((count * (curve[i]![0] - curve[i - 1]![0])) / 100);
      out.record(curve[i]![1] * 1000, n);
    }
    if (curve.length > 0) out.record(curve[0]![1] * 1000, 1);
  }
  return out;
}

interface Figures { avg: number; p50: number; p75: number; p95: number; p99: number; p999: number; p9999: number; max: number; quantiles: Record<string, number> }

function figures(s: LatencySummary, curve: LatencyCurve): Figures {
  const at = (p: number) => curve.find(([q]) => q === p)?.[1] ?? NaN;
  return {
    avg: s.avgMs, p50: s.p50Ms, p75: at(75), p95: s.p95Ms, p99: s.p99Ms, p999: s.p999Ms, p9999: at(99.99), max: s.maxMs,
    quantiles: Object.fromEntries(curve.map(([p, ms]) => [String(p), ms])),
  };
}

export async function runWorkload(w: Workload, o: WorkloadRunOptions): Promise<OmbResult> {
  if (w.messageSize < STAMP_BYTES) throw new PerfError(`workload ${w.name}: messageSize ${w.messageSize} is below ${STAMP_BYTES} bytes, the send time each batch carries for end-to-end latency`);
  const seconds = o.durationSeconds ?? w.testDurationMinutes * 60;
  if (!(seconds > 0)) throw new PerfError(`workload ${w.name}: a duration of ${seconds} s`);
  const prefix = o.topicPrefix ?? `omb-${Date.now().toString(36)}`;
  const acks = o.acks ?? 1;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const perTopicRate = w.producerRate / w.topics;
  const paced = Math.max(1, Math.round(perTopicRate * seconds));
  const backlog = Math.round((w.consumerBacklogSizeGB * 1e9) / w.messageSize / w.topics);
  const windowSeconds = o.windowSeconds ?? (seconds >= 60 ? 10 : 1);
  const producer = {
    recordSize: w.messageSize, acks, batchSize: o.batchSize ?? 1000, lingerMs: 5, compression: 'none' as const,
    connections: w.producersPerTopic, maxInFlight: 5, timeoutMs, stamp: true,
  };

  const targets: Target[] = [];
  try {
    for (let i = 0; i < w.topics; i++) {
      targets.push(await openTarget({ bootstrap: o.bootstrap, topic: `${prefix}-${i}`, partitions: w.partitionsPerTopic, topicConfigs: o.topicConfigs, timeoutMs }));
    }
    if (backlog > 0) {
      // The backlog, as fast as the producers go, with nobody reading.
      await Promise.all(targets.map((t) => runProducer(t, { ...producer, numRecords: backlog, throughput: -1 })));
    }
    const starts = await Promise.all(targets.map(async (t) => new Map([...await partitionOffsets(t)].map(([p, r]) => [p, backlog > 0 ? r.start : r.end]))));

    // Rate series: counters sampled every window.
    const published = new Array<number>(w.topics).fill(0);
    const consumed = new Array<number>(w.topics * w.subscriptionsPerTopic).fill(0);
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const series = { publish: [] as number[], consume: [] as number[], backlog: [] as number[] };
    let last = { p: 0, c: 0 };
    const sample = () => {
      const p = sum(published);
      const c = sum(consumed);
      series.publish.push((p - last.p) / windowSeconds);
      series.consume.push((c - last.c) / windowSeconds);
      series.backlog.push(backlog * w.topics * w.subscriptionsPerTopic + p * w.subscriptionsPerTopic - c);
      last = { p, c };
    };
    const timer = setInterval(sample, windowSeconds * 1000);

    const e2e = new LatencyRecorder();
    const began = performance.now();
    let drainedAt: number | null = null;
    const consumers = targets.flatMap((t, i) => Array.from({ length: w.subscriptionsPerTopic }, (_, s) => runConsumer(t, {
      numRecords: backlog + paced, startOffsets: starts[i]!, fetchSize: 8 << 20, fetchMaxBytes: 64 << 20, maxWaitMs: 100,
      connections: w.consumerPerSubscription, checkCrcs: true, timeoutMs,
      onProgress: (n) => {
        consumed[i * w.subscriptionsPerTopic + s] = n;
        if (drainedAt === null && backlog > 0 && n >= backlog) drainedAt = performance.now();
      },
      onBatch: (records, pos, size, count, arrived) => {
        const stamp = readStamp(records, pos, size);
        if (stamp !== null) e2e.recordSpread(stamp[0], stamp[1], arrived, count);
      },
    })));
    const producers = targets.map((t, i) => runProducer(t, { ...producer, numRecords: paced, throughput: perTopicRate, onProgress: (n) => (published[i] = n) }));
    let results;
    try {
      [results] = await Promise.all([Promise.all(producers), Promise.all(consumers)]);
    } finally {
      clearInterval(timer);
    }
    const elapsed = (performance.now() - began) / 1000;
    if (series.publish.length === 0) sample();

    const pub = mergeCurves(results.map((r) => ({ count: r.latency.count, curve: r.latencyCurve })));
    const P = figures(pub.summary(), pub.curve());
    const E = figures(e2e.summary(), e2e.curve());
    const total = paced * w.topics;
    return {
      workload: w.name, driver: 'strand perf (Kafka protocol)', messageSize: w.messageSize, topics: w.topics, partitions: w.partitionsPerTopic,
      producersPerTopic: w.producersPerTopic, consumersPerTopic: w.subscriptionsPerTopic * w.consumerPerSubscription,
      publishRate: series.publish, publishErrorRate: series.publish.map(() => 0), consumeRate: series.consume, backlog: series.backlog,
      // Latency per window is not sampled: each series holds the run's aggregate once.
      publishLatencyAvg: [P.avg], publishLatency50pct: [P.p50], publishLatency75pct: [P.p75], publishLatency95pct: [P.p95],
      publishLatency99pct: [P.p99], publishLatency999pct: [P.p999], publishLatency9999pct: [P.p9999], publishLatencyMax: [P.max],
      aggregatedPublishLatencyAvg: P.avg, aggregatedPublishLatency50pct: P.p50, aggregatedPublishLatency75pct: P.p75, aggregatedPublishLatency95pct: P.p95,
      aggregatedPublishLatency99pct: P.p99, aggregatedPublishLatency999pct: P.p999, aggregatedPublishLatency9999pct: P.p9999, aggregatedPublishLatencyMax: P.max,
      aggregatedPublishLatencyQuantiles: P.quantiles,
      endToEndLatencyAvg: [E.avg], endToEndLatency50pct: [E.p50], endToEndLatency75pct: [E.p75], endToEndLatency95pct: [E.p95],
      endToEndLatency99pct: [E.p99], endToEndLatency999pct: [E.p999], endToEndLatency9999pct: [E.p9999], endToEndLatencyMax: [E.max],
      aggregatedEndToEndLatencyAvg: E.avg, aggregatedEndToEndLatency50pct: E.p50, aggregatedEndToEndLatency75pct: E.p75, aggregatedEndToEndLatency95pct: E.p95,
      aggregatedEndToEndLatency99pct: E.p99, aggregatedEndToEndLatency999pct: E.p999, aggregatedEndToEndLatency9999pct: E.p9999, aggregatedEndToEndLatencyMax: E.max,
      aggregatedEndToEndLatencyQuantiles: E.quantiles,
      strand: {
        producerRateAsked: w.producerRate, seconds: elapsed, published: total, consumed: sum(consumed), publishRate: total / elapsed,
        backlogRecords: backlog * w.topics, drainSeconds: drainedAt === null ? null : (drainedAt - began) / 1000, acks, windowSeconds,
      },
    };
  } finally {
    await Promise.all(targets.map((t) => t.client.close()));
  }
}
