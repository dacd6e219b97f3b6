#!/usr/bin/env node
// Time from exec to "listening" of `strand broker` (issue 17's targets: under 300 ms with an
// empty data directory, under 2 s with 1,000 partitions).
//
// Each run execs the broker on a free port and stops at its "strand broker N listening on ..."
// line, then checks that a TCP connect to that port succeeds; the broker is stopped with SIGTERM
// (a graceful stop, so the next start is a clean one, as after a restart). One start first
// fills caches and the binary's private copy of its assets, and is not counted. Printed per
// command and data directory: the median, minimum and maximum wall time over the runs, and the
// broker's CPU time (user + system, from /proc, 10 ms resolution) at the listening line, which
// a loaded machine disturbs less than wall time. Also timed: `strand version`, exec to exit, the
// start of a CLI command.
//
// The 1,000-partition directory is made through the broker itself: 10 topics of 100 partitions
// created and filled by `strand perf produce` (2,000 records of 100 bytes per topic, in batches of
// 20 sent round the partitions, so every partition holds records), then the
// broker is stopped.
//
// `unclean` times the restart after a crash: the same 1,000-partition directory, opened by a
// broker that is SIGKILLed once listening (its active segments keep their preallocated tails,
// and no clean-shutdown marker is written); every timed start is then SIGKILLed too, so each
// one recovers the active segment of every partition, as after a real crash.
//
// Usage: node scripts/start-time.mjs [--runs N] [--only empty|partitions|unclean|version] [--json]
//                                    [--cmd "node dist/src/cli/main.js"]... [--keep DIR]
// Without --cmd: `node dist/src/cli/main.js` (run `npm run build:ts` first) and, when it exists,
// dist/strand-linux-<arch> (`npm run package`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(option('--runs', '5'));
const only = option('--only', undefined);
const json = args.includes('--json');
const keep = option('--keep', undefined);
const commands = args.flatMap((a, i) => (a === '--cmd' ? [args[i + 1].split(' ').filter((s) => s !== '')] : []));
if (commands.length === 0) {
  const main = join(root, 'dist/src/cli/main.js');
  if (!existsSync(main)) throw new Error(`start-time: ${main} is missing; run \`npm run build:ts\` or give --cmd`);
  commands.push([process.execPath, main]);
  const binary = join(root, `dist/strand-linux-${process.arch}`);
  if (existsSync(binary)) commands.push([binary]);
}
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    }).on('error', rej);
  });
}

function cpuMs(pid) {
  // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}

function connect(port) {
  return new Promise((res, rej) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      res();
    }).on('error', rej);
  });
}

/**
 * One start: resolves with wall and CPU milliseconds to the listening line; the broker is
 * stopped with SIGTERM, or with SIGKILL when `crash` (so the next start is an unclean one).
 */
async function startOnce(cmd, dataDir, crash = false) {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(cmd[0], [...cmd.slice(1), 'broker', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
    cwd: root,
    env: { ...process.env, STRAND_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s) => (err += s));
  const exited = new Promise((res) => child.on('exit', (code, signal) => res(code ?? signal)));
  const timing = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`start-time: no listening line within 60 s\n${out}${err}`)), 60_000);
    child.stdout.setEncoding('utf8').on('data', (s) => {
      out += s;
      if (/ listening on /.test(out)) {
        const wall = Number(process.hrtime.bigint() - started) / 1e6;
        const cpu = cpuMs(child.pid);
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        res({ wall, cpu });
      }
    });
    exited.then((code) => rej(new Error(`start-time: broker exited (${code}) before listening\n${out}${err}`)));
  });
  await connect(port);
  if (crash) {
    child.kill('SIGKILL');
    await exited;
    return timing;
  }
  child.kill('SIGTERM');
  const code = await exited;
  // A build that prints its listening line before it handles SIGTERM dies of the signal: the
  // next start is then an unclean one, which recovers the directory.
  if (code !== 0) console.warn(`start-time: the broker did not stop gracefully (${code}); the next start recovers\n${err}`);
  return timing;
}

