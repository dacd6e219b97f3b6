/**
 * The flush policy (log-config.ts FlushPolicy): validation, and the exact fsyncs each policy
 * costs. Counts come from io.fsyncCount(), which counts every fsync the backend issues: the first
 * fsync of a new segment file is followed by one of its directory (its entry is new).
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, openLog } from '../../src/index.js';
import { io } from '../../src/io/index.js';
import { resolveLogConfig } from '../../src/storage/log-config.js';
import { tmpDir } from '../helpers/tmp.js';

const value = Buffer.alloc(100, 1);

describe('flush policy validation', () => {
  it('normalizes { messages: 1 } to always and keeps the other forms', () => {
    expect(resolveLogConfig({ flush: { messages: 1 } }).flush).toBe('always');
    expect(resolveLogConfig({ flush: { messages: 1, intervalMs: 50 } }).flush).toBe('always');
    expect(resolveLogConfig({ flush: { messages: 3 } }).flush).toEqual({ messages: 3 });
    expect(resolveLogConfig({ flush: { intervalMs: 0 } }).flush).toEqual({ intervalMs: 0 });
    expect(resolveLogConfig({ flush: { intervalMs: 20, messages: 7 } }).flush).toEqual({ intervalMs: 20, messages: 7 });
    expect(resolveLogConfig({ flush: { intervalMs: 20, messages: undefined } }).flush).toEqual({ intervalMs: 20 });
  });

  it('refuses policies without a trigger, with bad values or unknown fields', () => {
    const bad: Array<[unknown, string]> = [
      [{}, 'flush must set intervalMs, messages or both'],
      [{ messages: 0 }, 'flush.messages must be an integer in [1, 9007199254740991], got 0'],
      [{ messages: 2.5 }, 'flush.messages must be an integer in [1, 9007199254740991], got 2.5'],
      [{ intervalMs: -1 }, 'flush.intervalMs must be an integer in [0, 9007199254740991], got -1'],
      [{ every: 3 }, 'flush has unknown field "every"; expected intervalMs and/or messages'],
      ['sometimes', `flush must be 'none', 'always' or { intervalMs?, messages? }, got "sometimes"`],
      [null, `flush must be 'none', 'always' or { intervalMs?, messages? }, got null`],
    ];
    for (const [flush, message] of bad) {
      expect(() => resolveLogConfig({ flush: flush as never }), JSON.stringify(flush)).toThrow(InvalidArgumentError);
      expect(() => resolveLogConfig({ flush: flush as never })).toThrow(message);
    }
  });
});

describe('flush.messages', () => {
  for (const n of [2, 3, 5]) {
    it(`{ messages: ${n} } fsyncs after every ${n} messages: 12 appends cost ${Math.floor(12 / n)} fsyncs of data, plus one of the new segment's directory`, async () => {
      const log = await openLog(tmpDir(), { flush: { messages: n } });
      const before = io.fsyncCount();
      const counts: number[] = [];
      for (let i = 0; i < 12; i++) {
        await log.append([{ value }]);
        await log.flushed();
        counts.push(io.fsyncCount() - before);
      }
      const flushes = Math.floor(12 / n);
      expect(io.fsyncCount() - before).toBe(flushes + 1);
      // The first flush runs at the n-th message (with the directory fsync), then one every n.
      expect(counts).toEqual(Array.from({ length: 12 }, (_, i) => {
        const done = Math.floor((i + 1) / n);
        return done === 0 ? 0 : done + 1;
      }));
      expect(log.recoveryPoint).toBe(flushes * n);
      await log.close();
    });
  }

  it('acknowledges at once: the append resolves before its fsync has moved the recovery point ("always" waits for it)', async () => {
    const lazy = await openLog(tmpDir(), { flush: { messages: 2 } });
    await lazy.append([{ value }]);
    await lazy.append([{ value }]); // starts the fsync
    expect(lazy.recoveryPoint).toBe(0);
    await lazy.flushed();
    expect(lazy.recoveryPoint).toBe(2);
    await lazy.close();

    const strict = await openLog(tmpDir(), { flush: 'always' });
    await strict.append([{ value }]);
    expect(strict.recoveryPoint).toBe(1);
    await strict.close();
  });

  it('a batch of several messages counts them all: one append of 5 records with { messages: 5 } fsyncs once', async () => {
    const log = await openLog(tmpDir(), { flush: { messages: 5 } });
    const before = io.fsyncCount();
    await log.append(Array.from({ length: 4 }, () => ({ value })));
    await log.flushed();
    expect(io.fsyncCount() - before).toBe(0);
    await log.append([{ value }]);
    await log.flushed();
    expect(io.fsyncCount() - before).toBe(2); // the data and the new file's directory
    expect(log.recoveryPoint).toBe(5);
    await log.close();
  });

  it('with intervalMs too, appends wait for the fsync that covers them, whichever trigger started it', async () => {
    const log = await openLog(tmpDir(), { flush: { messages: 3, intervalMs: 60_000 } });
    const before = io.fsyncCount();
    const acks = [log.append([{ value }]), log.append([{ value }]), log.append([{ value }])];
    await Promise.all(acks); // the third starts the fsync: no 60 s wait
    expect(io.fsyncCount() - before).toBe(2);
    expect(log.recoveryPoint).toBe(3);
    await log.close();
  });
});

describe('fsyncs of a roll', () => {
  it('a roll starts the fsync of the old segment without waiting for it; sync() waits: 5 fsyncs in all', async () => {
    const log = await openLog(tmpDir(), { flush: 'none' });
    await log.append([{ value }]);
    const before = io.fsyncCount();
    log.roll();
    expect(log.recoveryPoint).toBe(0);
    await log.sync();
    // The old log file (never synced: its data, then its directory entry), its time index (the
    // entry written when it was sealed), and the producer snapshot (the file, then the
    // directory, which also holds the new segment's entries and the index files').
    expect(io.fsyncCount() - before).toBe(5);
    expect(log.recoveryPoint).toBe(1);
    await log.append([{ value }]);
    const again = io.fsyncCount();
    await log.sync(); // the new active segment: its data and its directory entry
    expect(io.fsyncCount() - again).toBe(2);
    expect(log.recoveryPoint).toBe(2);
    await log.close();
  });

  it('with flush "always", the data of a rolled segment was synced append by append: its roll fsync only covers the trim', async () => {
    const log = await openLog(tmpDir(), { flush: 'always', preallocateBytes: 0 });
    await log.append([{ value }]);
    const before = io.fsyncCount();
    log.roll();
    await log.sync();
    // Time index and the snapshot (file and directory). The native backend grows files 64 KiB
    // at a time, so trimming the old log file to its size is a change to sync; the portable one
    // writes exactly the bytes appended, so its log file has nothing.
    expect(io.fsyncCount() - before).toBe(io.name === 'native' ? 4 : 3);
    await log.close();
  });
});
