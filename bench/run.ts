/**
 * `npm run bench`: runs every benchmark in a fresh child process (so native code and peak RSS
 * are not polluted by what ran before), prints one summary table, writes bench/results/<date>.json.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type BenchRow, ROWS_MARKER, SCALE, printTable, writeResults } from './lib.js';

const suites: Array<[string, string[]]> = [
  ['crc32c.ts', []],
  ['codecs.ts', []],
  ['append.ts', ['none']],
  ['append.ts', ['durable']],
  ['append.ts', ['read']],
];

const rows: BenchRow[] = [];
for (const [file, args] of suites) {
  const path = fileURLToPath(new URL(file, import.meta.url));
  process.stderr.write(`bench: ${file} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path, ...args], { encoding: 'utf8', env: { ...process.env, STRAND_LOG_LEVEL: 'warn' }, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`benchmark ${file} ${args.join(' ')} failed with status ${r.status}`);
  }
  for (const line of r.stdout.split('\n')) if (line.startsWith(ROWS_MARKER)) rows.push(...(JSON.parse(line.slice(ROWS_MARKER.length)) as BenchRow[]));
}
printTable(rows);
const file = writeResults(rows, { date: new Date().toISOString(), scale: SCALE, node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, backend: process.env.STRAND_BACKEND ?? 'native' });
console.log(`\nresults: ${file}`);
