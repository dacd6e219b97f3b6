/**
 * Splits a Kafka byte stream (4-byte size, then that many bytes) into frames, for the broker's
 * connections and the load generator's.
 *
 * Fed either by a socket's `onread` (caller-supplied buffers: `next()` gives the buffer for the
 * next read, `read(n)` says how much arrived) or by `'data'` chunks (`push`). With `onread`,
 * once a frame's size is known the kernel reads the rest of a large frame straight into a buffer
 * of exactly that size: a frame costs one buffer and no copy, and no socket chunk is allocated
 * per read. Small frames and size prefixes go through one reused scratch buffer.
 *
 * Frame buffers come from `allocate(size, apiKeyHint)`, so a caller can hand out buffers it
 * recycles; `apiKeyHint` is the frame's first two bytes (a request's API key) when they arrived
 * with its size, else -1.
 */

/** Thrown through `onFail` for a size prefix outside [0, maxFrameBytes]. */
export class FrameSizeError extends Error {
  constructor(readonly size: number, readonly maxFrameBytes: number) {
    super(`frame of ${size} bytes is outside [0, ${maxFrameBytes}]`);
    this.name = 'FrameSizeError';
  }
}

export interface FrameReaderOptions {
  /** Largest frame accepted; a larger (or negative) size prefix fails the stream. */
  maxFrameBytes: number;
  /** A complete frame (without its size prefix). */
  onFrame: (frame: Buffer) => void;
  onFail: (err: FrameSizeError) => void;
  /** Where a frame of `size` bytes is assembled; Buffer.allocUnsafe by default. */
  allocate?: (size: number, apiKeyHint: number) => Buffer;
  /**
   * Back-pressure: while this says true, no further frame is delivered; the bytes already read
   * wait (copied) until `resume()`. One read can hold thousands of small requests, so stopping
   * the socket alone would not stop them.
   */
  paused?: () => boolean;
}

export class FrameReader {
  private static readonly SCRATCH = 256 * 1024;
  /** Read straight into the frame when at least this much of it is missing. */
  private static readonly DIRECT = 32 * 1024;
  private scratch: Buffer | null = null;
  private readonly head = Buffer.alloc(4);
  private headFilled = 0;
  private cur: Buffer | null = null;
  private filled = 0;
  private direct = false;
  private failed = false;
  /** Bytes read but not split while paused. */
  private backlog: Buffer | null = null;
  private readonly allocate: (size: number, apiKeyHint: number) => Buffer;

  constructor(private readonly options: FrameReaderOptions) {
    this.allocate = options.allocate ?? ((size) => Buffer.allocUnsafe(size));
  }

  /** The buffer the next socket read goes into (`onread.buffer`). */
  next(): Buffer {
    if (this.cur !== null && this.cur.length - this.filled >= FrameReader.DIRECT) {
      this.direct = true;
      return this.cur.subarray(this.filled);
    }
    this.direct = false;
    this.scratch ??= Buffer.allocUnsafeSlow(FrameReader.SCRATCH);
    return this.scratch;
  }

  /** `n` bytes arrived in the buffer `next()` gave (`onread.callback`; true: keep reading). */
  read(n: number): true {
    if (n <= 0 || this.failed) return true;
    if (this.direct) {
      this.filled += n;
      if (this.filled === this.cur!.length) this.finish();
      return true;
    }
    if (this.backlog !== null) this.stash(this.scratch!, 0, n);
    else this.split(this.scratch!, 0, n);
    return true;
  }

  /** A chunk from a `'data'` event. Frames that lie within it are delivered as views of it. */
  push(chunk: Buffer): void {
    if (this.failed) return;
    if (this.backlog !== null) this.stash(chunk, 0, chunk.length);
    else this.split(chunk, 0, chunk.length, true);
  }

  /** Deliver what waited while paused (until paused again). */
  resume(): void {
    const backlog = this.backlog;
    if (backlog === null || this.failed) return;
    this.backlog = null;
    this.split(backlog, 0, backlog.length, true, true);
  }

  /**
   * Keep bytes [pos, end) of `buf` until `resume()`: a copy, except of the backlog itself (`owned`),
   * whose rest is kept as a view. A connection that pauses every few requests (a full request
   * queue) then costs no copy per pause; copying the rest each time made a 256 KiB read of tiny
   * requests cost a copy of up to 256 KiB for every few requests.
   */
  private stash(buf: Buffer, pos: number, end: number, owned = false): void {
    const rest = buf.subarray(pos, end);
    if (this.backlog === null) this.backlog = owned ? rest : Buffer.from(rest);
    else this.backlog = Buffer.concat([this.backlog, rest]);
  }

  private finish(): void {
    const frame = this.cur!;
    this.cur = null;
    this.filled = 0;
    this.options.onFrame(frame);
  }

  private split(buf: Buffer, pos: number, end: number, viewable = false, owned = false): void {
    while (pos < end && !this.failed) {
      if (this.cur === null && this.headFilled === 0 && this.options.paused?.() === true) {
        this.stash(buf, pos, end, owned);
        return;
      }
      if (this.cur !== null) {
        const take = Math.min(this.cur.length - this.filled, end - pos);
        buf.copy(this.cur, this.filled, pos, pos + take);
        this.filled += take;
        pos += take;
        if (this.filled === this.cur.length) this.finish();
        continue;
      }
      let size: number;
      if (this.headFilled === 0 && end - pos >= 4) {
        size = buf.readInt32BE(pos);
        pos += 4;
      } else {
        const take = Math.min(4 - this.headFilled, end - pos);
        buf.copy(this.head, this.headFilled, pos, pos + take);
        this.headFilled += take;
        pos += take;
        if (this.headFilled < 4) return;
        this.headFilled = 0;
        size = this.head.readInt32BE(0);
      }
      if (size < 0 || size > this.options.maxFrameBytes) {
        this.failed = true;
        this.options.onFail(new FrameSizeError(size, this.options.maxFrameBytes));
        return;
      }
      if (viewable && end - pos >= size) {
        // The whole frame is in this 'data' chunk, which nobody else holds: a view, no copy.
        const frame = buf.subarray(pos, pos + size);
        pos += size;
        this.options.onFrame(frame);
        continue;
      }
      this.cur = this.allocate(size, end - pos >= 2 ? buf.readInt16BE(pos) : -1);
      this.filled = 0;
      if (size === 0) this.finish();
    }
  }
}
