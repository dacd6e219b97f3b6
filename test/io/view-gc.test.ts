/**
 * Views of segment files are page-cache bytes, not memory the process allocated: creating them
 * must not drive V8's full garbage collections (native/segment_file.cc). V8 counts an external
 * buffer's bytes as external memory allocated since the last mark-compact, against the old
 * generation's headroom, so without the correction a broker serving 100 MB/s of fetches ran a
 * mark-compact every ~80 ms.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNativeBackend } from '../../src/io/native.js';
import { tmpDir } from '../helpers/tmp.js';
import { sleep } from '../helpers/until.js';

const skip = process.env.STRAND_BACKEND === 'portable';
const native = skip ? undefined! : loadNativeBackend();

describe.skipIf(skip)('views and the garbage collector', () => {
  it('3 GB of short-lived 1 MB views start no more than a few mark-compacts', async () => {
    const f = native.openSegmentFile(join(tmpDir(), 'seg.log'));
    f.append([Buffer.alloc(1 << 20, 1)]);
    let majors = 0;
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if ((e.detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    });
    observer.observe({ entryTypes: ['gc'] });
    let sum = 0;
    for (let i = 0; i < 3000; i++) {
      sum += f.view(0, 1 << 20)[i % 1000]!;
      // Let finalizers run now and then, as the event loop of a broker does between fetches.
      if (i % 100 === 99) await sleep(0);
    }
    await sleep(50);
    observer.disconnect();
    f.close();
    expect(sum).toBe(3000);
    // Counted as allocations, the same views started 28 mark-compacts here (3 with the correction).
    expect(majors).toBeLessThanOrEqual(5);
  });
});
