import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.js';
import type { Log } from '../../src/storage/log.js';
import { bundleScript } from '../helpers/bundle.js';
import { tmpDir } from '../helpers/tmp.js';
import { CLEANER_CRASH_CONFIG, keyAt, valueAt } from './fixtures/cleaner-records.js';

const childSource = fileURLToPath(new URL('./fixtures/cleaner-crash-child.ts', import.meta.url));
const STEPS = ['cleaned', 'swap', 'deleted', 'renamed', 'done'] as const;

/** Run the child until it dies: killed by us `delayMs` after its first compaction starts, or by itself at a swap step. Returns the highest synced offset. */
async function runUntilKilled(dir: string, killAt: { delayMs: number } | { step: string; occurrence: number }): Promise<{ acked: number; lastLine: string }> {
  // Bundled: `--import tsx` would compile the sources at every start.
  const child = await bundleScript(childSource);
  return new Promise((resolve, reject) => {
    const args = 'step' in killAt ? [killAt.step, String(killAt.occurrence)] : ['none'];
    const p = spawn(process.execPath, [child, dir, ...args], { env: { ...process.env, STRAND_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let acked = -1;
    let lastLine = '';
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        lastLine = line;
        if (line.startsWith('acked ')) acked = Math.max(acked, Number(line.slice(6)));
        if (line === 'pass' && 'delayMs' in killAt && timer === undefined) timer = setTimeout(() => p.kill('SIGKILL'), killAt.delayMs);
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // A step kill that never comes (a pass with fewer swaps) is cut short by us.
    const guard = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('exit', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code}: ${err}`));
      else resolve({ acked, lastLine });
    });
  });
}

/** Check every record of `log` against what the child wrote, and that the latest of every key is there; returns the record count. */
async function checkComplete(log: Log, context: string): Promise<number> {
  const end = log.endOffset;
  // Every record read back is the one written at its offset, offsets strictly increasing.
  const presentAt = new Map<string, number>();
  let last = -1;
  let count = 0;
  for (let offset = log.startOffset; offset < end;) {
    const { records, nextOffset } = await log.read(offset, { maxBytes: 1 << 20 });
    // expect() only on a mismatch: the whole log is read after every kill, and an expect() per
    // record costs far more than the comparison.
    for (const r of records) {
      if (r.offset <= last) expect(r.offset).toBeGreaterThan(last);
      last = r.offset;
      const key = r.key!.toString();
      if (key !== keyAt(r.offset)) expect(key, `key at ${r.offset}`).toBe(keyAt(r.offset));
      const value = r.value === null ? null : r.value.toString();
      if (value !== valueAt(r.offset)) expect(value, `value at ${r.offset}`).toBe(valueAt(r.offset));
      presentAt.set(key, r.offset);
      count++;
    }
    expect(nextOffset).toBeGreaterThan(offset);
    offset = nextOffset;
  }
  // The latest record of every key is there (a tombstone may be gone, but then no older value is left).
  const latest = new Map<string, number>();
  for (let o = 0; o < end; o++) latest.set(keyAt(o), o);
  for (const [key, o] of latest) {
    if (valueAt(o) !== null) expect(presentAt.get(key), `${key} after ${context}`).toBe(o);
    else if (presentAt.has(key)) expect(presentAt.get(key), `${key} after ${context}`).toBe(o);
  }
  return count;
}

describe('crash safety of the log cleaner (SIGKILL during compaction)', () => {
  it('reopens readable and complete, with every latest value, after kills at random points of cleaning passes', { timeout: 240_000 }, async () => {
    const dir = tmpDir();
    let maxAcked = -1;
    const kills: string[] = [];
    for (let round = 0; round < 12; round++) {
      const killAt = round % 2 === 0
        ? { delayMs: Math.floor(Math.random() * 400) }
        : { step: STEPS[Math.floor(Math.random() * STEPS.length)]!, occurrence: 1 + Math.floor(Math.random() * 12) };
      const { acked, lastLine } = await runUntilKilled(dir, killAt);
      kills.push(`${JSON.stringify(killAt)} after "${lastLine}"`);
      maxAcked = Math.max(maxAcked, acked);
      const log = await openLog(dir, CLEANER_CRASH_CONFIG);
      try {
        expect(readdirSync(dir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n)), kills.join(' ')).toEqual([]);
        expect(log.endOffset).toBeGreaterThan(maxAcked);
        await checkComplete(log, kills.join(' '));
      } finally {
        await log.close();
      }
    }
    // The passes did their job: compacted once more here, the log holds about one record per key.
    const log = await openLog(dir, CLEANER_CRASH_CONFIG);
    try {
      log.roll();
      await log.compact();
      expect(await checkComplete(log, 'final')).toBeLessThanOrEqual(97);
    } finally {
      await log.close();
    }
    expect(maxAcked).toBeGreaterThan(6000);
    // Most kills landed inside a pass (after a pass started or a swap step, not during appends).
    expect(kills.filter((k) => /after "(pass|step \w+)"/.test(k)).length, kills.join('\n')).toBeGreaterThanOrEqual(8);
    console.log(`cleaner crash rounds:\n${kills.join('\n')}`);
  });
});
