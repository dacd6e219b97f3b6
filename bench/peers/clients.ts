/**
 * The headline: each system driven by its own real C client, the same records, the same
 * durability, the same number of runs, each run against a fresh server (strand, Redis and NATS
 * interleaved run by run so a noisy neighbour hits all three alike).
 *
 *   strand     librdkafka producer (bench/peers/c/rdkafka-producer.c) tuned as a Kafka user
 *              tunes it: acks=1, linger.ms=5, batch.size=1 MB, batch.num.messages=10000,
 *              compression none (100-byte random letters barely compress; lz4 is a setting away);
 *              topic flush.ms=1000: acknowledged in the page cache, fsync each second. Then the
 *              librdkafka consumer reads everything back from offset 0 (its own row), with
 *              max.partition.fetch.bytes=4 MiB and queued.min.messages=1000000 (CONSUMER_SETTINGS).
 *   Redis      redis-benchmark XADD pipelined 1,000 deep on 10 connections, keys spread over the
 *              same number of streams as strand's partitions; AOF with appendfsync everysec
 *   NATS       JetStream through the C client (bench/peers/c/nats-publisher.c): js_PublishAsync
 *              with 10,000 PubAcks outstanding, file storage (nats-server 2.9 fsyncs on its own
 *              schedule: no sync_interval before 2.10, which favours NATS if anything)
 *
 * The same strand rows again with the clients on a TLS listener and on SASL_SSL (PLAIN), in the
 * same runs, each compared with its plaintext row (issue 12: TLS should cost at most 35%).
 *
 * Before a row is reported, the count the server holds is checked: log end offsets (ListOffsets),
 * XLEN of every stream, the stream's message count. Each row is the median of RUNS runs with min
 * and max; ratios are median over median (bench/run.ts). CPU is the server process's alone (/proc).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTarget, partitionOffsets } from '../../src/perf/cluster.js';
import { type BenchRow, SCALE, checkStored, emitRows, medianRow, withCost } from '../lib.js';
import { cClient } from './cbuild.js';
import { PARTITIONS, RECORD_SIZE, RECORDS } from './params.js';
import { freePort, type Server, startBinary, which } from './procs.js';
import { startStrand } from './strand.js';
import { makePki, type TestPki } from '../../scripts/pki.js';

const RUNS = Math.max(1, Number(process.env.STRAND_BENCH_REPEATS ?? (SCALE < 1 ? '1' : '5')));
const BYTES = RECORDS * RECORD_SIZE;
const PIPELINE = 1000;
const REDIS_CLIENTS = 10;
const NATS_PENDING = 10_000;
/**
 * Partition fetches of 4 MiB (librdkafka's default is 1 MiB; fetch.max.bytes stays at its 50 MiB)
 * and a prefetch queue deep enough for them. librdkafka 2.0 stops fetching a partition whose
 * queue holds queued.min.messages (default 100000) and looks at it again only at its broker
 * thread's next wakeup, up to a second later (2.2 made that wait fetch.queue.backoff.ms). With the
 * 8 MiB partition fetches and default queued.min.messages these rows used before (76,000 records
 * of 100 B a fetch), every second fetch crossed it: 6 to 18 such pauses in a 1.5 M-record run,
 * the consumer idle 3-7 s of 5-8, so the rows measured librdkafka's pauses (0.2-0.3 M rec/s), not
 * the broker. Here the queue stays under the threshold (queued.max.messages.kbytes, 64 MiB a
 * partition, would stop it at about 550,000 records) and the consumer is bound by its own CPU
 * (0.7-1.2 s per million records, three to four times the broker's). 1 MiB fetches read as fast
 * but cost the broker about 0.1 s more per million records (four times the requests). Plaintext
 * and TLS rows use the same.
 */
export const CONSUMER_SETTINGS = ['max.partition.fetch.bytes=4194304', 'queued.min.messages=1000000'];
export const PRODUCER_SETTINGS = ['acks=1', 'linger.ms=5', 'batch.size=1048576', 'batch.num.messages=10000', 'compression.type=none', 'queue.buffering.max.messages=1000000', 'queue.buffering.max.kbytes=1048576'];

interface ClientResult {
  records: number; seconds: number; errors: number; avgMs: number; p50Ms: number; p95Ms: number; p99Ms: number; p999Ms: number; maxMs: number;
  stored?: number; librdkafka?: string; nats?: string;
  /** The client's own CPU (both librdkafka clients); the consumer's time to its first record and time its queue stayed empty over 10 ms. */
  userSeconds?: number; systemSeconds?: number; firstMs?: number; idleMs?: number;
}

