/**
 * Peer: Redis Streams. redis-server (Debian package) alone on loopback with AOF on and
 * `appendfsync everysec` (acknowledged in the page cache, fsync each second: the level of strand's
 * acks=1 + flush.ms=1000 row), driven through ioredis: XADD of 100-byte values, pipelined 1,000
 * commands per pipeline, 5 pipelines in flight per connection, 2 connections, streams written
 * round-robin like strand's partitions. Latency is per record from its pipeline's send.
 *
 * ioredis spends far more CPU per command than Redis does (a JS command object, a promise and a
 * parsed reply each), so the same server is also driven by redis-benchmark (Redis's own C client,
 * from the same Debian package set): the same XADDs, pipelined 1,000 deep on 10 connections. Each
 * gets a fresh server; strand's ratio is shown against both.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { LatencyRecorder } from '../../src/perf/histogram.js';
import { type BenchRow, emitRows } from '../lib.js';
import { BATCH, CONNECTIONS, IN_FLIGHT, PARTITIONS, RECORD_SIZE, RECORDS, bestOf, payloads } from './params.js';
import { freePort, startBinary, which } from './procs.js';

const NAME = 'peer: Redis Streams XADD pipelined, ioredis (AOF everysec)';
const NAME_C = 'peer: Redis Streams XADD pipelined, redis-benchmark (AOF everysec)';
const bin = which('redis-server');
if (bin === null) {
  const note = 'skipped: redis-server is not installed (apt-get install -y redis-server)';
  emitRows([NAME, NAME_C].map((name, i) => ({ id: i === 0 ? 'redis' : 'redis-c', group: 'peers', name, value: 0, unit: ' rec/s', peakRssMiB: NaN, peerOf: 'produce-1', note })));
  process.exit(0);
}

async function withRedis(fn: (port: number, config: string, version: string) => Promise<Omit<BenchRow, 'peakRssMiB'>>): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-redis-'));
  const port = await freePort();
  const config = [
    'bind 127.0.0.1', `port ${port}`, `dir ${dir}`, 'daemonize no', 'save ""',
    'appendonly yes', 'appendfsync everysec', 'appendfilename "appendonly.aof"', 'no-appendfsync-on-rewrite no',
    'auto-aof-rewrite-percentage 0', 'maxmemory 0', 'loglevel warning',
  ].join('\n');
  writeFileSync(join(dir, 'redis.conf'), config + '\n');
  const server = await startBinary(bin!, [join(dir, 'redis.conf')], '127.0.0.1', port);
  try {
    const probe = new Redis({ host: '127.0.0.1', port });
    const version = (await probe.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '';
    await probe.quit();
    const cpu = server.cpuSeconds();
    const row = await fn(port, `redis-server ${version} (${bin}) with ${join(dir, 'redis.conf')}:\n${config}`, version);
    // Every record must be in the streams.
    const check = new Redis({ host: '127.0.0.1', port });
    let stored = 0;
    for (let i = 0; i < PARTITIONS; i++) stored += await check.xlen(`bench-${i}`);
    await check.quit();
    if (stored !== RECORDS) throw new Error(`Redis holds ${stored} entries, expected ${RECORDS}`);
    return { ...row, peakRssMiB: server.peakRssMiB(), serverCpuSeconds: server.cpuSeconds() - cpu };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function viaIoredis(port: number, config: string): Promise<Omit<BenchRow, 'peakRssMiB'>> {
  const clients = Array.from({ length: CONNECTIONS }, () => new Redis({ host: '127.0.0.1', port, enableAutoPipelining: false, lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  const values = payloads(4096);
  const latency = new LatencyRecorder();
  let sent = 0;
  let pipelines = 0;
  const start = performance.now();
  // Each connection keeps IN_FLIGHT pipelines of BATCH XADDs outstanding.
  await Promise.all(clients.map(async (client) => {
    const lane = async () => {
      while (sent < RECORDS) {
        const n = Math.min(BATCH, RECORDS - sent);
        sent += n;
        const stream = `bench-${pipelines++ % PARTITIONS}`;
        const p = client.pipeline();
        for (let i = 0; i < n; i++) p.xadd(stream, '*', 'v', values[(sent + i) & 4095]!);
        const t = performance.now();
        const res = await p.exec();
        const err = res?.find(([e]) => e !== null)?.[0];
        if (err) throw err;
        latency.record((performance.now() - t) * 1000, n);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  }));
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.quit()));
  return {
    id: 'redis', group: 'peers', name: NAME, value: RECORDS / seconds, unit: ' rec/s', mbPerSec: (RECORDS * RECORD_SIZE) / seconds / 1e6,
    latency: latency.summary(), latencyCurve: latency.curve(), peerOf: 'produce-1', baseline: 'strand acks=1 ÷ this',
    config: `${config}\n# load (ioredis): ${CONNECTIONS} connections x ${IN_FLIGHT} pipelines of ${BATCH} x XADD bench-<i> * v <${RECORD_SIZE} bytes>, ${PARTITIONS} streams`,
  };
}

async function viaRedisBenchmark(port: number, config: string): Promise<Omit<BenchRow, 'peakRssMiB'>> {
  const tool = which('redis-benchmark');
  if (tool === null) throw new Error('redis-benchmark is not installed');
  const value = payloads(1)[0]!.toString('latin1');
  const clients = CONNECTIONS * IN_FLIGHT;
  // One run per stream, the records split between them, one after the other.
  let seconds = 0;
  for (let i = 0; i < PARTITIONS; i++) {
    const n = Math.floor(RECORDS / PARTITIONS) + (i < RECORDS % PARTITIONS ? 1 : 0);
    const start = performance.now();
    const r = spawnSync(tool, ['-h', '127.0.0.1', '-p', String(port), '-c', String(clients), '-n', String(n), '-P', String(BATCH), '-q', 'XADD', `bench-${i}`, '*', 'v', value], { encoding: 'utf8' });
    seconds += (performance.now() - start) / 1000;
    if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  }
  return {
    id: 'redis-c', group: 'peers', name: NAME_C, value: RECORDS / seconds, unit: ' rec/s', mbPerSec: (RECORDS * RECORD_SIZE) / seconds / 1e6,
    peerOf: 'produce-1', baseline: 'strand acks=1 ÷ this',
    config: `${config}\n# load (redis-benchmark): -c ${clients} -P ${BATCH} -q XADD bench-<i> * v <${RECORD_SIZE} bytes>, ${PARTITIONS} streams one after the other`,
  };
}

const rows: BenchRow[] = [];
rows.push(await withRedis(viaIoredis));
try {
  // Fast (a C client): best of REPEATS like strand's rows. The ioredis row is client-bound and slow: one run.
  rows.push(await bestOf(() => withRedis(viaRedisBenchmark)));
} catch (err) {
  rows.push({ id: 'redis-c', group: 'peers', name: NAME_C, value: 0, unit: ' rec/s', peakRssMiB: NaN, peerOf: 'produce-1', note: `skipped: ${(err as Error).message}` });
}
emitRows(rows);