/** `strand version`, exec to exit: the start of a CLI command (no CPU time: the child is gone). */
function versionOnce(cmd) {
  const started = process.hrtime.bigint();
  cli(cmd, ['version']);
  return { wall: Number(process.hrtime.bigint() - started) / 1e6, cpu: null };
}

function cli(cmd, cliArgs) {
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...cliArgs], { cwd: root, encoding: 'utf8', env: { ...process.env, STRAND_LOG_LEVEL: 'error' } });
  if (r.status !== 0) throw new Error(`start-time: strand ${cliArgs.join(' ')} failed (${r.status})\n${r.stdout}${r.stderr}`);
}

/** A data directory with 10 topics of 100 partitions holding 2,000 records each. */
async function fillPartitions(cmd, dataDir) {
  const port = await freePort();
  const child = spawn(cmd[0], [...cmd.slice(1), 'broker', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], { cwd: root, env: { ...process.env, STRAND_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((res, rej) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s) => {
      out += s;
      if (/ listening on /.test(out)) res();
    });
    child.on('exit', (code) => rej(new Error(`start-time: broker exited (${code})`)));
  });
  child.stdout.resume();
  const done = new Promise((res) => child.on('exit', res));
  for (let t = 0; t < 10; t++) {
    cli(cmd, ['perf', 'produce', '--bootstrap', `127.0.0.1:${port}`, '--topic', `start-time-${t}`, '--partitions', '100', '--num-records', '2000', '--batch-size', '20', '--record-size', '100', '--no-progress', '--json']);
  }
  child.kill('SIGTERM');
  await done;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = (xs) => ({ median: Math.round(median(xs)), min: Math.round(Math.min(...xs)), max: Math.round(Math.max(...xs)) });

const base = keep ?? mkdtempSync(join(tmpdir(), 'strand-start-time-'));
const results = [];
try {
  for (const cmd of commands) {
    const label = cmd.map((c) => c.replace(`${root}/`, '')).join(' ').replace(process.execPath, 'node');
    const cases = [];
    const wanted = (key) => only === undefined || only === key;
    if (wanted('empty')) cases.push({ name: 'empty', dir: join(base, `empty-${results.length}`), fill: null, target: 300 });
    if (wanted('partitions')) cases.push({ name: '1000 partitions', dir: join(base, `partitions-${results.length}`), fill: fillPartitions, target: 2000 });
    if (wanted('unclean')) cases.push({ name: 'unclean 1000', dir: join(base, `unclean-${results.length}`), fill: fillPartitions, crash: true, target: 2000 });
    if (wanted('version')) cases.push({ name: 'version', dir: null, fill: null, target: 300 });
    for (const c of cases) {
      if (c.dir !== null) rmSync(c.dir, { recursive: true, force: true });
      if (c.fill !== null) await c.fill(cmd, c.dir);
      const once = c.dir === null ? () => versionOnce(cmd) : () => startOnce(cmd, c.dir, c.crash === true);
      await once(); // warm-up, not counted (with `crash`, also the crash the first timed start recovers from)
      const wall = [];
      const cpu = [];
      for (let i = 0; i < runs; i++) {
        const t = await once();
        wall.push(t.wall);
        if (t.cpu !== null) cpu.push(t.cpu);
      }
      const row = { command: label, case: c.name, runs, wallMs: summary(wall), cpuMs: cpu.length > 0 ? summary(cpu) : null, targetMs: c.target };
      results.push(row);
      if (!json) {
        const w = row.wallMs;
        const p = row.cpuMs;
        const cpuText = p === null ? '' : `, cpu median ${p.median} ms (min ${p.min}, max ${p.max})`;
        console.log(`${label.padEnd(32)} ${c.name.padEnd(16)} wall median ${w.median} ms (min ${w.min}, max ${w.max})${cpuText}; target ${c.target} ms: ${w.median <= c.target ? 'met' : 'missed'}`);
      }
    }
  }
} finally {
  if (keep === undefined) rmSync(base, { recursive: true, force: true });
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
if (json) console.log(JSON.stringify({ load, results }));
else console.log(`load average ${load}`);
