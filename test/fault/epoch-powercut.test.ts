/**
 * Fault: power cuts (the power-cut file system: only what was fsynced survives) under a store
 * whose partition changes leader epoch every few appends while its checkpoints are written every
 * 5 ms. Workload: test/fault/fixtures/epoch-writer.ts. Invariant after each cut and an unclean
 * open of what survived: the leader epoch cache is exactly what the surviving batches'
 * partitionLeaderEpoch fields say, and every acknowledged offset survived. A checkpointed
 * recovery point that passed an epoch's first batch before the epoch's checkpoint write was
 * durable would leave that epoch starting at the recovery point instead.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { BASE_OFFSET, BATCH_LENGTH, LOG_OVERHEAD, PARTITION_LEADER_EPOCH, readInt64 } from '../../src/format/batch-header.js';
import { openStore } from '../../src/index.js';
import { logger } from '../../src/logger.js';
import type { Log } from '../../src/storage/log.js';
import { bundleScript } from '../helpers/bundle.js';
import { type PowercutFs, mountPowercutFs, powercutFsSkipped } from '../helpers/powercut-fs.js';

const writerSource = fileURLToPath(new URL('./fixtures/epoch-writer.ts', import.meta.url));

/** Run the writer on the mount, cut the power `runMs` after its first acknowledgement, kill it, unmount. Resolves with the highest acknowledged offset. */
async function cutDuringWrites(fs: PowercutFs, runMs: number, torn: boolean): Promise<number> {
  const writer = await bundleScript(writerSource);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, join(fs.mountpoint, 'data')], { env: { ...process.env, STRAND_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let acked = -1;
    let cutDone: Promise<void> | null = null;
    const cut = (): void => {
      cutDone ??= fs.cut({ torn, seed: Math.floor(Math.random() * 2 ** 31) }).finally(() => child.kill('SIGKILL'));
    };
    const deadline = setTimeout(cut, 10_000);
    let scheduled = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') continue;
        acked = Math.max(acked, Number(line));
        if (!scheduled) {
          scheduled = true;
          setTimeout(cut, runMs);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      if (cutDone === null) {
        reject(new Error(`writer exited (${signal ?? code}) before the power cut: ${err}`));
        return;
      }
      void cutDone.then(() => fs.unmount()).then(() => resolve(acked), reject);
    });
  });
}

/** The epoch entries the batches give: each epoch from its first batch. */
function epochsOfBatches(log: Log): { epoch: number; startOffset: number }[] {
  const out: { epoch: number; startOffset: number }[] = [];
  for (let o = log.startOffset; o < log.endOffset;) {
    const s = log.readSlice(o, 1 << 20)!;
    for (let pos = 0; pos < s.view.length; pos += s.view.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD) {
      const epoch = s.view.readInt32BE(pos + PARTITION_LEADER_EPOCH);
      if (out.at(-1)?.epoch !== epoch) out.push({ epoch, startOffset: readInt64(s.view, pos + BASE_OFFSET) });
    }
    o = s.nextOffset;
  }
  return out;
}

describe.skipIf(powercutFsSkipped)('leader epochs across power cuts', () => {
  it('the epoch cache matches the surviving batches after each of 30 cuts', { timeout: 600_000 }, async () => {
    const fs = await mountPowercutFs();
    let maxAcked = -1;
    let epochs = 0;
    try {
      for (let round = 0; round < 30; round++) {
        if (round > 0) await fs.remount();
        maxAcked = Math.max(maxAcked, await cutDuringWrites(fs, Math.floor(Math.random() * 150), round % 2 === 1));
        const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
        const store = await openStore(join(fs.backing, 'data'), { defaults: { segmentBytes: 16 * 1024, indexIntervalBytes: 512 }, checkpointIntervalMs: 0 });
        warn.mockRestore();
        try {
          const log = (await store.partition('t', 0))!;
          expect(log.endOffset, `round ${round}: end vs highest acknowledged offset`).toBeGreaterThan(maxAcked);
          const expected = epochsOfBatches(log);
          expect(log.leaderEpochEntries(), `round ${round}`).toEqual(expected);
          epochs = expected.length;
        } finally {
          await store.close();
        }
      }
    } finally {
      await fs.dispose();
    }
    expect(epochs).toBeGreaterThan(50);
  });
});