/** Run a C client to completion; its last stdout line is its JSON result. */
function runClient(bin: string, args: string[]): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${bin.slice(bin.lastIndexOf('/') + 1)} exited ${code}: ${err.trim().split('\n').slice(-3).join(' / ')}`));
      else resolve(JSON.parse(line) as ClientResult);
    });
  });
}

/** A C client's own CPU-seconds per million records (getrusage at its end). */
const clientCpu = (r: ClientResult) => (((r.userSeconds ?? NaN) + (r.systemSeconds ?? NaN)) / (RECORDS / 1e6)).toFixed(2);
const latencyOf = (r: ClientResult) => ({ avgMs: r.avgMs, p50Ms: r.p50Ms, p95Ms: r.p95Ms, p99Ms: r.p99Ms, p999Ms: r.p999Ms, maxMs: r.maxMs });
const rate = (seconds: number) => ({ value: RECORDS / seconds, unit: ' rec/s', mbPerSec: BYTES / seconds / 1e6 });

/** How the clients reach strand: plaintext (the headline), TLS, or SASL/PLAIN over TLS (issue 12's rows). */
type Security = 'PLAINTEXT' | 'SSL' | 'SASL_SSL';
const SECURITY_NAME: Record<Security, string> = { PLAINTEXT: '', SSL: ' over TLS', SASL_SSL: ' over SASL_SSL (PLAIN)' };
const SECURITY_ID: Record<Security, string> = { PLAINTEXT: '', SSL: '-tls', SASL_SSL: '-sasl-ssl' };
let pki: TestPki | undefined;

/** Broker settings and librdkafka settings for a listener of `security` on `port`, beside a PLAINTEXT one for the control plane. */
function secured(security: Security, plainPort: number, port: number): { broker: Record<string, string>; client: string[] } {
  if (security === 'PLAINTEXT') return { broker: {}, client: [] };
  pki ??= makePki();
  const listener = security.toLowerCase();
  const broker: Record<string, string> = {
    'listeners': `PLAINTEXT://127.0.0.1:${plainPort},${security}://127.0.0.1:${port}`,
    [`listener.name.${listener}.ssl.keystore.type`]: 'PEM',
    [`listener.name.${listener}.ssl.keystore.location`]: pki.serverPem,
  };
  const client = ['security.protocol=' + security.toLowerCase(), `ssl.ca.location=${pki.caCert}`];
  if (security === 'SASL_SSL') {
    broker['sasl.enabled.mechanisms'] = 'PLAIN';
    broker['sasl.jaas.config'] = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_bench="bench-secret";';
    client.push('sasl.mechanisms=PLAIN', 'sasl.username=bench', 'sasl.password=bench-secret');
  }
  return { broker, client };
}

