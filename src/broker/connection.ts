/**
 * One client connection: splits the byte stream into frames (4-byte size prefix) without
 * copying when a frame lies within one socket read, runs requests concurrently, and writes
 * responses strictly in request order, each as one corked writev of header bytes and
 * zero-copy record views.
 *
 * Back-pressure: when unanswered requests or their bytes pass the limits, or the socket's
 * write buffer is full, the connection stops reading until it drains. A frame that is too big
 * or cannot be parsed closes this connection only.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxQueuedRequests: number;
  maxQueuedBytes: number;
  idleMs: number;
}

/** Turns a request frame into response chunks (or null: no response, e.g. acks=0). */
export type FrameHandler = (frame: Buffer, conn: Connection) => Promise<Buffer[] | null> | Buffer[] | null;

interface Pending {
  bytes: number;
  done: boolean;
  chunks: Buffer[] | null;
}

export class Connection {
  readonly remote: string;
  private readonly pending: Pending[] = [];
  private queuedBytes = 0;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private expected = -1;
  private closed = false;
  private paused = false;
  private stopped = false;

  constructor(private readonly socket: Socket, private readonly limits: ConnectionLimits, private readonly handle: FrameHandler, private readonly logger: Logger, private readonly onClose: (c: Connection) => void) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleMs);
    socket.on('timeout', () => this.close('idle timeout'));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => {
      this.logger.debug({ remote: this.remote, err: err.message }, 'connection error');
      this.close();
    });
    socket.on('close', () => this.close());
  }

  /** Requests received and not yet answered. */
  get inFlight(): number {
    return this.pending.length;
  }

  /** Close the connection now (bad frame, shutdown). */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason !== undefined) this.logger.info({ remote: this.remote, reason }, 'closing connection');
    this.socket.destroy();
    this.onClose(this);
  }

  /** Stop reading new requests (shutdown); what is in flight is still answered. */
  stopReading(): void {
    this.stopped = true;
    this.paused = true;
    this.socket.pause();
  }

  /** Resolves when every received request has been answered (or the socket closed). */
  async drained(): Promise<void> {
    while (!this.closed && this.pending.length > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private onData(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.closed) {
      if (this.expected < 0) {
        // Reading the size prefix, possibly split across reads.
        if (this.partialBytes === 0 && chunk.length - pos >= 4) {
          this.expected = chunk.readInt32BE(pos);
          pos += 4;
        } else {
          const need = 4 - this.partialBytes;
          const take = Math.min(need, chunk.length - pos);
          this.partial.push(chunk.subarray(pos, pos + take));
          this.partialBytes += take;
          pos += take;
          if (this.partialBytes < 4) return;
          this.expected = Buffer.concat(this.partial, 4).readInt32BE(0);
          this.partial = [];
          this.partialBytes = 0;
        }
        if (this.expected < 0 || this.expected > this.limits.maxFrameBytes) {
          this.close(`frame of ${this.expected} bytes is outside [0, socket.request.max.bytes=${this.limits.maxFrameBytes}]`);
          return;
        }
      }
      const available = chunk.length - pos;
      if (this.partialBytes === 0 && available >= this.expected) {
        // The whole frame is in this read: a view, no copy.
        const frame = chunk.subarray(pos, pos + this.expected);
        pos += this.expected;
        this.expected = -1;
        this.dispatch(frame);
        continue;
      }
      const take = Math.min(this.expected - this.partialBytes, available);
      this.partial.push(chunk.subarray(pos, pos + take));
      this.partialBytes += take;
      pos += take;
      if (this.partialBytes === this.expected) {
        const frame = Buffer.concat(this.partial, this.expected);
        this.partial = [];
        this.partialBytes = 0;
        this.expected = -1;
        this.dispatch(frame);
      }
    }
  }

  private dispatch(frame: Buffer): void {
    const slot: Pending = { bytes: frame.length, done: false, chunks: null };
    this.pending.push(slot);
    this.queuedBytes += frame.length;
    if (this.pending.length >= this.limits.maxQueuedRequests || this.queuedBytes >= this.limits.maxQueuedBytes) this.pause();
    let result: Promise<Buffer[] | null> | Buffer[] | null;
    try {
      result = this.handle(frame, this);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (result instanceof Promise) {
      result.then((chunks) => this.complete(slot, chunks), (err) => this.fail(err));
    } else this.complete(slot, result);
  }

  private complete(slot: Pending, chunks: Buffer[] | null): void {
    slot.done = true;
    slot.chunks = chunks;
    if (this.closed) return;
    // Answer in request order: flush every finished response at the head of the queue.
    let corked = false;
    while (this.pending.length > 0 && this.pending[0]!.done) {
      const head = this.pending.shift()!;
      this.queuedBytes -= head.bytes;
      if (head.chunks === null) continue;
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      for (const c of head.chunks) this.socket.write(c);
    }
    if (corked) this.socket.uncork();
    // A slow reader: stop taking requests until what we wrote has drained.
    if (this.socket.writableNeedDrain) this.pause();
    else this.maybeResume();
  }

  private fail(err: unknown): void {
    const e = err as Error & { code?: string };
    this.close(`${e.code ?? e.name}: ${e.message}`);
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closed || this.stopped) return;
    if (this.pending.length < this.limits.maxQueuedRequests && this.queuedBytes < this.limits.maxQueuedBytes && !this.socket.writableNeedDrain) {
      this.paused = false;
      this.socket.resume();
    }
  }
}
