/**
 * `npm run bench`: runs every benchmark in a fresh child process (so native code and peak RSS
 * are not polluted by what ran before), prints one summary table, writes
 * bench/results/<date>.json and draws it as bench/results/<date>.html (bench/report.ts).
 *
 *   npm run bench                      everything, the headline included (installs redis-server,
 *                                      redis-tools, nats-server, librdkafka-dev, libnats-dev from
 *                                      Debian when it can, and builds the C clients)
 *   npm run bench -- --smoke           a few seconds per benchmark (= STRAND_BENCH_SCALE=0.02)
 *   STRAND_BENCH_PEERS=0 npm run bench without the headline (Redis, NATS, the C clients)
 *   STRAND_BENCH_OUT=<dir>             write the results there instead of bench/results/
 *
 * The cluster rows (bench/cluster.ts) start etcd (Debian etcd-server) and three brokers.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchRow, ROWS_MARKER, SCALE, printTable, writeResults } from './lib.js';
import { writeReport } from './report.js';

/** Arguments, or a function of the rows so far (null: skip this run). */
type Args = string[] | ((rows: BenchRow[]) => string[] | null);

const peak = (rows: BenchRow[]) => rows.find((r) => r.id === 'produce-1')?.value;

const suites: Array<[string, Args]> = [
  ['crc32c.ts', []],
  ['codecs.ts', []],
  ['compaction.ts', []],
  ['append.ts', ['none']],
  ['append.ts', ['durable']],
  ['append.ts', ['read']],
  ['broker.ts', ['sink']],
  ['broker.ts', ['produce-1']],
  ['broker.ts', ['produce-all']],
  ['broker.ts', ['consume']],
  ['broker.ts', (rows) => (peak(rows) ? ['latency', String(Math.round(peak(rows)!))] : null)],
  ['broker.ts', (rows) => (peak(rows) ? ['curve', String(Math.round(peak(rows)!))] : null)],
];

/**
 * The headline (real C clients on every side: librdkafka against strand, redis-benchmark against
 * Redis, the NATS C client against JetStream) runs after strand's own rows; a system that fails or
 * cannot be installed gets a row saying so.
 */
const peers: Array<[string, Args]> = [
  ['peers/clients.ts', []],
];
const withPeers = process.env.STRAND_BENCH_PEERS !== '0';

const env = { ...process.env, STRAND_LOG_LEVEL: 'warn', STRAND_BENCH_SCALE: String(SCALE) };

function runOne(file: string, args: string[], fatal: boolean): BenchRow[] {
  const path = fileURLToPath(new URL(file, import.meta.url));
  process.stderr.write(`bench: ${file} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20, timeout: 20 * 60_000 });
  const out: BenchRow[] = [];
  for (const line of (r.stdout ?? '').split('\n')) if (line.startsWith(ROWS_MARKER)) out.push(...(JSON.parse(line.slice(ROWS_MARKER.length)) as BenchRow[]));
  const load = Math.round(loadavg()[0]! * 100) / 100;
  for (const row of out) row.loadAvg ??= load;
  if (r.status !== 0) {
    process.stderr.write((r.stdout ?? '') + (r.stderr ?? ''));
    if (fatal) throw new Error(`benchmark ${file} ${args.join(' ')} failed with status ${r.status ?? r.signal}`);
    const reason = (r.stderr ?? '').trim().split('\n').filter((l) => /error/i.test(l)).pop() ?? `exit ${r.status ?? r.signal}`;
    out.push({ name: `${file} ${args.join(' ')}`.trim(), value: 0, unit: '', peakRssMiB: NaN, group: 'peers', note: `failed: ${reason.slice(0, 120)}` });
  }
  return out;
}

const rows: BenchRow[] = [];
const started = Date.now();
for (const [file, spec] of suites) {
  const args = typeof spec === 'function' ? spec(rows) : spec;
  if (args !== null) rows.push(...runOne(file, args, true));
}
// Three brokers and etcd on this machine (needs etcd-server); a failure gets a row saying so.
rows.push(...runOne('cluster.ts', ['replicated'], false));
rows.push(...runOne('cluster.ts', ['failover'], false));
let setup: string | undefined;
if (withPeers) {
  // Install the peers' servers (Debian packages) once, before any of them runs.
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('peers/setup.ts', import.meta.url))], { encoding: 'utf8', env, timeout: 15 * 60_000 });
  setup = (r.stdout ?? '').trim();
  process.stderr.write(`bench: peers/setup.ts\n${setup}\n`);
  for (const [file, spec] of peers) {
    const args = typeof spec === 'function' ? spec(rows) : spec;
    if (args !== null) rows.push(...runOne(file, args, false));
  }
}

// Ratios across processes: to a baseline row (value / baseline), or strand over a peer.
const byId = new Map(rows.filter((r) => r.id !== undefined).map((r) => [r.id!, r]));
for (const r of rows) {
  if (r.compareTo !== undefined && r.ratio === undefined) {
    const base = byId.get(r.compareTo);
    if (base !== undefined && base.value > 0) r.ratio = r.value / base.value;
  }
  if (r.peerOf !== undefined && r.value > 0) {
    const strand = byId.get(r.peerOf);
    if (strand !== undefined) r.ratio = strand.value / r.value;
  }
}

printTable(rows);
const meta = {
  date: new Date().toISOString(), scale: SCALE, seconds: (Date.now() - started) / 1000, node: process.version, cpus: cpus().length,
  cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), backend: process.env.STRAND_BACKEND ?? 'native', peers: withPeers, peerSetup: setup,
  command: `${SCALE !== 1 ? `STRAND_BENCH_SCALE=${SCALE} ` : ''}${['STRAND_BENCH_REPEATS', 'STRAND_BENCH_RUNS'].filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]} `).join('')}${withPeers ? '' : 'STRAND_BENCH_PEERS=0 '}npm run bench`,
};
const file = writeResults(rows, meta);
const html = writeReport(file);
console.log(`\nresults: ${file}\nreport:  ${html}`);
