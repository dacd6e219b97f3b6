/**
 * The frame reader shared by the broker's connections and the load generator: every split of
 * the byte stream, fed as 'data' chunks or through `onread` buffers, gives back the same frames;
 * a bad size prefix fails the stream; while paused, no frame is delivered and none is lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, FrameSizeError } from '../../src/protocol/frame-reader.js';

function stream(frames: Buffer[]): Buffer {
  return Buffer.concat(frames.flatMap((f) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(f.length);
    return [size, f];
  }));
}

/** Feed `bytes` as the kernel would through onread: into `next()`, at most `cut` bytes a read. */
function feedOnread(reader: FrameReader, bytes: Buffer, cuts: number[]): void {
  let pos = 0;
  let k = 0;
  while (pos < bytes.length) {
    const into = reader.next();
    const n = Math.min(into.length, bytes.length - pos, Math.max(1, cuts[k++ % cuts.length]!));
    bytes.copy(into, 0, pos, pos + n);
    reader.read(n);
    pos += n;
  }
}

const small = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const large = fc.integer({ min: 30_000, max: 120_000 }).map((n) => Buffer.from(new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff)));

function splitBack(frames: Buffer[], cuts: number[], viaOnread: boolean): Buffer[] {
  const got: Buffer[] = [];
  const reader = new FrameReader({ maxFrameBytes: 1 << 20, onFrame: (f) => got.push(Buffer.from(f)), onFail: (e) => { throw e; } });
  const bytes = stream(frames);
  if (viaOnread) feedOnread(reader, bytes, cuts);
  else {
    for (let pos = 0, k = 0; pos < bytes.length; k++) {
      const n = Math.min(bytes.length - pos, cuts[k % cuts.length]!);
      reader.push(bytes.subarray(pos, pos + n));
      pos += n;
    }
  }
  return got;
}

/** Buffer.equals: vitest's deep equality walks large buffers byte by byte. */
function expectSame(got: Buffer[], want: Buffer[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]!.equals(want[i]!), `frame ${i}`).toBe(true);
}

describe('FrameReader', () => {
  it('delivers the same frames however the stream is cut, through push or onread', () => {
    // Small frames cut anywhere, down to a byte at a time (size prefixes split too).
    fc.assert(
      fc.property(fc.array(small, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (frames, cuts, viaOnread) => {
        expectSame(splitBack(frames, cuts, viaOnread), frames);
      }),
      { numRuns: 300 },
    );
    // Large frames among small ones, in reads of kernel-like sizes (read in place via onread).
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 3, arbitrary: small }, { weight: 1, arbitrary: large }), { maxLength: 10 }), fc.array(fc.integer({ min: 1000, max: 70_000 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (frames, cuts, viaOnread) => {
        expectSame(splitBack(frames, cuts, viaOnread), frames);
      }),
      { numRuns: 100 },
    );
  });

  it('fails on a size prefix over the limit or negative, and delivers nothing after it', () => {
    for (const size of [-1, 1025]) {
      const got: Buffer[] = [];
      const errors: FrameSizeError[] = [];
      const reader = new FrameReader({ maxFrameBytes: 1024, onFrame: (f) => got.push(f), onFail: (e) => errors.push(e) });
      const bad = Buffer.alloc(4);
      bad.writeInt32BE(size);
      reader.push(Buffer.concat([stream([Buffer.from('ok')]), bad, stream([Buffer.from('after')])]));
      expect(got.map(String)).toEqual(['ok']);
      expect(errors.map((e) => e.size)).toEqual([size]);
    }
  });

  it('holds frames while paused and delivers them in order on resume', () => {
    const got: string[] = [];
    let paused = false;
    const reader = new FrameReader({ maxFrameBytes: 1024, onFrame: (f) => { got.push(String(f)); if (got.length === 2) paused = true; }, onFail: (e) => { throw e; }, paused: () => paused });
    const frames = Array.from({ length: 6 }, (_, i) => Buffer.from(`frame ${i}`));
    feedOnread(reader, stream(frames.slice(0, 4)), [1 << 20]);
    expect(got).toEqual(['frame 0', 'frame 1']);
    // More bytes arrive while paused (a read already under way): they wait behind the others.
    feedOnread(reader, stream(frames.slice(4)), [1 << 20]);
    expect(got).toHaveLength(2);
    paused = false;
    reader.resume();
    expect(got).toEqual(frames.map(String));
  });

  it('paused after every frame (a full request queue), with reads arriving meanwhile, delivers each frame once and in order', () => {
    fc.assert(fc.property(fc.array(fc.oneof(small, small, large), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 200_000 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (frames, cuts, viaOnread) => {
      const got: Buffer[] = [];
      let paused = false;
      const reader = new FrameReader({ maxFrameBytes: 1 << 20, onFrame: (f) => { got.push(Buffer.from(f)); paused = true; }, onFail: (e) => { throw e; }, paused: () => paused });
      const bytes = stream(frames);
      const drain = () => {
        // Resume, one frame at a time, as a connection resumes after answering.
        for (let n = got.length; ; n = got.length) {
          paused = false;
          reader.resume();
          if (got.length === n) break;
        }
      };
      for (let pos = 0, k = 0; pos < bytes.length; k++) {
        const n = Math.min(bytes.length - pos, cuts[k % cuts.length]!);
        if (viaOnread) feedOnread(reader, bytes.subarray(pos, pos + n), [n]);
        else reader.push(bytes.subarray(pos, pos + n));
        pos += n;
        if (k % 2 === 1) drain();
      }
      drain();
      expectSame(got, frames);
    }), { numRuns: 150 });
  });

  it('asks for large frames with the API key of the request as a hint, and reads them in place', () => {
    const hints: Array<[number, number]> = [];
    const got: Buffer[] = [];
    const own = new Map<Buffer, true>();
    const reader = new FrameReader({
      maxFrameBytes: 1 << 20, onFail: (e) => { throw e; }, onFrame: (f) => got.push(f),
      allocate: (size, hint) => {
        hints.push([size, hint]);
        const b = Buffer.alloc(size);
        own.set(b, true);
        return b;
      },
    });
    const big = Buffer.alloc(100_000, 7);
    big.writeInt16BE(0, 0); // a Produce request's API key
    feedOnread(reader, stream([big]), [4096, 60_000]);
    expect(hints).toEqual([[100_000, 0]]);
    expect(own.has(got[0]!)).toBe(true);
    expect(got[0]!.equals(big)).toBe(true);
  });
});
