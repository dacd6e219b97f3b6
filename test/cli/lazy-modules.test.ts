/**
 * What a start loads. A single broker without `http.listeners` or `cluster.etcd` loads neither
 * the HTTP layer (fastify, ajv, prom-client, the schema registry's avsc and protobufjs) nor the
 * cluster layer (etcd3, gRPC), and a CLI command loads only what its own module needs: each is a
 * few hundred milliseconds of start (issue 17's start-time targets), so an eager import of any of
 * them fails here. Nor does the library's entry (`import { openLog } from 'strand'`) load the
 * broker's packages before `startBroker()` is called.
 *
 * The CLI is bundled as the single-file binary bundles it (scripts/package-entry.mjs into one
 * CommonJS script, where a dynamic import stays lazy), but with every package left outside the
 * bundle, so that `require.cache` lists each package the process loaded; a preload script writes
 * that list when the process exits.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Inside the repository, so the storage backend finds the native addon as it does from src/.
const work = join(ROOT, 'node_modules/.cache/strand-lazy-modules', String(process.pid));
const bundle = join(work, 'main.cjs');
const library = join(work, 'library.cjs');
const preload = join(work, 'list-packages.cjs');

/** Packages of the HTTP layer, the cluster layer and `strand perf`. */
const HTTP = ['fastify', 'ajv', 'prom-client', 'avsc', 'protobufjs'];
const CLUSTER = ['etcd3', '@grpc/grpc-js', 'cockatiel'];
const PERF = ['hdr-histogram-js', 'cli-progress', 'yaml'];

beforeAll(async () => {
  mkdirSync(work, { recursive: true });
  await build({
    entryPoints: [join(ROOT, 'scripts/package-entry.mjs')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    define: { 'import.meta.url': 'globalThis.__strandUrl' },
  });
  await build({
    entryPoints: [join(ROOT, 'src/index.ts')],
    outfile: library,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
    define: { 'import.meta.url': '__strandUrl' },
    banner: { js: "var __strandUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  writeFileSync(preload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.STRAND_TEST_PACKAGES, JSON.stringify(Object.keys(require.cache))));\n");
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The packages a run of the CLI loaded, by name, in load order. */
function packagesOf(file: string): string[] {
  const names = (JSON.parse(readFileSync(file, 'utf8')) as string[]).flatMap((path) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    return m === null ? [] : [m[1]!];
  });
  return [...new Set(names)];
}

/** Runs the CLI to its end; with `untilLine`, stops it with SIGTERM once stdout has that line. */
function runCli(args: string[], untilLine?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string; packages: string[] }> {
  return runNode([bundle, ...args], untilLine);
}

function runNode(args: string[], untilLine?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string; packages: string[] }> {
  const list = join(mkdtempSync(join(work, 'run-')), 'packages.json');
  const child = spawn(process.execPath, ['--require', preload, ...args], {
    cwd: work,
    env: { ...process.env, STRAND_TEST_PACKAGES: list, STRAND_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let stopped = false;
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    if (untilLine !== undefined && !stopped && untilLine.test(stdout)) {
      stopped = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, stdout, stderr, packages: packagesOf(list) });
      } catch (err) {
        reject(new Error(`the CLI (exit ${code}) wrote no package list: ${(err as Error).message}\n${stdout}${stderr}`));
      }
    });
  });
}

const listening = /^strand broker 0 listening on /m;

// The three run at once: each is one or a few processes of their own, in folders of their own.
describe.concurrent('modules loaded at start', () => {
  it('a single broker without http.listeners or a cluster loads neither the HTTP nor the cluster layer', async ({ expect }) => {
    const r = await runCli(['broker', '--data-dir', mkdtempSync(join(work, 'data-')), '--listen', '127.0.0.1:0'], listening);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.packages.filter((p) => [...HTTP, ...CLUSTER, ...PERF].includes(p))).toEqual([]);
    // The list sees what the broker does load: its logger, and the pool of its storage layer.
    expect(r.packages).toContain('pino');
    expect(r.packages).toContain('piscina');
  });

  it('a broker with http.listeners loads the HTTP layer, and still not the cluster layer', async ({ expect }) => {
    const r = await runCli(['broker', '--data-dir', mkdtempSync(join(work, 'data-')), '--listen', '127.0.0.1:0', '--override', 'http.listeners=http://127.0.0.1:0'], listening);
    expect(r.code).toBe(0);
    expect(HTTP.filter((p) => !r.packages.includes(p))).toEqual([]);
    expect(r.packages.filter((p) => [...CLUSTER, ...PERF].includes(p))).toEqual([]);
  });

  it('a CLI command loads only what its own module needs', async ({ expect }) => {
    const [version, perf, topics] = await Promise.all([runCli(['version']), runCli(['perf', 'produce', '--help']), runCli(['topics', 'list', '--help'])]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^strand 0\.1\.0\n/);
    expect(version.packages.filter((p) => [...HTTP, ...CLUSTER, ...PERF, 'jose', '@bufbuild/protobuf'].includes(p))).toEqual([]);
    // `strand perf` loads its own packages, which no other command does.
    expect(perf.code).toBe(0);
    expect(PERF.filter((p) => !perf.packages.includes(p))).toEqual([]);
    expect(topics.code).toBe(0);
    expect(topics.packages.filter((p) => [...HTTP, ...CLUSTER, ...PERF].includes(p))).toEqual([]);
  });

  it('the library entry loads the storage layer, not the broker', async ({ expect }) => {
    const r = await runNode(['-e', `const strand = require(${JSON.stringify(library)}); console.log(typeof strand.openLog, typeof strand.startBroker)`]);
    expect(r).toMatchObject({ code: 0, stdout: 'function function\n', stderr: '' });
    expect(r.packages.filter((p) => [...HTTP, ...CLUSTER, ...PERF, 'jose', '@bufbuild/protobuf'].includes(p))).toEqual([]);
  });
});
