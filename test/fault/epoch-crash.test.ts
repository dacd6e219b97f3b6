/**
 * Fault: SIGKILL of a process whose partition changes leader epoch every few appends, while the
 * store checkpoints its recovery points every 5 ms. Workload: test/fault/fixtures/epoch-writer.ts.
 * Invariant, after each of 15 kills and an unclean open: the leader epoch cache is exactly what
 * the batches' partitionLeaderEpoch fields say (each epoch starting at its first batch, none past
 * the end), and every acknowledged offset is in the log.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BASE_OFFSET, PARTITION_LEADER_EPOCH, readInt64 } from '../../src/format/batch-header.js';
import { openStore } from '../../src/index.js';
import type { Log } from '../../src/storage/log.js';
import { bundleScript } from '../helpers/bundle.js';
import { tmpDir } from '../helpers/tmp.js';

const writerSource = fileURLToPath(new URL('./fixtures/epoch-writer.ts', import.meta.url));

async function runAndKill(dir: string, ms: number): Promise<number> {
  // Bundled: `--import tsx` would compile the sources at each of the 15 starts.
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
        acked = Math.max(acked, Number(line));
        timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${err}`));
      else resolve(acked);
    });
  });
}

/** The epoch entries the batches themselves give: each epoch from its first batch. */
function epochsOfBatches(log: Log): { epoch: number; startOffset: number }[] {
  const out: { epoch: number; startOffset: number }[] = [];
  for (let o = log.startOffset; o < log.endOffset;) {
    const s = log.readSlice(o, 1 << 20)!;
    for (let pos = 0; pos < s.view.length; pos += s.view.readInt32BE(pos + 8) + 12) {
      const epoch = s.view.readInt32BE(pos + PARTITION_LEADER_EPOCH);
      if (out.at(-1)?.epoch !== epoch) out.push({ epoch, startOffset: readInt64(s.view, pos + BASE_OFFSET) });
    }
    o = s.nextOffset;
  }
  return out;
}

describe('leader epochs across SIGKILL (checkpoints every 5 ms, epoch change every 1-3 appends)', () => {
  it('the epoch cache matches the batches after each of 15 kills', { timeout: 240_000 }, async () => {
    const dir = tmpDir();
    let maxAcked = -1;
    let epochsSeen = 0;
    for (let round = 0; round < 15; round++) {
      maxAcked = Math.max(maxAcked, await runAndKill(dir, 30 + Math.floor(Math.random() * 200)));
      const store = await openStore(dir, { defaults: { segmentBytes: 16 * 1024, indexIntervalBytes: 512 }, checkpointIntervalMs: 0 });
      try {
        const log = (await store.partition('t', 0))!;
        expect(log.endOffset).toBeGreaterThan(maxAcked);
        const expected = epochsOfBatches(log);
        expect(log.leaderEpochEntries(), `round ${round}`).toEqual(expected);
        expect(log.latestEpoch).toBe(expected.at(-1)!.epoch);
        epochsSeen = expected.length;
      } finally {
        await store.close();
      }
    }
    expect(epochsSeen).toBeGreaterThan(30);
  });
});
