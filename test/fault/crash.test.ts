import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.js';
import { bundleScript } from '../helpers/bundle.js';
import { tmpDir } from '../helpers/tmp.js';
import { expectedValue } from './fixtures/expected-value.js';

const writerSource = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

/** Run the writer until it has acknowledged something, kill -9 it after `ms`, return the highest acknowledged offset. */
async function runAndKill(dir: string, ms: number): Promise<number> {
  // Bundled: `--import tsx` would compile the sources at each of the 20 starts.
  const writer = await bundleScript(writerSource);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dir], { env: { ...process.env, STRAND_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let acked = -1;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') continue;
        const o = Number(line);
        if (o > acked) acked = o;
        if (timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${err}`));
      else resolve(acked);
    });
  });
}

describe('crash safety (SIGKILL during flush=always appends)', () => {
  it('keeps every acknowledged record, byte-identical and contiguous, across 20 kills', { timeout: 240_000 }, async () => {
    const dir = tmpDir();
    let maxAcked = -1;
    for (let round = 0; round < 20; round++) {
      const acked = await runAndKill(dir, 20 + Math.floor(Math.random() * 250));
      maxAcked = Math.max(maxAcked, acked);
      const log = await openLog(dir, { segmentBytes: 64 * 1024, indexIntervalBytes: 512 });
      try {
        expect(log.endOffset).toBeGreaterThan(maxAcked);
        let offset = log.startOffset;
        expect(offset).toBe(0);
        while (offset < log.endOffset) {
          const { records, nextOffset } = await log.read(offset, { maxBytes: 256 * 1024 });
          // expect() only on a mismatch: the log is read whole after every kill, and an expect()
          // per record costs far more than the comparison.
          for (const r of records) {
            if (r.offset !== offset) expect(r.offset).toBe(offset);
            const value = r.value!.toString();
            if (value !== expectedValue(offset)) expect(value, `value at ${offset}`).toBe(expectedValue(offset));
            const key = r.key!.toString();
            if (key !== `k${offset}`) expect(key, `key at ${offset}`).toBe(`k${offset}`);
            offset++;
          }
          expect(nextOffset).toBe(offset);
        }
      } finally {
        await log.close();
      }
    }
    expect(maxAcked).toBeGreaterThan(100);
  });
});
