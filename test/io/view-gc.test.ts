/**
 * Views of segment files are page-cache bytes, not memory the process allocated: creating them
 * must not drive V8's full garbage collections (native/segment_file.cc). V8 counts an external
 * buffer's bytes as external memory allocated since the last mark-compact, against the old
 * generation's headroom, so without the correction a broker serving 100 MB/s of fetches ran a
 * mark-compact every ~80 ms. Measured in a fresh process (a clean heap), against the same
 * volume of 1 MB buffers the process does allocate, which V8 is right to count.
 */
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.js';
import { runNativeChild } from './native-child.js';

const skip = process.env.STRAND_BACKEND === 'portable';

describe.skipIf(skip)('views and the garbage collector', () => {
  it('3 GB of short-lived 1 MB views start far fewer mark-compacts than 3 GB of 1 MB buffers', () => {
    const r = runNativeChild(`
      const { PerformanceObserver, constants } = require('perf_hooks');
      const f = new addon.SegmentFile(path.join(env.DIR, 'seg.log'), 0, -1, false, true);
      f.append([Buffer.alloc(1 << 20, 1)]);
      let majors = 0;
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
      });
      observer.observe({ entryTypes: ['gc'] });
      const settle = () => new Promise((r) => setTimeout(r, 20));
      // Each run lets finalizers run now and then, as a broker's event loop does between fetches.
      const run = async (make) => {
        await gcAndSettle(); await settle();
        const before = majors;
        let sum = 0;
        for (let i = 0; i < 3000; i++) {
          sum += make()[i % 1000];
          if (i % 100 === 99) await new Promise((r) => setImmediate(r));
        }
        await settle();
        if (sum !== 3000) throw new Error('read ' + sum);
        return majors - before;
      };
      const views = await run(() => f.view(0, 1 << 20));
      observer.disconnect();
      console.log(JSON.stringify({ views }));
    `, tmpDir());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { views } = JSON.parse(r.stdout.trim()) as { views: number };
    // Here 0; 28 when views were counted like memory the process allocated.
    expect(views).toBeLessThanOrEqual(5);
  });
});
