/**
 * End-to-end broker benchmarks over real sockets: the broker runs alone in a fresh child process
 * (bench/peers/strand-broker.ts, startBroker with a data directory), driven by the `strand perf`
 * load generator (src/perf) from this process, 100-byte records in batches of 1,000.
 *
 *   sink          baseline: the same load generator against a loopback TCP sink (produce, consume)
 *   produce-1     acks=1, topic flush.ms=1000 (page cache, fsync each second: Redis everysec's level)
 *   produce-all   acks=all, topic flush.messages=1: every produce waits for a (shared) group fsync
 *   consume       fetch everything back (after an untimed fill)
 *   latency PEAK  acks=1 at half of PEAK records/s: the latency percentiles, beside the same paced
 *                 load against the TCP sink (what the generator and the machine give alone)
 *   curve PEAK    latency against rate: acks=1 at 100 k, 500 k, 1 M, 2 M records/s and PEAK / 2,
 *                 a consumer long-polling the whole time (perfE2e): publish and end-to-end
 *                 p50 / p99 / p99.9 at each rate, 10 s per rate at full scale; batches of up
 *                 to 1,000 records sent when full or 1 ms after their first record was due
 *
 * Peak RSS is the broker's (VmHWM of its process), CPU the broker's user+system seconds.
 * STRAND_BENCH_CPU_PROF=<dir> starts the broker with --cpu-prof into that directory.
 *
 * These rows are the broker's own ceiling under pre-batched load (the load generator re-sends
 * prebuilt 1,000-record batches: a few thousand appends per run), not what a client sees; the
 * headline with real clients on every side is bench/peers/clients.ts.
 *
 * Every row is the median of REPEATS runs (5 at full scale, 1 in smoke runs; STRAND_BENCH_REPEATS
 * changes it), each with a fresh server, with min and max; the latency rows take the latency of the
 * run whose throughput is the median. Before a produce row is reported, the broker's log end
 * offsets (ListOffsets) must add up to the records sent.
 *
 * Usage: tsx bench/broker.ts <variant> [args]   (bench/run.ts runs each in a fresh process)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perfConsume, perfE2e, perfProduce, type PerfProduceOptions } from '../src/perf/index.js';
import { partitionOffsets, openTarget } from '../src/perf/cluster.js';
import { type BenchRow, SCALE, checkStored, emitRows, medianRow, withCost } from './lib.js';
import { startStrand } from './peers/strand.js';
import { BATCH, CONNECTIONS, IN_FLIGHT, PARTITIONS, RECORD_SIZE, RECORDS } from './peers/params.js';
import { rssSplitMiB, type Server, startNodeFixture } from './peers/procs.js';

/** Seconds of load at the measured rate before each latency-against-rate run. */
const WARM_UP_SECONDS = 2;

const load = (bootstrap: string, topic: string, extra: Partial<PerfProduceOptions>): PerfProduceOptions => ({
  bootstrap, topic, numRecords: RECORDS, recordSize: RECORD_SIZE, batchSize: BATCH, partitions: PARTITIONS,
  connections: CONNECTIONS, maxInFlight: IN_FLIGHT, acks: 1, timeoutMs: 60_000, ...extra,
});

