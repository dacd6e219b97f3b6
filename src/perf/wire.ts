/**
 * The load generator's own connection: a bare socket that writes request frames (already encoded,
 * as chunks) and hands back response frames in order, with as many requests in flight as the
 * caller wants. A Kafka broker answers a connection's requests in order, so responses are matched
 * first-in first-out (the caller checks correlation ids if it cares). No timers, no per-request
 * promises, no decoding: the hot path of `strand perf` is a write and a callback.
 *
 * Reads use the socket's `onread` through src/protocol/frame-reader.ts: the kernel reads a large
 * frame (a Fetch response of megabytes) straight into a buffer of exactly its size.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { FrameReader } from '../protocol/frame-reader.js';

const EMPTY = Buffer.alloc(0);

/** Called with the response frame (without its size prefix), or with an error if the connection broke. */
export type ResponseCallback = (frame: Buffer | null, error: Error | null) => void;

export class PerfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PerfError';
  }
}

/** Where the reader's frames and failures go once the connection exists. */
interface ReaderEvents {
  frame: (frame: Buffer) => void;
  fail: (err: Error) => void;
}

export class WireConnection {
  private readonly waiting: ResponseCallback[] = [];
  private head = 0;
  private failure: Error | null = null;
  private nextCorrelation = 1;

  private constructor(private readonly socket: Socket, readonly address: string, events: ReaderEvents) {
    socket.setNoDelay(true);
    events.frame = (frame) => this.deliver(frame);
    events.fail = (err) => this.fail(new PerfError(`${address}: the broker sent a bad frame size: ${err.message}`));
    socket.on('error', (err) => this.fail(new PerfError(`connection to ${address} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new PerfError(`connection to ${address} was closed by the broker`)));
  }

  /**
   * `reuseFrames`: every response frame is read into the same buffer (grown as needed), so a
   * caller must be done with a frame when its callback returns. For a fetch loop, which reads
   * megabytes a second: a new buffer per response meant fresh memory faulted in and then
   * collected for every one.
   */
  static open(host: string, port: number, options: { timeoutMs?: number; reuseFrames?: boolean } = {}): Promise<WireConnection> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const events: ReaderEvents = { frame: () => {}, fail: () => {} };
    let frames: Buffer | null = null;
    const allocate = options.reuseFrames === true
      ? (size: number) => {
        if (frames === null || frames.length < size) frames = Buffer.allocUnsafeSlow(Math.max(size, frames === null ? 0 : frames.length * 2));
        return frames.subarray(0, size);
      }
      : undefined;
    const reader = new FrameReader({ maxFrameBytes: 0x7fffffff, onFrame: (f) => events.frame(f), onFail: (e) => events.fail(e), allocate });
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port, onread: { buffer: () => reader.next(), callback: (n) => reader.read(n) } });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new PerfError(`cannot connect to ${address}: ETIMEDOUT after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new WireConnection(s, address, events));
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new PerfError(`cannot connect to ${address}: ${err.code ?? err.message}`));
      });
    });
  }

  /** A fresh correlation id for the next request. */
  correlationId(): number {
    const id = this.nextCorrelation;
    this.nextCorrelation = id === 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /** Requests written and not answered yet. */
  get inFlight(): number {
    return this.waiting.length - this.head;
  }

  /** Whether the socket's write buffer is over its high-water mark. */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  get broken(): Error | null {
    return this.failure;
  }

  /**
   * Write one request; `onResponse` gets its answer (or null for a request that gets none).
   * `onWritten` (a request that gets no answer) is called once the socket is done with its bytes.
   */
  send(frame: readonly Buffer[], onResponse: ResponseCallback | null, onWritten?: () => void): void {
    if (this.failure !== null) {
      onResponse?.(null, this.failure);
      onWritten?.();
      return;
    }
    if (onResponse !== null) this.waiting.push(onResponse);
    const last = frame.length - 1;
    if (last <= 0) {
      if (last < 0) {
        if (onWritten !== undefined) this.socket.write(EMPTY, onWritten);
        return;
      }
      this.socket.write(frame[0]!, onWritten);
      return;
    }
    this.socket.cork();
    for (let i = 0; i < last; i++) this.socket.write(frame[i]!);
    this.socket.write(frame[last]!, onWritten);
    this.socket.uncork();
  }

  /** Resolves when the socket's write buffer has drained (at once if it is not full). */
  drained(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.failure !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Resolves once everything written so far has been handed to the kernel. */
  flushed(): Promise<void> {
    if (this.failure !== null) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(Buffer.alloc(0), () => resolve()));
  }

  close(): void {
    this.fail(new PerfError(`connection to ${this.address} was closed`));
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.socket.destroy();
    const waiting = this.waiting.splice(0);
    const from = this.head;
    this.head = 0;
    for (let i = from; i < waiting.length; i++) waiting[i]!(null, err);
  }

  private deliver(frame: Buffer): void {
    if (this.head >= this.waiting.length) {
      this.fail(new PerfError(`${this.address} sent a response to no request`));
      return;
    }
    const cb = this.waiting[this.head]!;
    this.head++;
    // Compact the queue now and then instead of shifting on every response.
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    cb(frame, null);
  }
}
