/**
 * Peer: NATS JetStream. nats-server (Debian package) alone on loopback with `-js` and file
 * storage, 100-byte messages published asynchronously to subjects written round-robin (like
 * strand's partitions), 5,000 publishes awaiting their acks per connection, 2 connections (strand's
 * load keeps 2 connections x 5 requests x 1,000 records in flight). Latency is per message from
 * its publish to its ack. Two clients, each against a fresh server:
 *
 *   @nats-io/jetstream  `js.publish()`: a promise, a timer and a parsed PubAck per message; the
 *                       client, not the server, is the limit (server CPU stays low)
 *   async publish       what Go's PublishAsync does, through the same library's core connection:
 *                       `nc.publish(subject, data, { reply })` with one wildcard subscription
 *                       collecting the PubAcks; the fair figure for the server
 *
 * Durability: a JetStream ack means the message is in the stream's file (page cache); nats-server
 * fsyncs on its own schedule. Debian's nats-server 2.9 has no `sync_interval` setting (2.10+), so
 * its sync period is its built-in default, not the 1 s of Redis everysec and strand's flush.ms
 * row: that favours NATS, if anything.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { spawnSync } from 'node:child_process';
import { LatencyRecorder } from '../../src/perf/histogram.js';
import { type BenchRow, emitRows } from '../lib.js';
import { BATCH, CONNECTIONS, IN_FLIGHT, PARTITIONS, RECORD_SIZE, RECORDS, bestOf, payloads } from './params.js';
import { freePort, startBinary, which } from './procs.js';

const NAME = 'peer: NATS JetStream js.publish, @nats-io/jetstream (file storage)';
const NAME_ASYNC = 'peer: NATS JetStream async publish + reply inbox (file storage)';
const bin = which('nats-server');
if (bin === null) {
  const note = 'skipped: nats-server is not installed (apt-get install -y nats-server)';
  emitRows([NAME, NAME_ASYNC].map((name, i) => ({ id: i === 0 ? 'nats' : 'nats-async', group: 'peers', name, value: 0, unit: ' rec/s', peakRssMiB: NaN, peerOf: 'produce-1', note })));
  process.exit(0);
}
const WINDOW = IN_FLIGHT * BATCH; // outstanding publishes per connection

type Publisher = (conns: NatsConnection[], latency: LatencyRecorder) => Promise<void>;

async function withNats(id: string, name: string, load: string, publish: Publisher): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-nats-'));
  const port = await freePort();
  const config = [
    `listen: 127.0.0.1:${port}`,
    'max_payload: 1MB',
    'jetstream {',
    `  store_dir: "${join(dir, 'js')}"`,
    '  max_memory_store: 256MB',
    '  max_file_store: 64GB',
    '}',
  ].join('\n');
  writeFileSync(join(dir, 'nats.conf'), config + '\n');
  const server = await startBinary(bin!, ['-js', '-c', join(dir, 'nats.conf')], '127.0.0.1', port);
  try {
    const version = spawnSync(bin!, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect({ servers: `127.0.0.1:${port}` })));
    const jsm = await jetstreamManager(conns[0]!);
    await jsm.streams.add({
      name: 'BENCH', subjects: ['bench.>'], storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old,
      max_msgs: -1, max_bytes: -1, num_replicas: 1, duplicate_window: 1_000_000_000,
    });
    const latency = new LatencyRecorder();
    const cpu = server.cpuSeconds();
    const start = performance.now();
    await publish(conns, latency);
    const seconds = (performance.now() - start) / 1000;
    const info = await jsm.streams.info('BENCH');
    if (info.state.messages !== RECORDS) throw new Error(`the stream holds ${info.state.messages} messages, expected ${RECORDS}`);
    await Promise.all(conns.map((c) => c.close()));
    return {
      id, group: 'peers', name, value: RECORDS / seconds, unit: ' rec/s', mbPerSec: (RECORDS * RECORD_SIZE) / seconds / 1e6,
      latency: latency.summary(), latencyCurve: latency.curve(), peakRssMiB: server.peakRssMiB(), serverCpuSeconds: server.cpuSeconds() - cpu,
      peerOf: 'produce-1', baseline: 'strand acks=1 ÷ this',
      config: `${version} (${bin}) -js -c ${join(dir, 'nats.conf')}:\n${config}\n# stream BENCH: subjects bench.>, file storage, limits retention, 1 replica\n# load: ${load}`,
    };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Keep at most WINDOW publishes unacknowledged per connection; `send(i, done)` publishes record i. */