async function withBroker<T>(fn: (broker: Server) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-broker-'));
  const broker = await startStrand(dir);
  try {
    return await fn(broker);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function server(s: Server, before: number, records: number): Pick<BenchRow, 'peakRssMiB' | 'note' | 'serverCpuSeconds' | 'cpuPerMRec' | 'cpuPerGB'> {
  const split = rssSplitMiB(s.pid);
  const note = split.file > 100 ? `RSS at the end: ${split.anon.toFixed(0)} MiB anonymous + ${split.file.toFixed(0)} MiB mapped log pages (page cache)` : undefined;
  const { serverCpuSeconds, cpuPerMRec, cpuPerGB } = withCost({ name: '', value: 0, unit: '', peakRssMiB: 0 }, s.cpuSeconds() - before, records, records * RECORD_SIZE);
  return { peakRssMiB: s.peakRssMiB(), serverCpuSeconds, cpuPerMRec, cpuPerGB, note };
}

/** The records the broker holds in `topic` (log end minus log start offsets of every partition). */
async function storedIn(b: Server, topic: string, expected: number): Promise<number> {
  const t = await openTarget({ bootstrap: b.address, topic, create: false });
  try {
    const offsets = await partitionOffsets(t);
    return checkStored(`strand topic ${topic} (log end offsets)`, [...offsets.values()].reduce((n, o) => n + o.end - o.start, 0), expected);
  } finally {
    await t.client.close();
  }
}

const REPEATS = Math.max(1, Number(process.env.STRAND_BENCH_REPEATS ?? (SCALE < 1 ? '1' : '5')));

/** Run `measure` REPEATS times (a fresh server each); each row becomes the median of its runs. */
async function repeated(measure: () => Promise<BenchRow[]>): Promise<BenchRow[]> {
  const runs: BenchRow[][] = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await measure());
  // Rows at the same index across runs are the same measurement.
  return runs[0]!.map((_, k) => medianRow(runs.map((r) => r[k]!)));
}

const rows: BenchRow[] = [];
const variant = process.argv[2];

if (variant === 'sink') {
  rows.push(...await repeated(async () => {
  const rows: BenchRow[] = [];
  const sink = await startNodeFixture('./tcp-sink.ts', [String(PARTITIONS)]);
  try {
    const p = await perfProduce(load(sink.address, 'sink', {}));
    rows.push({ id: 'sink-produce', group: 'baseline', name: 'baseline: loopback TCP sink, produce (same load generator)', value: p.recordsPerSec, unit: ' rec/s', mbPerSec: p.mbPerSec, latency: p.latency, latencyCurve: p.latencyCurve, peakRssMiB: sink.peakRssMiB() });
    const c = await perfConsume({ bootstrap: sink.address, topic: 'sink', numRecords: RECORDS, connections: CONNECTIONS, timeoutMs: 60_000 });
    rows.push({ id: 'sink-consume', group: 'baseline', name: 'baseline: loopback TCP sink, consume (same fetch loop)', value: c.recordsPerSec, unit: ' rec/s', mbPerSec: c.mbPerSec, peakRssMiB: sink.peakRssMiB() });
  } finally {
    await sink.stop();
  }
  return rows;
  }));
} else if (variant === 'produce-1' || variant === 'produce-all') {
  const all = variant === 'produce-all';
  rows.push(...await repeated(() => withBroker(async (b) => {
    const cpu = b.cpuSeconds();
    const p = await perfProduce(load(b.address, 'perf', all ? { acks: -1, topicConfigs: { 'flush.messages': '1' } } : { acks: 1, topicConfigs: { 'flush.ms': '1000' } }));
    const cost = server(b, cpu, RECORDS);
    const stored = await storedIn(b, 'perf', RECORDS);
    return [{
      id: variant, group: 'broker',
      name: all ? 'ceiling: strand perf (pre-batched) acks=all, fsync per produce' : 'ceiling: strand perf (pre-batched) acks=1, fsync each 1 s',
      value: p.recordsPerSec, unit: ' rec/s', mbPerSec: p.mbPerSec, latency: p.latency, latencyCurve: p.latencyCurve, stored,
      compareTo: 'sink-produce', baseline: '÷ TCP sink produce', target: all ? '>= 1 M rec/s' : '>= 1.5 M rec/s', ...cost,
    }];
  })));
} else if (variant === 'consume') {
  rows.push(...await repeated(() => withBroker(async (b) => {
    await perfProduce(load(b.address, 'perf', { acks: 1 }));
    const stored = await storedIn(b, 'perf', RECORDS);
    const cpu = b.cpuSeconds();
    const c = await perfConsume({ bootstrap: b.address, topic: 'perf', numRecords: RECORDS, connections: CONNECTIONS, timeoutMs: 60_000 });
    return [{
      id: 'consume', group: 'broker', name: 'ceiling: strand perf consume (fetch from offset 0)', value: c.recordsPerSec, unit: ' rec/s', mbPerSec: c.mbPerSec, stored,
      compareTo: 'sink-consume', baseline: '÷ TCP sink consume', target: '>= 3 M rec/s', ...server(b, cpu, RECORDS),
    }];
  })));
} else if (variant === 'latency') {
  const peak = Number(process.argv[3]);
  if (!(peak > 0)) throw new Error('usage: broker.ts latency <peak records/s>');
  const rate = Math.round(peak / 2);
  const seconds = Math.max(1, 10 * SCALE);
  const paced = { acks: 1 as const, throughput: rate, lingerMs: 5, numRecords: Math.max(20_000, Math.round(rate * seconds)) };
  // The floor: the same paced load against the TCP sink, so the broker's p99 is read beside what
  // the load generator and the machine give with no broker at all.
  rows.push(...await repeated(async () => {
    const sink = await startNodeFixture('./tcp-sink.ts', [String(PARTITIONS)]);
    try {
      const p = await perfProduce(load(sink.address, 'sink', paced));
      return [{
        id: 'latency-sink', group: 'baseline', name: `baseline: loopback TCP sink at the same rate (${(rate / 1e6).toFixed(2)} M rec/s asked)`,
        value: p.recordsPerSec, unit: ' rec/s', mbPerSec: p.mbPerSec, latency: p.latency, latencyCurve: p.latencyCurve, peakRssMiB: sink.peakRssMiB(),
      }];
    } finally {
      await sink.stop();
    }
  }));
  rows.push(...await repeated(() => withBroker(async (b) => {
    const cpu = b.cpuSeconds();
    const p = await perfProduce(load(b.address, 'perf', { ...paced, topicConfigs: { 'flush.ms': '1000' } }));
    const cost = server(b, cpu, paced.numRecords);
    const stored = await storedIn(b, 'perf', paced.numRecords);
    return [{
      id: 'latency-half-peak', group: 'broker', name: `broker produce acks=1 at half the peak rate (${(rate / 1e6).toFixed(2)} M rec/s asked)`,
      value: p.recordsPerSec, unit: ' rec/s', mbPerSec: p.mbPerSec, latency: p.latency, latencyCurve: p.latencyCurve,
      compareTo: 'produce-1', baseline: '÷ peak acks=1', target: 'p99 <= 5 ms', stored, ...cost,
    }];
  })));
} else if (variant === 'curve') {
  const peak = Number(process.argv[3]);
  if (!(peak > 0)) throw new Error('usage: broker.ts curve <peak records/s>');
  const seconds = Math.max(0.5, 10 * SCALE);
  const rates = [...new Set([100_000, 500_000, 1_000_000, 2_000_000, Math.round(peak / 2)])].sort((a, b) => a - b);
  for (const rate of rates) {
    const n = Math.max(20_000, Math.round(rate * seconds));
    rows.push(...await repeated(() => withBroker(async (b) => {
      // linger.ms=1, as a client tuned for latency sets it: below 1 M records/s a batch of
      // BATCH records would take longer than that to fill, and with linger 5 ms a record at
      // 100 k/s waited 2.5 ms on average (5 at worst) before it was sent (p50 4-5 ms against
      // 1.5 ms); from 1 M/s up batches fill within the millisecond either way.
      const atRate = (topic: string, numRecords: number) => perfE2e({ ...load(b.address, topic, { acks: 1, throughput: rate, lingerMs: 1, numRecords }), topicConfigs: { 'flush.ms': '1000' }, maxWaitMs: 100 });
      // A warm-up at the same rate on another topic of the same broker, results discarded, as
      // OMB's warmupDurationMinutes: a fresh broker spends its first second compiling its hot
      // paths, and that showed in every run's tail, not only the first one's.
      await atRate('curve-warm-up', Math.max(20_000, Math.round(rate * WARM_UP_SECONDS)));
      const cpu = b.cpuSeconds();
      const r = await atRate('curve', n);
      const cost = server(b, cpu, n);
      const stored = await storedIn(b, 'curve', n);
      const { count: _p, ...publish } = r.produceLatency;
      const { count: _e, ...e2e } = r.latency;
      return [{
        id: `curve-${rate}`, group: 'curve', name: `acks=1 at ${(rate / 1e6).toFixed(2)} M rec/s asked${rate === Math.round(peak / 2) ? ' (half the peak)' : ''}, publish and end-to-end`,
        value: r.recordsPerSec, unit: ' rec/s', mbPerSec: r.mbPerSec, rateAsked: rate, latency: publish, e2eLatency: e2e, latencyCurve: r.latencyCurve, stored,
        target: rate === 1_000_000 ? 'publish p99 <= 10 ms, end-to-end p99 <= 20 ms' : undefined, ...cost,
      }];
    })));
  }
} else {
  throw new Error(`unknown variant ${variant}; one of sink, produce-1, produce-all, consume, latency <peak>, curve <peak>`);
}
emitRows(rows);
