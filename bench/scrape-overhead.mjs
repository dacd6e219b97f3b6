#!/usr/bin/env node
// What leaving /metrics on costs: `strand perf produce` against one broker, alternating runs
// with Prometheus-style scraping of the admin listener every second and runs without, each on a
// fresh topic; prints every run and the ratio of the medians. Loopback only, bounded runs.
//
//   node bench/scrape-overhead.mjs [path/to/cli/main.js] [records per run] [pairs]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cli = process.argv[2] ?? 'dist/src/cli/main.js';
const records = Number(process.argv[3] ?? 2_000_000);
const pairs = Number(process.argv[4] ?? 3);
const dataDir = mkdtempSync(join(tmpdir(), 'strand-scrape-bench-'));
const kafka = '127.0.0.1:19192';
const http = 'http://127.0.0.1:18180';

const broker = spawn(process.execPath, [cli, 'broker', '--data-dir', dataDir, '--listen', kafka, '--override', `http.listeners=${http}`], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, STRAND_LOG_LEVEL: 'warn' } });
await new Promise((resolve, reject) => {
  broker.stdout.on('data', (d) => String(d).includes('listening on') && resolve());
  broker.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
});

/** One `strand perf produce` run in a child (asynchronously: this process scrapes meanwhile). */
function perf(topic) {
  const child = spawn(process.execPath, [cli, 'perf', 'produce', '-b', kafka, '-t', topic, '-n', String(records), '-s', '100', '--acks', '1', '--json', '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`perf failed: ${err}`)))));
}

async function run(topic, scraping) {
  let scrapes = 0;
  let bytes = 0;
  let timer = null;
  if (scraping) {
    timer = setInterval(async () => {
      const body = await (await fetch(`${http}/metrics`)).text();
      scrapes++;
      bytes = body.length;
    }, 1000);
  }
  const result = await perf(topic);
  if (timer) clearInterval(timer);
  return { result, scrapes, bytes };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rates = { off: [], on: [] };
try {
  for (let i = 0; i < pairs; i++) {
    for (const scraping of i % 2 === 0 ? [false, true] : [true, false]) {
      const { result, scrapes, bytes } = await run(`bench-${i}-${scraping ? 'on' : 'off'}`, scraping);
      const rate = result.recordsPerSec ?? result.records_per_sec ?? result.rate;
      rates[scraping ? 'on' : 'off'].push(rate);
      console.log(`run ${i} scraping=${scraping ? 'every 1 s' : 'off'}: ${Math.round(rate).toLocaleString('en')} records/s${scraping ? ` (${scrapes} scrapes of ${bytes} bytes)` : ''}`);
    }
  }
  const on = median(rates.on);
  const off = median(rates.off);
  console.log(`median with scraping ${Math.round(on).toLocaleString('en')} records/s, without ${Math.round(off).toLocaleString('en')} records/s: ratio ${(on / off).toFixed(3)}`);
} finally {
  broker.kill('SIGTERM');
  await new Promise((r) => broker.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
