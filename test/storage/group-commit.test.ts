import { describe, expect, it } from 'vitest';
import { io } from '../../src/io/index.js';
import { openLog } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp.js';

describe('group commit', () => {
  it('many concurrent appends with flush { intervalMs: 5 } share few fsyncs', async () => {
    const log = await openLog(tmpDir(), { flush: { intervalMs: 5 } });
    const before = io.fsyncCount();
    const appends = [];
    for (let i = 0; i < 2000; i++) appends.push(log.append([{ value: `v${i}` }]));
    const results = await Promise.all(appends);
    const fsyncs = io.fsyncCount() - before;
    expect(results.at(-1)!.lastOffset).toBe(1999);
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(20);
    expect(log.recoveryPoint).toBe(2000);
    await log.close();
  });

  it('flush always: concurrent appends share fsyncs and each resolves durable', async () => {
    const log = await openLog(tmpDir(), { flush: 'always' });
    const before = io.fsyncCount();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => log.append([{ value: `v${i}` }])));
    const fsyncs = io.fsyncCount() - before;
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    // Each fsync covers every append made before it started, so the count depends on how many
    // fsyncs fit in the time the 500 appends take (the native flusher thread syncs while they
    // are being made), never one per append.
    expect(fsyncs).toBeLessThan(results.length / 2);
    expect(log.recoveryPoint).toBe(500);
    await log.close();
  });
});
