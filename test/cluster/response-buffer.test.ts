import { describe, expect, it } from 'vitest';
import { ResponseBuffer } from '../../src/cluster/replication/response-buffer.js';

describe('ResponseBuffer', () => {
  it('lends one buffer for large responses, reused after release; small ones and any while lent get their own', () => {
    const r = new ResponseBuffer();
    const a = r.allocate(300_000);
    expect(a.length).toBe(300_000);
    const whileLent = r.allocate(300_000);
    expect(whileLent.buffer).not.toBe(a.buffer);
    r.release();
    const b = r.allocate(200_000);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset);
    r.release();
    expect(r.allocate(1000).buffer).not.toBe(a.buffer);
    // A larger response grows the buffer (to twice the old one at least), then that one is reused.
    const c = r.allocate(700_000);
    expect(c.length).toBe(700_000);
    expect(c.buffer).not.toBe(a.buffer);
    expect(c.buffer.byteLength).toBeGreaterThanOrEqual(700_000);
    r.release();
    expect(r.allocate(650_000).buffer).toBe(c.buffer);
  });
});
