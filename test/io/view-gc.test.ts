/**
 * Views of segment files are page-cache bytes, not memory the process allocated: creating them
 * must not drive V8's full garbage collections (native/segment_file.cc). V8 counts an external
 * buffer's bytes as external memory allocated since the last mark-compact, against the old
 * generation's headroom, so without the correction a broker serving 100 MB/s of fetches ran a
 * mark-compact every ~80 ms. Measured in a fresh process (a clean heap).
 */
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.js';
import { runNativeChild } from './native-child.js';

const skip = process.env.STRAND_BACKEND === 'portable';

/** Child-process code: `f`, a segment file of 1 MB of `fill` bytes, and `majors`, V8's mark-compacts so far (`observer` counts them). */
function segmentWithMajorsCounted(fill: number): string {
  return `
    const { PerformanceObserver, constants } = require('perf_hooks');
    const f = new addon.SegmentFile(path.join(env.DIR, 'seg.log'), 0, -1, false, true);
    f.append([Buffer.alloc(1 << 20, ${fill})]);
    let majors = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    });
    observer.observe({ entryTypes: ['gc'] });
  `;
}

describe.skipIf(skip)('views and the garbage collector', () => {
  it('3 GB of short-lived 1 MB views start no more than a few mark-compacts', () => {
    const r = runNativeChild(`
      ${segmentWithMajorsCounted(1)}
      const settle = () => new Promise((r) => setTimeout(r, 20));
      await gcAndSettle(); await settle();
      const before = majors;
      let sum = 0;
      for (let i = 0; i < 3000; i++) {
        sum += f.view(0, 1 << 20)[i % 1000];
        // Finalizers run now and then, as a broker's event loop lets them between fetches.
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      await settle();
      if (sum !== 3000) throw new Error('read ' + sum);
      const views = majors - before;
      observer.disconnect();
      console.log(JSON.stringify({ views }));
    `, tmpDir());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { views } = JSON.parse(r.stdout.trim()) as { views: number };
    // Here 0; 28 when views were counted like memory the process allocated.
    expect(views).toBeLessThanOrEqual(5);
  });

  it('views held for a turn of the event loop start no mark-compacts of their own when full GCs run meanwhile', () => {
    // A broker's pattern: each turn takes a few views, holds them until its socket writes are
    // done (the next turn) and makes a little garbage; now and then a full GC runs for reasons
    // of its own (forced here). When a view's bytes, taken off V8's count as it was made, were
    // given back by its finalizer, a full GC falling between V8's sweep of dead views and their
    // finalizers counted the returned bytes as new allocation and scheduled the next full GC, and
    // so on. Now they are given back in lumps of 1 GiB: two in this run's 2.9 GiB of views, each
    // worth one full GC at most.
    const r = runNativeChild(`
      ${segmentWithMajorsCounted(7)}
      await gcAndSettle();
      const before = majors;
      let garbage = [];
      let forced = 0, sum = 0;
      for (let turn = 0; turn < 3000; turn++) {
        const held = [];
        for (let i = 0; i < 4; i++) held.push(f.view(i * 1000, 256 * 1024));
        for (let i = 0; i < 200; i++) garbage.push({ turn, i });
        if (garbage.length > 20000) garbage = [];
        await new Promise((r) => setImmediate(r));
        sum += held[turn % 4][turn];
        if (turn % 500 === 499) { global.gc(); forced++; }
      }
      await new Promise((r) => setTimeout(r, 50));
      observer.disconnect();
      console.log(JSON.stringify({ unforced: majors - before - forced, forced, sum }));
    `, tmpDir());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout.trim()) as { unforced: number; forced: number; sum: number };
    expect(result.forced).toBe(6);
    expect(result.sum).toBe(3000 * 7);
    expect(result.unforced).toBeLessThanOrEqual(4);
  });
});
