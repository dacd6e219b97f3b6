#!/usr/bin/env node
// Builds the power-cut test file system (the C files of test/fault/powercut/) into
// build/powercutfs when it is missing or older than its sources. Needs gcc, pkg-config and
// libfuse3's headers; exits 1 naming the packages to install when they are missing.
// `--force` rebuilds anyway.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'test/fault/powercut');
const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).map((f) => join(sourceDir, f));
const output = join(root, 'build/powercutfs');
const install = 'apt-get install -y libfuse3-dev fuse3 pkg-config';

function fail(message) {
  console.error(`build-powercutfs: ${message}`);
  process.exit(1);
}

const newestSource = Math.max(...sources.map((f) => statSync(f).mtimeMs));
if (!process.argv.includes('--force') && existsSync(output) && statSync(output).mtimeMs >= newestSource) {
  process.exit(0);
}

const flags = spawnSync('pkg-config', ['fuse3', '--cflags', '--libs'], { encoding: 'utf8' });
if (flags.error || flags.status !== 0) {
  fail(`libfuse3 was not found through pkg-config (${flags.error?.message ?? flags.stderr.trim()}); install it with:\n  ${install}`);
}
if (!existsSync('/dev/fuse')) console.warn('build-powercutfs: /dev/fuse is missing: the file system builds but cannot mount here');

mkdirSync(dirname(output), { recursive: true });
// Compiled beside the target and renamed over it, so test files building at once never run a
// half-written binary.
const temp = `${output}.${process.pid}.tmp`;
const cc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', temp, ...sources.filter((f) => f.endsWith('.c')), ...flags.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
if (cc.error || cc.status !== 0) {
  rmSync(temp, { force: true });
  fail(`gcc failed (${cc.error?.message ?? `exit ${cc.status}`}):\n${cc.stderr ?? ''}\nIf a header or gcc is missing:\n  apt-get install -y gcc ${install.replace('apt-get install -y ', '')}`);
}
renameSync(temp, output);
console.log(`build-powercutfs: built ${output}`);
