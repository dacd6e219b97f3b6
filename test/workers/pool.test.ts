import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClosedError, CorruptBatchError, InvalidRecordError } from '../../src/errors.js';
import { batchCodec, compressBatch, decompressBatch, recompressBatches } from '../../src/format/compression.js';
import { encodeBatch, readBatchRecords } from '../../src/format/record-batch.js';
import type { RecordInput, StoredRecord } from '../../src/format/record.js';
import { BatchPool, closeDefaultBatchPool, defaultBatchPool } from '../../src/workers/pool.js';

const records = (n: number, size = 100): RecordInput[] => Array.from({ length: n }, (_, i) => ({
  key: `key-${i}`, value: `value ${i} `.padEnd(size, String.fromCharCode(97 + (i % 26))), timestamp: 1_700_000_000_000 + i,
}));

function values(batches: Buffer): string[] {
  const out: StoredRecord[] = [];
  for (let pos = 0; pos < batches.length;) {
    const size = batches.readInt32BE(pos + 8) + 12;
    readBatchRecords(batches, pos, size, out);
    pos += size;
  }
  return out.map((r) => r.value!.toString());
}

/** A batch in a buffer that owns its whole ArrayBuffer (so it can be transferred). */
function owned(b: Buffer): Buffer {
  const copy = Buffer.from(new ArrayBuffer(b.length));
  b.copy(copy);
  return copy;
}

