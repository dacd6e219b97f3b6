#!/usr/bin/env node
// Builds the native addon (build/Release/strand_native.node) with node-gyp. Run by
// `npm install` (the package's "install" script).
//
// The addon is optional: strand falls back to its portable backend (node:fs + WebAssembly
// CRC-32C) without it. So a failed build prints one warning and exits 0, unless
// STRAND_REQUIRE_NATIVE=1 (CI, packaging), where it exits 1.
//
// Finding node-gyp, in order: the one npm hands to lifecycle scripts (npm_config_node_gyp),
// `node-gyp` on PATH, the copy bundled with the npm that ships beside this node binary.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.STRAND_REQUIRE_NATIVE === '1';
// Quiet (only the warning, with the tail of the compiler output) under `npm install` or --quiet.
const quiet = process.argv.includes('--quiet') || process.env.npm_lifecycle_event === 'install';

function findOnPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Candidate commands as [executable, leading args, description]. */
function nodeGypCandidates() {
  const candidates = [];
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) candidates.push([process.execPath, [fromNpm], fromNpm]);
  const onPath = findOnPath(process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp');
  if (onPath) candidates.push([onPath, [], onPath]);
  const prefix = dirname(dirname(process.execPath));
  for (const bundled of [
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]) {
    if (existsSync(bundled)) candidates.push([process.execPath, [bundled], bundled]);
  }
  return candidates;
}

/**
 * node-gyp downloads Node's headers unless told where they are. npm passes its `nodedir`
 * setting to scripts as npm_config_nodedir; when run by hand, use the headers installed beside
 * this node binary if there are any, so the build also works offline.
 */
function headerArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

function build() {
  const candidates = nodeGypCandidates();
  if (candidates.length === 0) return { ok: false, detail: 'node-gyp was not found (looked at npm_config_node_gyp, PATH and the npm bundled with node)' };
  const tried = [];
  for (const [command, args, description] of candidates) {
    const result = spawnSync(command, [...args, 'rebuild', ...headerArgs()], {
      cwd: root,
      stdio: quiet ? 'pipe' : 'inherit',
      env: process.env,
    });
    if (result.error) {
      tried.push(`${description}: ${result.error.message}`);
      continue; // could not even start: try the next node-gyp
    }
    if (result.status === 0) return { ok: true };
    // It ran and the build failed: another node-gyp would fail the same way.
    const output = quiet ? `\n${String(result.stderr ?? '').trim().split('\n').slice(-15).join('\n')}` : '';
    return { ok: false, detail: `${description} rebuild exited with ${result.status ?? result.signal}${output}` };
  }
  return { ok: false, detail: tried.join('; ') };
}

const outcome = build();
if (outcome.ok) {
  console.log('strand: native addon built (build/Release/strand_native.node)');
  process.exit(0);
}
const message =
  `strand: WARNING: the native addon could not be built (${outcome.detail}).\n` +
  `strand: the portable backend (node:fs + WebAssembly CRC-32C) will be used: it works, but\n` +
  `strand: without mmap'd zero-copy reads, the group-commit flusher thread or hardware CRC.\n` +
  `strand: to retry: install python3, make and a C++17 compiler, then run \`npm run build:native\`.`;
console.warn(message);
process.exit(required ? 1 : 0);