async function windowed(conns: NatsConnection[], send: (nc: NatsConnection, k: number, i: number, done: (err: unknown) => void) => void): Promise<void> {
  let sent = 0;
  await Promise.all(conns.map(async (nc, k) => {
    let outstanding = 0;
    let wake: (() => void) | null = null;
    let failure: unknown = null;
    const done = (err: unknown) => {
      if (err) failure ??= err;
      outstanding--;
      if (wake !== null && (outstanding < WINDOW || failure !== null)) {
        const w = wake;
        wake = null;
        w();
      }
    };
    while (sent < RECORDS && failure === null) {
      outstanding++;
      send(nc, k, sent++, done);
      if (outstanding >= WINDOW) await new Promise<void>((r) => (wake = r));
    }
    while (outstanding > 0 && failure === null) await new Promise<void>((r) => (wake = r));
    if (failure !== null) throw failure;
  }));
}

const values = payloads(4096);

const viaJetstream: Publisher = async (conns, latency) => {
  const clients = conns.map((nc) => jetstream(nc));
  await windowed(conns, (_nc, k, i, done) => {
    const t = performance.now();
    clients[k]!.publish(`bench.${i % PARTITIONS}`, values[i & 4095]!, { timeout: 120_000 }).then(() => {
      latency.record((performance.now() - t) * 1000);
      done(null);
    }, done);
  });
};

const viaAsyncPublish: Publisher = async (conns, latency) => {
  const sentAt = new Float64Array(RECORDS);
  const waiting = new Map<number, (err: unknown) => void>();
  const subs = conns.map((nc, k) => nc.subscribe(`_INBOX.bench${k}.*`, {
    callback: (err, msg) => {
      const i = Number(msg.subject.slice(msg.subject.lastIndexOf('.') + 1));
      const done = waiting.get(i);
      if (done === undefined) return;
      waiting.delete(i);
      latency.record((performance.now() - sentAt[i]!) * 1000);
      // A PubAck is {"stream":"BENCH","seq":N}; a failure carries "error".
      done(err ?? (msg.data.length > 0 && msg.string().includes('"error"') ? new Error(msg.string()) : null));
    },
  }));
  await Promise.all(conns.map((nc) => nc.flush()));
  await windowed(conns, (nc, k, i, done) => {
    waiting.set(i, done);
    sentAt[i] = performance.now();
    nc.publish(`bench.${i % PARTITIONS}`, values[i & 4095]!, { reply: `_INBOX.bench${k}.${i}` });
  });
  for (const s of subs) s.unsubscribe();
};

const rows: BenchRow[] = [];
rows.push(await withNats('nats', NAME, `${CONNECTIONS} connections x ${WINDOW} js.publish() outstanding, ${RECORD_SIZE}-byte payloads, ${PARTITIONS} subjects`, viaJetstream));
// The lean client: best of REPEATS like strand's rows; js.publish is client-bound and slow: one run.
rows.push(await bestOf(() => withNats('nats-async', NAME_ASYNC, `${CONNECTIONS} connections x ${WINDOW} publishes with reply subjects outstanding (PubAcks on one wildcard subscription), ${RECORD_SIZE}-byte payloads, ${PARTITIONS} subjects`, viaAsyncPublish)));
for (const r of rows) r.note = `${r.note ? `${r.note}; ` : ''}nats-server 2.9 fsyncs on its own schedule (no sync_interval setting before 2.10)`;
emitRows(rows);
