/**
 * LeaderEpochCache against the cases of Apache Kafka's LeaderEpochFileCacheTest (same inputs,
 * same expected entries and endOffsetFor answers), and its checkpoint file: Kafka's text format,
 * written atomically, read back, and refused with a reason when damaged.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.js';
import { logger } from '../../src/logger.js';
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, parseEpochCheckpoint } from '../../src/storage/leader-epoch-cache.js';
import { tmpDir } from '../helpers/tmp.js';

const UNDEFINED = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
const e = (epoch: number, startOffset: number) => ({ epoch, startOffset });
const at = (epoch: number, endOffset: number) => ({ epoch, endOffset });

function cacheWith(...entries: [number, number][]): LeaderEpochCache {
  const cache = LeaderEpochCache.empty(tmpDir(), 'TestTopic-5');
  for (const [epoch, start] of entries) cache.assign(epoch, start);
  return cache;
}

describe('LeaderEpochCache: assign (Kafka LeaderEpochFileCacheTest)', () => {
  it('adds an epoch and its start offset; the latest epoch ends at the log end', () => {
    const cache = cacheWith([2, 10]);
    expect(cache.latestEpoch).toBe(2);
    expect(cache.epochEntries()).toEqual([e(2, 10)]);
    expect(cache.endOffsetFor(2, 11)).toEqual(at(2, 11));
  });

  it('returns the log end offset when the latest epoch is requested', () => {
    const cache = cacheWith([2, 11], [2, 12]);
    expect(cache.endOffsetFor(2, 14)).toEqual(at(2, 14));
  });

  it('does not move an assigned epoch to a later offset', () => {
    expect(cacheWith([2, 9], [2, 10]).epochEntries()).toEqual([e(2, 9)]);
    expect(cacheWith([2, 6], [2, 10]).epochEntries()).toEqual([e(2, 6)]);
    expect(cacheWith([2, 6], [2, 7]).epochEntries()).toEqual([e(2, 6)]);
  });

  it('enforces increasing start offsets: a newer epoch at the same offset replaces the older one', () => {
    expect(cacheWith([2, 9], [3, 9]).epochEntries()).toEqual([e(3, 9)]);
  });

  it('enforces increasing epochs: an older epoch at a later offset removes the newer ones', () => {
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const cache = cacheWith([1, 5], [2, 6], [1, 7]);
    expect(cache.latestEpoch).toBe(1);
    expect(cache.endOffsetFor(1, 8)).toEqual(at(1, 8));
    expect(cache.endOffsetFor(2, 8)).toEqual(UNDEFINED);
    expect(cache.epochEntries()).toEqual([e(1, 7)]);
    // Kafka warns when conflicting entries with data go.
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ epoch: 1, startOffset: 7, removed: [e(1, 5), e(2, 6)] }), expect.stringContaining('removed conflicting entries (1, 5) (2, 6)'));
    warn.mockRestore();
  });

  it('enforces increasing offsets: a newer epoch at an earlier offset removes the entries after it', () => {
    expect(cacheWith([2, 6], [3, 5]).epochEntries()).toEqual([e(3, 5)]);
  });

  it('the same epoch at an earlier offset truncates the entries after that offset', () => {
    const cache = cacheWith([5, 11], [6, 12], [7, 13], [7, 12]);
    expect(cache.epochEntries()).toEqual([e(5, 11), e(7, 12)]);
    expect(cache.endOffsetFor(5, 0)).toEqual(at(5, 12));
    expect(cache.endOffsetFor(6, 0)).toEqual(at(5, 12));
  });

  it('refuses a negative epoch or offset', () => {
    const cache = cacheWith();
    expect(() => cache.assign(-1, 0)).toThrow(InvalidArgumentError);
    expect(() => cache.assign(0, -1)).toThrow('TestTopic-5: invalid leader epoch entry (epoch 0, start offset -1)');
    expect(cache.size).toBe(0);
  });
});

describe('LeaderEpochCache: endOffsetFor (Kafka LeaderEpochFileCacheTest)', () => {
  it('undefined epoch requested: undefined, with or without entries', () => {
    expect(cacheWith([2, 11], [3, 12]).endOffsetFor(UNDEFINED_EPOCH, 0)).toEqual(UNDEFINED);
    expect(cacheWith().endOffsetFor(UNDEFINED_EPOCH, 73)).toEqual(UNDEFINED);
  });

  it('empty cache: undefined', () => {
    expect(cacheWith().endOffsetFor(0, 0)).toEqual(UNDEFINED);
    expect(cacheWith().endOffsetFor(7, 0)).toEqual(UNDEFINED);
    expect(cacheWith().latestEpoch).toBe(-1);
  });

  it('below the first epoch: the requested epoch and the first epoch\'s start offset', () => {
    expect(cacheWith([5, 11], [6, 12], [7, 13]).endOffsetFor(4, 0)).toEqual(at(4, 11));
  });

  it('an earlier epoch ends where the next one starts', () => {
    const cache = cacheWith([1, 11], [1, 12], [2, 13], [2, 14], [3, 15], [3, 16]);
    expect(cache.endOffsetFor(2, 17)).toEqual(at(2, 15));
  });

  it('an epoch not in the cache: the largest epoch below it and the start of the next one', () => {
    const cache = cacheWith([0, 10], [2, 13], [4, 17]);
    expect(cache.endOffsetFor(1, 0)).toEqual(at(0, 13));
    expect(cache.endOffsetFor(2, 0)).toEqual(at(2, 17));
    expect(cache.endOffsetFor(3, 0)).toEqual(at(2, 17));
  });

  it('above the latest epoch: undefined', () => {
    expect(cacheWith([2, 100]).endOffsetFor(3, 100)).toEqual(UNDEFINED);
  });

  it('epochs need not start at zero', () => {
    const cache = cacheWith([2, 6]);
    expect(cache.endOffsetFor(2, 7)).toEqual(at(2, 7));
    expect(cache.epochEntries()).toEqual([e(2, 6)]);
  });

  it('tracks epochs as leaders change many times', () => {
    const cache = cacheWith([0, 0], [1, 0]);
    expect(cache.latestEpoch).toBe(1);
    expect(cache.epochEntries()).toEqual([e(1, 0)]);
    expect(cache.endOffsetFor(1, 0)).toEqual(at(1, 0));
    expect(cache.endOffsetFor(0, 0)).toEqual(at(0, 0));
    expect(cache.endOffsetFor(1, 5)).toEqual(at(1, 5));
    expect(cache.endOffsetFor(0, 5)).toEqual(at(0, 0));
    cache.assign(2, 5);
    expect(cache.endOffsetFor(2, 10)).toEqual(at(2, 10));
    expect(cache.endOffsetFor(1, 10)).toEqual(at(1, 5));
    expect(cache.endOffsetFor(0, 10)).toEqual(at(0, 0));
  });

  it('tracks epochs as a follower receives many messages', () => {
    const cache = cacheWith([0, 0], [0, 1], [0, 2]);
    expect(cache.endOffsetFor(0, 3)).toEqual(at(0, 3));
    for (const o of [3, 4, 5]) cache.assign(1, o);
    expect(cache.endOffsetFor(1, 6)).toEqual(at(1, 6));
    for (const o of [6, 7, 8]) cache.assign(2, o);
    expect(cache.latestEpoch).toBe(2);
    expect(cache.endOffsetFor(2, 9)).toEqual(at(2, 9));
    expect(cache.endOffsetFor(0, 9)).toEqual(at(0, 3));
    expect(cache.endOffsetFor(1, 9)).toEqual(at(1, 6));
  });

  it('epochForOffset: the epoch whose range holds the offset', () => {
    const cache = cacheWith([2, 6], [3, 8], [4, 11]);
    expect([5, 6, 7, 8, 10, 11, 99].map((o) => cache.epochForOffset(o))).toEqual([-1, 2, 2, 3, 3, 4, 4]);
  });
});

describe('LeaderEpochCache: truncation (Kafka LeaderEpochFileCacheTest)', () => {
  const three = () => cacheWith([2, 6], [3, 8], [4, 11]);

  it('from the end: drops entries starting at or after the offset, at a boundary and between', () => {
    const a = three();
    expect(a.truncateFromEnd(8)).toBe(true);
    expect(a.epochEntries()).toEqual([e(2, 6)]);
    const b = three();
    b.truncateFromEnd(9);
    expect(b.latestEpoch).toBe(3);
    expect(b.epochEntries()).toEqual([e(2, 6), e(3, 8)]);
  });

  it('from the end: nothing for -1 (undefined) or an offset past every entry', () => {
    const cache = three();
    expect(cache.truncateFromEnd(UNDEFINED_EPOCH_OFFSET)).toBe(false);
    expect(cache.truncateFromEnd(12)).toBe(false);
    expect(cache.size).toBe(3);
  });

  it('from the start: keeps the entry covering the offset, moved up to it', () => {
    const cases: [number, ReturnType<typeof e>[]][] = [
      [8, [e(3, 8), e(4, 11)]],
      [1, [e(2, 6), e(3, 8), e(4, 11)]],
      [6, [e(2, 6), e(3, 8), e(4, 11)]],
      [11, [e(4, 11)]],
      [9, [e(3, 9), e(4, 11)]],
      [15, [e(4, 15)]],
      [UNDEFINED_EPOCH_OFFSET, [e(2, 6), e(3, 8), e(4, 11)]],
    ];
    for (const [offset, expected] of cases) {
      const cache = three();
      cache.truncateFromStart(offset);
      expect(cache.epochEntries(), `truncateFromStart(${offset})`).toEqual(expected);
    }
    const fromZero = cacheWith([0, 0], [1, 7], [2, 10]);
    fromZero.truncateFromStart(5);
    expect(fromZero.epochEntries()).toEqual([e(0, 5), e(1, 7), e(2, 10)]);
  });

  it('on an empty cache: no change, no error', () => {
    const cache = cacheWith();
    expect(cache.truncateFromStart(7)).toBe(false);
    expect(cache.truncateFromEnd(7)).toBe(false);
    expect(cache.clear()).toBe(false);
  });

  it('clear removes every entry', () => {
    const cache = three();
    expect(cache.clear()).toBe(true);
    expect(cache.epochEntries()).toEqual([]);
  });
});

describe('LeaderEpochCache: checkpoint file', () => {
  it('persists in Kafka\'s text format and loads back', async () => {
    const dir = tmpDir();
    const cache = LeaderEpochCache.empty(dir, 't-0');
    cache.assign(2, 6);
    cache.assign(3, 8);
    const first = cache.persist();
    cache.assign(4, 11);
    // A change while a write is queued joins it: both promises are the one write.
    expect(cache.persist()).toBe(first);
    await first;
    expect(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n3\n2 6\n3 8\n4 11\n');
    expect(existsSync(join(dir, `${LEADER_EPOCH_CHECKPOINT}.tmp`))).toBe(false);
    const { cache: loaded, problem } = LeaderEpochCache.load(dir, 't-0');
    expect(problem).toBeNull();
    expect(loaded.epochEntries()).toEqual([e(2, 6), e(3, 8), e(4, 11)]);
  });

  it('a change after a write started gets a write of its own, which holds it', async () => {
    const dir = tmpDir();
    const cache = LeaderEpochCache.empty(dir, 't-0');
    cache.assign(1, 0);
    const first = cache.persist();
    await Promise.resolve(); // the first write has started
    cache.truncateFromEnd(0);
    const second = cache.persist();
    expect(second).not.toBe(first);
    await cache.flushed();
    expect(readFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n0\n');
  });

  it('a missing file is an empty cache, without a problem', () => {
    const { cache, problem } = LeaderEpochCache.load(tmpDir(), 't-0');
    expect(problem).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('a damaged file is an empty cache with a warning saying why', () => {
    const cases: [string, string][] = [
      ['1\n0\n', 'unknown version "1"'],
      ['0\n2\n1 0\n', '1 entries where the header says 2'],
      ['0\n1\n1 x\n', 'line 3 is malformed: "1 x"'],
      ['0\n2\n3 5\n2 9\n', 'line 4 is out of order'],
      ['0\n2\n3 5\n4 4\n', 'line 4 is out of order'],
      ['', 'empty file'],
    ];
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    for (const [text, reason] of cases) {
      expect(parseEpochCheckpoint(text)).toBe(reason);
      const dir = tmpDir();
      writeFileSync(join(dir, LEADER_EPOCH_CHECKPOINT), text);
      const { cache, problem } = LeaderEpochCache.load(dir, 't-0');
      expect(problem).toBe(reason);
      expect(cache.size).toBe(0);
      expect(warn).toHaveBeenLastCalledWith(expect.objectContaining({ file: join(dir, LEADER_EPOCH_CHECKPOINT), reason }), expect.stringContaining('rebuilding it from the log'));
    }
    warn.mockRestore();
  });
});
