#!/usr/bin/env node
// `npm test`: builds what is missing, then runs the whole vitest suite once per storage backend
// (native addon, then portable) and ends with one "N passed, N failed" line over both runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });

if (!existsSync(join(root, 'build/Release/strand_native.node'))) {
  console.log('test: building the native addon (npm run build:native)');
  if (run('npm', ['run', 'build:native']).status !== 0) {
    console.error('test: the native addon does not build; install g++, make and python3, then run `npm run build:native`');
    process.exit(1);
  }
}
if (!existsSync(join(root, 'wasm/build/crc32c.wasm'))) {
  console.log('test: building the WebAssembly kernel (npm run build:wasm)');
  if (run('npm', ['run', 'build:wasm']).status !== 0) process.exit(1);
}

/**
 * Makes sure a system tool the tests use is there: when `ready()` says no and this runs as root
 * with apt-get, installs `packages` from Debian; exits with a message saying how to install them
 * (and `skip`, how to go without) when it still is not.
 */
function ensureSystemPackages(packages, why, ready, skip = '') {
  if (ready()) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0) {
    console.log(`test: installing ${packages.join(' ')} (apt-get install -y)`);
    run('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages.join(' ')}`]);
  }
  if (!ready()) {
    console.error(`test: ${why}. Install it with:\n  sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}${skip}`);
    process.exit(1);
  }
}

// kcat (librdkafka) is the second real client of the interop tests.
ensureSystemPackages(['kcat'], 'kcat is needed by the interop tests and is not installed', () => spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0);
// kafka-python (Debian's python3-kafka, with its codecs) is the third: the Python client.
const kafkaPython = () => ['/usr/bin/python3', 'python3'].some((bin) => spawnSync(bin, ['-c', 'import kafka, snappy, lz4.frame, zstandard'], { stdio: 'ignore' }).status === 0);
ensureSystemPackages(['python3-kafka', 'python3-snappy', 'python3-lz4', 'python3-zstandard'], 'kafka-python is needed by the interop tests and is not installed', kafkaPython);
// node-rdkafka (librdkafka 2.12, built from its bundled source at install) for the tests of the
// consumer group protocol and transactions through librdkafka; rebuilt once the libraries are in.
const rdkafkaLoads = () => run(process.execPath, ['-e', "require('node-rdkafka')"]).status === 0 || run('npm', ['rebuild', 'node-rdkafka']).status === 0;
ensureSystemPackages(['zlib1g-dev', 'libssl-dev', 'libzstd-dev', 'liblz4-dev', 'libsasl2-dev', 'libcurl4-openssl-dev'], 'node-rdkafka (a dev dependency) did not build', rdkafkaLoads);
// The power-cut tests mount a FUSE file system of ours (test/fault/powercut/powercutfs.c).
if (process.env.STRAND_NO_FUSE !== '1') {
  ensureSystemPackages(['libfuse3-dev', 'fuse3', 'pkg-config'], 'the power-cut file system needs libfuse3', () => run(process.execPath, ['scripts/build-powercutfs.mjs']).status === 0, '\nor set STRAND_NO_FUSE=1 to skip the power-cut tests');
}
// The cluster tests run a real etcd (test/helpers/etcd.ts).
if (process.env.STRAND_NO_ETCD !== '1') {
  ensureSystemPackages(['etcd-server'], 'the cluster tests need etcd', () => spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0, '\nor set STRAND_NO_ETCD=1 to skip the cluster tests');
}

const backends = (process.env.STRAND_TEST_BACKENDS ?? 'native,portable').split(',');
const extra = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let status = 0;
// Failures are listed again after both runs: vitest prints them mid-log, far above the last line.
const failures = [];
const out = mkdtempSync(join(tmpdir(), 'strand-vitest-'));
for (const backend of backends) {
  console.log(`\n=== test suite with STRAND_BACKEND=${backend} ===`);
  const json = join(out, `${backend}.json`);
  // The second pass runs what touches the storage backend: the protocol codecs, the cluster
  // (etcd, broker processes), security (TLS, SASL), the group state machines, the CLI, the
  // benchmark smoke run, librdkafka's transaction and group protocol suites and the fuzzing of
  // request frames (the broker's parsing, not its storage) do not depend on it, and they ran in
  // the first.
  const notStorage = ['test/protocol/**', 'test/cluster/**', 'test/security/**', 'test/broker/groups/**', 'test/cli/**', 'test/bench/**', 'test/perf/**', 'test/interop/rdkafka-*', 'test/interop/kafka-python*', 'test/interop/security-*', 'test/http/**', 'test/client/sasl-client.test.ts', 'test/broker/fuzz.test.ts', 'test/broker/cluster-state/**'];
  const portableOnly = backend === 'portable' ? notStorage.flatMap((g) => ['--exclude', g]) : [];
  const r = run(join(root, 'node_modules/.bin/vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${json}`, ...portableOnly, ...extra], { STRAND_BACKEND: backend, STRAND_LOG_LEVEL: process.env.STRAND_LOG_LEVEL ?? 'warn' });
  if (r.status !== 0) status = 1;
  if (existsSync(json)) {
    const report = JSON.parse(readFileSync(json, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    if (report.numTotalTests === 0) status = 1;
    for (const file of report.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        if (t.status === 'failed') failures.push(`[${backend}] ${file.name.replace(root, '')} > ${t.fullName}\n    ${(t.failureMessages?.[0] ?? '').split('\n')[0]}`);
      }
      if (file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed')) failures.push(`[${backend}] ${file.name.replace(root, '')}: ${(file.message ?? 'failed').split('\n')[0]}`);
    }
  } else {
    status = 1;
    failed += 1;
  }
}
rmSync(out, { recursive: true, force: true });
if (failures.length > 0) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(status);
