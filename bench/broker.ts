/**
 * End-to-end broker benchmarks over real sockets: the broker runs alone in a fresh child process
 * (bench/peers/strand-broker.ts, startBroker with a data directory), driven by the `strand perf`
 * load generator (src/perf) from this process, 100-byte records in batches of 1,000.
 *
 *   sink          baseline: the same load generator against a loopback TCP sink (produce, consume)
 *   produce-1     acks=1, topic flush.ms=1000 (page cache, fsync each second: Redis everysec's level)
 *   produce-all   acks=all, topic flush.messages=1: every produce waits for a (shared) group fsync
 *   consume       fetch everything back (after an untimed fill)
 *   latency PEAK  acks=1 at half of PEAK records/s: the latency percentiles
 *
 * Peak RSS is the broker's (VmHWM of its process), CPU the broker's user+system seconds.
 * STRAND_BENCH_CPU_PROF=<dir> starts the broker with --cpu-prof into that directory.
 *
 * Usage: tsx bench/broker.ts <variant> [args]   (bench/run.ts runs each in a fresh process)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { perfConsume, perfProduce, type PerfProduceOptions } from '../src/perf/index.js';
import { type BenchRow, SCALE, emitRows } from './lib.js';
import { startStrand } from './peers/strand.js';
import { BATCH, CONNECTIONS, IN_FLIGHT, PARTITIONS, RECORD_SIZE, RECORDS } from './peers/params.js';
import { rssSplitMiB, type Server, startNodeFixture } from './peers/procs.js';

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

function server(s: Server, before: number): Pick<BenchRow, 'peakRssMiB' | 'note'> & { serverCpuSeconds: number } {
  const split = rssSplitMiB(s.pid);
  const note = split.file > 100 ? `RSS at the end: ${split.anon.toFixed(0)} MiB anonymous + ${split.file.toFixed(0)} MiB mapped log pages (page cache)` : undefined;
  return { peakRssMiB: s.peakRssMiB(), serverCpuSeconds: s.cpuSeconds() - before, note };
}

const rows: BenchRow[] = [];
const variant = process.argv[2];

if (variant === 'sink') {
  const sink = await startNodeFixture('./tcp-sink.ts', [String(PARTITIONS)]);
  try {
    const p = await perfProduce(load(sink.address, 'sink', {}));
    rows.push({ id: 'sink-produce', group: 'baseline', name: 'baseline: loopback TCP sink, produce (same load generator)', value: p.recordsPerSec, unit: ' rec/s', mbPerSec: p.mbPerSec, latency: p.latency, latencyCurve: p.latencyCurve, peakRssMiB: sink.peakRssMiB() });
    const c = await perfConsume({ bootstrap: sink.address, topic: 'sink', numRecords: RECORDS, connections: CONNECTIONS, timeoutMs: 60_000 });
    rows.push({ id: 'sink-consume', group: 'baseline', name: 'baseline: loopback TCP sink, consume (same fetch loop)', value: c.recordsPerSec, unit: ' rec/s', mbPerSec: c.mbPerSec, peakRssMiB: sink.peakRssMiB() });
  } finally {
    await sink.stop();
  }
} else if (variant === 'produce-1' || variant === 'produce-all') {
  const all = variant === 'produce-all';
  await withBroker(async (b) => {
    const cpu = b.cpuSeconds();
    const p = await perfProduce(load(b.address, 'perf', all ? { acks: -1, topicConfigs: { 'flush.messages': '1' } } : { acks: 1, topicConfigs: { 'flush.ms': '1000' } }));
    rows.push({
      id: variant, group: 'broker',
      name: all ? 'broker produce acks=all, fsync per produce (group commit)' : 'broker produce acks=1 (fsync every 1 s)',
      value: p.recordsPerSec, unit: ' rec/s', mbPerSec: p.mbPerSec, latency: p.latency, latencyCurve: p.latencyCurve,
      compareTo: 'sink-produce', baseline: '÷ TCP sink produce', target: all ? '>= 1 M rec/s' : '>= 1.5 M rec/s', ...server(b, cpu),
    });
  });
} else if (variant === 'consume') {
  await withBroker(async (b) => {
    await perfProduce(load(b.address, 'perf', { acks: 1 }));
    const cpu = b.cpuSeconds();
    const c = await perfConsume({ bootstrap: b.address, topic: 'perf', numRecords: RECORDS, connections: CONNECTIONS, timeoutMs: 60_000 });
    rows.push({
      id: 'consume', group: 'broker', name: 'broker consume (fetch from offset 0)', value: c.recordsPerSec, unit: ' rec/s', mbPerSec: c.mbPerSec,
      compareTo: 'sink-consume', baseline: '÷ TCP sink consume', target: '>= 3 M rec/s', ...server(b, cpu),
    });
  });
} else if (variant === 'latency') {
  const peak = Number(process.argv[3]);
  if (!(peak > 0)) throw new Error('usage: broker.ts latency <peak records/s>');
  const rate = Math.round(peak / 2);
  const seconds = Math.max(1, 10 * SCALE);
  await withBroker(async (b) => {
    const cpu = b.cpuSeconds();
    const p = await perfProduce(load(b.address, 'perf', { acks: 1, topicConfigs: { 'flush.ms': '1000' }, throughput: rate, lingerMs: 5, numRecords: Math.max(20_000, Math.round(rate * seconds)) }));
    rows.push({
      id: 'latency-half-peak', group: 'broker', name: `broker produce acks=1 at half the peak rate (${(rate / 1e6).toFixed(2)} M rec/s asked)`,
      value: p.recordsPerSec, unit: ' rec/s', mbPerSec: p.mbPerSec, latency: p.latency, latencyCurve: p.latencyCurve,
      compareTo: 'produce-1', baseline: '÷ peak acks=1', target: 'p99 <= 5 ms', ...server(b, cpu),
    });
  });
} else {
  throw new Error(`unknown variant ${variant}; one of sink, produce-1, produce-all, consume, latency <peak>`);
}
emitRows(rows);
