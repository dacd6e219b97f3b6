/**
 * The single-file binary (`npm run package`, scripts/package.mjs): built once, then run in a
 * clean environment (an empty HOME, a PATH with no node in it, a fresh temporary directory as
 * TMPDIR, so its private copy of the assets is made from scratch) as `strand version`, as a
 * broker that kcat produces to and consumes from (zstd, so a codec addon carried as an asset
 * loads, and a batch large enough for the worker pool), and as the tools against it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kcat } from '../helpers/kcat-cli.js';
import { until } from '../helpers/until.js';
import { runProgram } from '../helpers/program.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'strand-package-'));
const binary = join(work, 'strand-linux-x64');
const home = join(work, 'home');
const runtime = join(work, 'tmp');
const emptyBin = join(work, 'bin');
const cleanEnv = (extra: Record<string, string> = {}) => ({ HOME: home, PATH: emptyBin, TMPDIR: runtime, ...extra });


const runBinary = (args: string[], env: Record<string, string> = {}, input = '') => runProgram(binary, args, { cwd: work, env: cleanEnv(env), input, timeoutMs: 30_000 });

beforeAll(async () => {
  for (const dir of [home, runtime, emptyBin]) mkdirSync(dir);
  // The build writes beside the repository's dist/sea; the binary itself goes to this test's folder.
  const r = await runProgram(process.execPath, ['scripts/package.mjs', '--out', binary], { cwd: ROOT, env: process.env, timeoutMs: 110_000 });
  if (r.code !== 0) throw new Error(`npm run package failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the single-file binary', () => {
  it('is one executable file that names its versions and storage backend', async () => {
    expect(statSync(binary).mode & 0o111).toBe(0o111);
    const r = await runBinary(['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [strand, node, backend] = r.stdout.trimEnd().split('\n');
    expect(strand).toBe('strand 0.1.0');
    expect(node).toBe(`node ${process.version} (linux-x64), single executable`);
    // The addon and its private copy: <TMPDIR>/strand-<uid>/<version>-<hash>/, this user's only.
    const base = join(runtime, `strand-${process.getuid!()}`);
    expect(statSync(base).mode & 0o777).toBe(0o700);
    const [copy] = readdirSync(base);
    expect(backend).toMatch(new RegExp(`^storage backend native \\(CRC-32C (sse4\\.2|armv8-crc|software), ${join(base, copy!, 'build/Release/strand_native.node').replace(/[.+]/g, '\\$&')}\\)$`));
    expect((await runBinary(['version'], { STRAND_BACKEND: 'portable' })).stdout.trimEnd().split('\n')[2]).toBe('storage backend portable (node:fs, WebAssembly CRC-32C)');
  });

  it('runs a broker that kcat and the tools talk to, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(work, 'data');
    const broker: ChildProcess = spawn(binary, ['broker', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { cwd: work, env: cleanEnv({ STRAND_LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    broker.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    broker.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => broker.on('exit', (code) => resolve(code)));
    try {
      const bootstrap = await until('the broker to listen', () => /listening on (127\.0\.0\.1:\d+)/.exec(out)?.[1], 30_000);
      // 3,000 records of 100 bytes in zstd batches: the codec package loads from the private copy,
      // and batches this large are validated in the worker pool (its thread script is an asset too).
      const lines = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(6, '0')}-${'x'.repeat(93)}`);
      const produced = await kcat(['-P', '-b', bootstrap, '-t', 'binary', '-z', 'zstd'], lines.join('\n') + '\n');
      expect(produced.code).toBe(0);
      const consumed = await kcat(['-C', '-b', bootstrap, '-t', 'binary', '-e', '-q']);
      expect(consumed.stdout.trimEnd().split('\n')).toEqual(lines);

      const topics = await runBinary(['topics', 'list', '-b', bootstrap]);
      expect(topics.code).toBe(0);
      expect(topics.stdout.split('\n')).toContain('binary');
      expect((await runBinary(['produce', 'binary', '-b', bootstrap], {}, 'from-the-tools\n')).code).toBe(0);
      const tail = await runBinary(['consume', 'binary', '-b', bootstrap, '-o', '-1', '-e']);
      expect(tail).toMatchObject({ code: 0, stdout: 'from-the-tools\n' });
      expect(err).toContain('"msg":"storage backend: native addon"');
    } finally {
      broker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(err).toContain('"msg":"broker stopped cleanly"');
  });
});