async function strandRun(security: Security = 'PLAINTEXT'): Promise<[BenchRow, BenchRow]> {
  const producer = cClient('rdkafka-producer');
  const consumer = cClient('rdkafka-consumer');
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-clients-'));
  const [plainPort, port] = [await freePort(), await freePort()];
  const sec = secured(security, plainPort, port);
  const broker = await startStrand(dir, sec.broker);
  // The clients' listener; topic creation and the stored count go through the plaintext one.
  const clientAddress = security === 'PLAINTEXT' ? broker.address : `127.0.0.1:${port}`;
  const control = security === 'PLAINTEXT' ? broker.address : `127.0.0.1:${plainPort}`;
  try {
    const t = await openTarget({ bootstrap: control, topic: 'bench', partitions: PARTITIONS, topicConfigs: { 'flush.ms': '1000' } });
    let cpu = broker.cpuSeconds();
    const p = await runClient(producer, [clientAddress, 'bench', String(RECORDS), String(RECORD_SIZE), ...PRODUCER_SETTINGS, ...sec.client]);
    const produceCpu = broker.cpuSeconds() - cpu;
    const offsets = await partitionOffsets(t);
    await t.client.close();
    const stored = checkStored('strand (log end offsets)', [...offsets.values()].reduce((n, o) => n + o.end - o.start, 0), RECORDS);
    cpu = broker.cpuSeconds();
    const c = await runClient(consumer, [clientAddress, 'bench', String(RECORDS), ...CONSUMER_SETTINGS, ...sec.client]);
    const consumeCpu = broker.cpuSeconds() - cpu;
    checkStored('the librdkafka consumer', c.records, RECORDS);
    const config = `strand broker (bench/peers/strand-broker.ts), topic bench: ${PARTITIONS} partitions, flush.ms=1000${security === 'PLAINTEXT' ? '' : `, clients on a ${security} listener`}`;
    // The secure rows are compared with the plaintext ones of the same runs (issue 12's target: TLS costs at most 35%).
    const against = (id: string): Partial<BenchRow> => (security === 'PLAINTEXT' ? {} : { group: 'security', compareTo: id, baseline: '÷ the same over PLAINTEXT', target: '>= 0.65' });
    return [
      withCost({
        id: `rdkafka-produce${SECURITY_ID[security]}`, group: 'headline', name: `strand ← librdkafka C producer${SECURITY_NAME[security]}, acks=1 (fsync each 1 s)`, ...rate(p.seconds), latency: latencyOf(p), stored, ...against('rdkafka-produce'),
        note: `latency from rd_kafka_produce() to the delivery report: at full speed mostly time queued in the client (up to 1 M messages); producer: ${clientCpu(p)} CPU-s per M records of its own`,
        peakRssMiB: broker.peakRssMiB(), config: `${config}\n# load: librdkafka ${p.librdkafka} rdkafka-producer ${PRODUCER_SETTINGS.join(' ')}; ${RECORDS} x ${RECORD_SIZE} B round-robin`,
      }, produceCpu, RECORDS, BYTES),
      withCost({
        id: `rdkafka-consume${SECURITY_ID[security]}`, group: 'headline', name: `strand → librdkafka C consumer${SECURITY_NAME[security]}, from offset 0`, ...rate(c.seconds), stored: c.records, peakRssMiB: broker.peakRssMiB(), ...against('rdkafka-consume'),
        // The consumer's own CPU beside the broker's says which of the two bounds the row.
        note: `consumer: ${clientCpu(c)} CPU-s per M records of its own, first record after ${c.firstMs?.toFixed(0)} ms, queue empty over 10 ms for ${c.idleMs?.toFixed(0)} ms in all`,
        config: `${config}\n# load: librdkafka ${c.librdkafka} rdkafka-consumer ${CONSUMER_SETTINGS.join(' ')}${security === 'PLAINTEXT' ? '' : ` security.protocol=${security.toLowerCase()}`}; every partition assigned from offset 0, no group`,
      }, consumeCpu, RECORDS, BYTES),
    ];
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function redisRun(): Promise<BenchRow> {
  const bin = which('redis-server');
  const tool = which('redis-benchmark');
  const cli = which('redis-cli');
  if (bin === null || tool === null || cli === null) throw new Error('redis-server / redis-tools are not installed (apt-get install -y redis-server redis-tools)');
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-redis-'));
  const port = await freePort();
  const config = [
    'bind 127.0.0.1', `port ${port}`, `dir ${dir}`, 'daemonize no', 'save ""', 'appendonly yes', 'appendfsync everysec',
    'no-appendfsync-on-rewrite no', 'auto-aof-rewrite-percentage 0', 'maxmemory 0', 'loglevel warning',
  ].join('\n');
  writeFileSync(join(dir, 'redis.conf'), config + '\n');
  const server = await startBinary(bin, [join(dir, 'redis.conf')], '127.0.0.1', port);
  try {
    const value = 'x'.repeat(RECORD_SIZE);
    const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(REDIS_CLIENTS), '-n', String(RECORDS), '-P', String(PIPELINE), '-r', String(PARTITIONS), '--csv', 'XADD', 'bench-__rand_int__', '*', 'v', value];
    const cpu = server.cpuSeconds();
    const start = performance.now();
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('close', (code) => resolve({ code, out }));
    });
    const seconds = (performance.now() - start) / 1000;
    const used = server.cpuSeconds() - cpu;
    if (r.code !== 0) throw new Error(`redis-benchmark exited ${r.code}`);
    // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    const csv = r.out.trim().split('\n').pop()!.split(',').map((c) => Number(c.replace(/"/g, '')));
    const keys = spawnSync(cli, ['-p', String(port), '--scan', '--pattern', 'bench-*'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    let stored = 0;
    for (const k of keys) stored += Number(spawnSync(cli, ['-p', String(port), 'XLEN', k], { encoding: 'utf8' }).stdout.trim());
    checkStored('Redis (XLEN)', stored, RECORDS);
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    return withCost({
      id: 'redis-c', group: 'headline', name: 'Redis Streams ← redis-benchmark XADD pipelined (AOF everysec)', ...rate(seconds), stored,
      latency: { avgMs: csv[2]!, p50Ms: csv[4]!, p95Ms: csv[5]!, p99Ms: csv[6]!, p999Ms: NaN, maxMs: csv[7]! },
      peerOf: 'rdkafka-produce', baseline: 'strand librdkafka ÷ this', peakRssMiB: server.peakRssMiB(),
      config: `${version}\n${config}\n# load: redis-benchmark ${args.slice(4).join(' ').replace(value, `<${RECORD_SIZE} bytes>`)} (latency per pipelined request)`,
    }, used, RECORDS, BYTES);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function natsRun(): Promise<BenchRow> {
  const bin = which('nats-server');
  if (bin === null) throw new Error('nats-server is not installed (apt-get install -y nats-server)');
  const publisher = cClient('nats-publisher');
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-nats-'));
  const port = await freePort();
  const config = [`listen: 127.0.0.1:${port}`, 'max_payload: 1MB', 'jetstream {', `  store_dir: "${join(dir, 'js')}"`, '  max_memory_store: 256MB', '  max_file_store: 64GB', '}'].join('\n');
  writeFileSync(join(dir, 'nats.conf'), config + '\n');
  const server: Server = await startBinary(bin, ['-js', '-c', join(dir, 'nats.conf')], '127.0.0.1', port);
  try {
    const cpu = server.cpuSeconds();
    const r = await runClient(publisher, [`nats://127.0.0.1:${port}`, String(RECORDS), String(RECORD_SIZE), String(PARTITIONS), String(NATS_PENDING)]);
    const used = server.cpuSeconds() - cpu;
    const stored = checkStored('NATS (stream info)', r.stored ?? -1, RECORDS);
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    return withCost({
      id: 'nats-c', group: 'headline', name: 'NATS JetStream ← C client js_PublishAsync (file storage)', ...rate(r.seconds), latency: latencyOf(r), stored,
      peerOf: 'rdkafka-produce', baseline: 'strand librdkafka ÷ this', peakRssMiB: server.peakRssMiB(), note: `nats-server 2.9 fsyncs on its own schedule (no sync_interval before 2.10); latency from js_PublishAsync() to its PubAck, up to ${NATS_PENDING} outstanding`,
      config: `${version}, cnats ${r.nats}\n${config}\n# stream BENCH: bench.>, file storage, limits, 1 replica\n# load: nats-publisher, ${NATS_PENDING} PubAcks outstanding, ${PARTITIONS} subjects`,
    }, used, RECORDS, BYTES);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A system that fails (not installed, wrong count) gets one row saying why, instead of a figure. */
async function attempt<T>(fn: () => Promise<T>, failed: Map<string, string>, key: string): Promise<T | null> {
  if (failed.has(key)) return null;
  try {
    return await fn();
  } catch (err) {
    failed.set(key, (err as Error).message);
    return null;
  }
}

const produced: BenchRow[] = [];
const consumed: BenchRow[] = [];
const secure: Record<'SSL' | 'SASL_SSL', { produced: BenchRow[]; consumed: BenchRow[] }> = { SSL: { produced: [], consumed: [] }, SASL_SSL: { produced: [], consumed: [] } };
const redis: BenchRow[] = [];
const nats: BenchRow[] = [];
const failed = new Map<string, string>();
for (let i = 0; i < RUNS; i++) {
  const s = await attempt(strandRun, failed, 'strand');
  if (s !== null) {
    produced.push(s[0]);
    consumed.push(s[1]);
  }
  for (const security of ['SSL', 'SASL_SSL'] as const) {
    const t = await attempt(() => strandRun(security), failed, security);
    if (t !== null) {
      secure[security].produced.push(t[0]);
      secure[security].consumed.push(t[1]);
    }
  }
  const r = await attempt(redisRun, failed, 'redis');
  if (r !== null) redis.push(r);
  const n = await attempt(natsRun, failed, 'nats');
  if (n !== null) nats.push(n);
}
const skipped = (id: string, name: string, key: string): BenchRow => ({ id, group: 'headline', name, value: 0, unit: ' rec/s', peakRssMiB: NaN, note: `failed: ${failed.get(key)}` });
const rows: BenchRow[] = [
  produced.length === RUNS ? medianRow(produced) : skipped('rdkafka-produce', 'strand ← librdkafka C producer', 'strand'),
  consumed.length === RUNS ? medianRow(consumed) : skipped('rdkafka-consume', 'strand → librdkafka C consumer', 'strand'),
  ...(['SSL', 'SASL_SSL'] as const).flatMap((security) => [
    secure[security].produced.length === RUNS ? medianRow(secure[security].produced) : { ...skipped(`rdkafka-produce${SECURITY_ID[security]}`, `strand ← librdkafka C producer${SECURITY_NAME[security]}`, security), group: 'security' },
    secure[security].consumed.length === RUNS ? medianRow(secure[security].consumed) : { ...skipped(`rdkafka-consume${SECURITY_ID[security]}`, `strand → librdkafka C consumer${SECURITY_NAME[security]}`, security), group: 'security' },
  ]),
  redis.length === RUNS ? medianRow(redis) : { ...skipped('redis-c', 'Redis Streams ← redis-benchmark', 'redis'), peerOf: 'rdkafka-produce' },
  nats.length === RUNS ? medianRow(nats) : { ...skipped('nats-c', 'NATS JetStream ← C client', 'nats'), peerOf: 'rdkafka-produce' },
];
emitRows(rows);
