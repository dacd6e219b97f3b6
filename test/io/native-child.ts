/**
 * Runs a CommonJS snippet in a fresh `node` process against the raw addon, for what a vitest
 * worker cannot do itself: call `gc()` (--expose-gc), read its own /proc/self/maps cleanly,
 * run under resource limits, or prove that a process exits (or survives a worker's teardown).
 * The snippet gets `addon` (the loaded addon, initialized) and `env.DIR` (a scratch dir).
 */
import { spawnSync } from 'node:child_process';
import { loadNativeBackend } from '../../src/io/native.js';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runNativeChild(body: string, dir: string, options: { shellPrefix?: string; timeoutMs?: number } = {}): ChildResult {
  const { addonPath } = loadNativeBackend();
  const script = `
const addon = require(process.env.STRAND_ADDON);
addon.initialize(class StorageIOError extends Error { constructor(m, p) { super(m); this.code = 'ERR_STRAND_IO'; this.path = p; } });
const fs = require('fs'); const path = require('path'); const env = process.env;
const gcAndSettle = async () => { for (let i = 0; i < 4; i++) { global.gc(); await new Promise((r) => setImmediate(r)); } };
(async () => { ${body} })().catch((e) => { console.error(e && e.stack || e); process.exit(2); });
`;
  const nodeArgs = ['--expose-gc', '-e', script];
  const started = Date.now();
  const env = { ...process.env, STRAND_ADDON: addonPath, DIR: dir };
  const r = options.shellPrefix
    ? spawnSync('/bin/bash', ['-c', `${options.shellPrefix} exec "$0" "$@"`, process.execPath, ...nodeArgs], { env, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 })
    : spawnSync(process.execPath, nodeArgs, { env, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}