describe('BatchPool', () => {
  // Everything through the workers, whatever the size.
  let pool: BatchPool;
  beforeAll(() => {
    pool = BatchPool.open({ threads: 2, inlineBelow: 0 });
  });
  afterAll(async () => {
    await pool.close();
    await closeDefaultBatchPool();
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('%s: compress, decompress, recompress and validate in a worker agree with the format functions', async (codec) => {
    const input = records(300);
    const compressed = await pool.compress(input, codec, { encode: { baseOffset: 10 } });
    expect(batchCodec(compressed)).toBe(compressBatch(input, codec).readInt16BE(21) & 7);
    expect(decompressBatch(compressed).equals(encodeBatch(input, { baseOffset: 10 }))).toBe(true);
    expect((await pool.decompress(compressed)).equals(encodeBatch(input, { baseOffset: 10 }))).toBe(true);
    const other = codec === 'zstd' ? 'gzip' : 'zstd';
    const re = await pool.recompress(compressed, other);
    expect(re.equals(recompressBatches(compressed, other))).toBe(true);
    const { batches, bytes } = await pool.validate(compressed);
    expect(batches).toBe(1);
    expect(bytes.equals(compressed)).toBe(true);
    expect(values(re)).toEqual(input.map((r) => r.value));
  });

  it('reports corrupt and invalid batches from the workers with strand\'s error classes', async () => {
    const good = compressBatch(records(10), 'snappy');
    const damaged = Buffer.from(good);
    damaged[damaged.length - 3]! ^= 1;
    await expect(pool.validate(damaged, { where: 'orders-0' })).rejects.toThrow(CorruptBatchError);
    await expect(pool.validate(damaged, { where: 'orders-0' })).rejects.toThrow(/orders-0: batch 0 at byte 0: CRC-32C mismatch/);
    const lying = encodeBatch(records(5));
    lying.writeInt32BE(6, 57);
    lying.writeInt32BE(5, 23);
    await expect(pool.validate(recompressBatches(lying, 'lz4'))).rejects.toThrow(InvalidRecordError);
    await expect(pool.recompress(Buffer.from('garbage that is long enough to look like a header of a record batch, almost'), 'gzip')).rejects.toThrow(CorruptBatchError);
  });

  it('recompress with validate deep-checks on the way (one decompression), in a worker and inline', async () => {
    const lying = encodeBatch(records(5));
    lying.writeInt32BE(6, 57);
    lying.writeInt32BE(5, 23);
    const bad = recompressBatches(lying, 'zstd');
    await expect(pool.recompress(bad, 'lz4', { validate: 'orders-1' })).rejects.toThrow(/orders-1: batch 0 at byte 0: /);
    await expect(pool.recompress(bad, 'zstd', { validate: 'orders-1' })).rejects.toThrow(InvalidRecordError); // kept as is, still checked
    const inline = BatchPool.open({ threads: 1, inlineBelow: Infinity });
    await expect(inline.recompress(bad, 'gzip', { validate: 'x' })).rejects.toThrow(InvalidRecordError);
    const good = compressBatch(records(50), 'snappy');
    expect(batchCodec(await inline.recompress(good, 'gzip', { validate: 'x' }))).toBe(1);
    expect(inline.stats).toMatchObject({ inline: 2, offloaded: 0 });
    await inline.close(); // never started a thread
  });

  it('moves transferred buffers both ways, copies the others, shares SharedArrayBuffers', async () => {
    const batch = compressBatch(records(200), 'zstd');
    const before = pool.stats.copiedBytes;
    // Not transferred: copied once, the caller's buffer untouched.
    const kept = Buffer.from(batch);
    await pool.validate(kept);
    expect(kept.equals(batch)).toBe(true);
    expect(pool.stats.copiedBytes - before).toBe(batch.length);
    // Transferred: the caller's ArrayBuffer is detached, the same memory comes back.
    const mine = owned(batch);
    const { bytes } = await pool.validate(mine, { transfer: true });
    expect(mine.buffer.byteLength).toBe(0);
    expect(bytes.equals(batch)).toBe(true);
    expect(bytes.byteOffset).toBe(0);
    expect(pool.stats.copiedBytes - before).toBe(batch.length); // no second copy
    // Shared memory is neither moved nor copied.
    const shared = Buffer.from(new SharedArrayBuffer(batch.length));
    batch.copy(shared);
    await pool.validate(shared);
    expect(shared.equals(batch)).toBe(true);
    expect(pool.stats.copiedBytes - before).toBe(batch.length);
  });

  it('bounds the tasks and bytes in flight: callers wait and every task completes', async () => {
    const small = BatchPool.open({ threads: 2, maxQueued: 1, maxInFlightBytes: 3 * 120_000, inlineBelow: 0 });
    try {
      const batch = compressBatch(records(1000), 'none'); // ~120 kB of work per task
      let maxWaiting = 0;
      let maxBytes = 0;
      const tasks = Array.from({ length: 40 }, (_, i) => {
        const p = small.compress(batch, i % 2 === 0 ? 'gzip' : 'zstd');
        const s = small.stats;
        maxWaiting = Math.max(maxWaiting, s.waiting);
        maxBytes = Math.max(maxBytes, s.inFlightBytes);
        return p;
      });
      const done = await Promise.all(tasks);
      expect(done.every((b, i) => batchCodec(b) === (i % 2 === 0 ? 1 : 4))).toBe(true);
      const s = small.stats;
      expect(s.peakInFlight).toBe(3); // threads + maxQueued, never more
      expect(maxWaiting).toBe(37);
      expect(maxBytes).toBeLessThanOrEqual(3 * 120_000);
      expect(s).toMatchObject({ inFlight: 0, inFlightBytes: 0, waiting: 0, offloaded: 40 });
      // A batch larger than the byte limit is still admitted, alone.
      const huge = compressBatch(records(5000), 'none');
      expect(batchCodec(await small.compress(huge, 'lz4'))).toBe(3);
    } finally {
      await small.close();
    }
  });

  it('a 64 MiB compressed batch in one worker does not hold up a small task or the event loop', async () => {
    // ~64 MiB of zstd that inflates to ~96 MiB: half random, half text, in 64 KiB records.
    const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(1300)).subarray(0, 32 * 1024);
    const big = compressBatch(Array.from({ length: 1600 }, () => ({ value: Buffer.concat([randomBytes(32 * 1024 + 10_000), text]) })), 'zstd');
    expect(big.length).toBeGreaterThan(64 * 1024 * 1024);
    const order: string[] = [];
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const bigDone = pool.validate(big, { transfer: true }).then((r) => {
        order.push('big');
        expect(r.batches).toBe(1);
      });
      // Concurrent small work: through the other worker, and inline (default thresholds).
      const smallBatch = compressBatch(records(20), 'zstd');
      const viaPool = pool.validate(smallBatch).then(() => order.push('small (worker)'));
      const inline = defaultBatchPool().validate(smallBatch).then(() => order.push('small (inline)'));
      const timerFired = new Promise<void>((r) => setTimeout(r, 5)).then(() => order.push('timer'));
      await Promise.all([bigDone, viaPool, inline, timerFired]);
      expect(order.indexOf('big')).toBe(3);
      expect(order.slice(0, 3).sort()).toEqual(['small (inline)', 'small (worker)', 'timer']);
      expect(defaultBatchPool().stats.inline).toBeGreaterThan(0);
      expect(ticks).toBeGreaterThan(1); // the event loop kept turning while the worker decompressed
    } finally {
      clearInterval(timer);
    }
  });

  it('rejects work after close, and waiting callers on close', async () => {
    const p = BatchPool.open({ threads: 1, maxQueued: 0, inlineBelow: 0 });
    const batch = compressBatch(records(2000), 'none');
    const first = p.compress(batch, 'gzip');
    const waiting = p.compress(batch, 'gzip');
    expect(p.stats.waiting).toBe(1);
    const closing = p.close();
    await expect(waiting).rejects.toThrow(ClosedError);
    expect(batchCodec(await first)).toBe(1);
    await closing;
    await expect(p.compress(batch, 'gzip')).rejects.toThrow(ClosedError);
  });

  it('runs from the compiled JavaScript too (dist: worker.js, no tsx)', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const out = `${root}node_modules/.cache/strand-pool-dist-${process.pid}`;
    try {
      // The pool's files and what they import, with the project's compiler settings (not the
      // whole project: another module's type errors must not fail this test).
      const tsc = spawnSync(process.execPath, [
        `${root}node_modules/typescript/bin/tsc`, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--strict',
        '--skipLibCheck', '--esModuleInterop', '--types', 'node', '--rootDir', root, '--outDir', out,
        `${root}src/workers/pool.ts`, `${root}src/workers/worker.ts`,
      ], { encoding: 'utf8' });
      expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
      const script = `
        const { BatchPool } = await import(${JSON.stringify(`${out}/src/workers/pool.js`)});
        const { compressBatch } = await import(${JSON.stringify(`${out}/src/format/compression.js`)});
        const pool = BatchPool.open({ threads: 1, inlineBelow: 0 });
        const b = await pool.compress([{ value: 'x'.repeat(10000) }], 'zstd');
        const { batches } = await pool.validate(b);
        console.log(JSON.stringify({ codec: b.readInt16BE(21) & 7, batches, offloaded: pool.stats.offloaded }));
        await pool.close();`;
      // A plain node, without tsx or vitest's loader: the pool must pick worker.js.
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, STRAND_LOG_LEVEL: 'warn' } });
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout.trim().split('\n').pop()!)).toEqual({ codec: 4, batches: 1, offloaded: 2 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
