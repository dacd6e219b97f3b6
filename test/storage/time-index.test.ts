/** The time index keeps its last timestamp in memory: entries still only grow, across reopen, truncation and reset. */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { TimeIndex } from '../../src/storage/time-index.js';
import { tmpDir } from '../helpers/tmp.js';

const entries = (t: TimeIndex) => Array.from({ length: t.size }, (_, i) => t.entryAt(i));

describe('TimeIndex.maybeAppend', () => {
  test('adds an entry only above the last timestamp, also after reopening, truncating and resetting', () => {
    const path = join(tmpDir(), '00000000000000000100.timeindex');
    const t = new TimeIndex(path, 100);
    t.maybeAppend(-1, 100); // Kafka's "no timestamp" still starts an empty index
    t.maybeAppend(-1, 101);
    t.maybeAppend(1_000, 102);
    t.maybeAppend(1_000, 103);
    t.maybeAppend(999, 104);
    t.maybeAppend(1_500, 105);
    expect(entries(t)).toEqual([{ timestamp: -1, offset: 100 }, { timestamp: 1_000, offset: 102 }, { timestamp: 1_500, offset: 105 }]);
    t.close();

    // A fresh index over the same file learns its last timestamp from the file.
    const reopened = new TimeIndex(path, 100);
    reopened.maybeAppend(1_500, 106);
    reopened.maybeAppend(1_600, 107);
    expect(entries(reopened).map((e) => e.offset)).toEqual([100, 102, 105, 107]);

    // After a truncation the last timestamp is the surviving entry's: a lower one than before is added again.
    reopened.truncateTo(105);
    reopened.maybeAppend(1_200, 105);
    expect(entries(reopened)).toEqual([{ timestamp: -1, offset: 100 }, { timestamp: 1_000, offset: 102 }, { timestamp: 1_200, offset: 105 }]);

    reopened.reset();
    reopened.maybeAppend(5, 110);
    expect(entries(reopened)).toEqual([{ timestamp: 5, offset: 110 }]);
    reopened.close();
  });
});
