/**
 * One client connection: splits the byte stream into frames (src/protocol/frame-reader.ts, read
 * into the broker's own buffers where socket-reads.ts can arrange it), runs requests
 * concurrently, and writes responses strictly in request order, each as one corked writev of
 * header bytes and zero-copy record views.
 *
 * Back-pressure: when unanswered requests or their bytes pass the limits, or the socket's
 * write buffer is full, the connection stops reading until it drains. A frame that is too big
 * or cannot be parsed closes this connection only.
 *
 * Response memory: requests read together run concurrently, and a Fetch answers with up to
 * fetch.max.bytes (on the portable backend, bytes copied onto the heap), so a client that
 * pipelines fetches and does not read could make the broker hold hundreds of responses. So a
 * connection runs one Fetch at a time, in request order, and starts the next only while its
 * response bytes not yet taken by the client (the socket's write buffer plus answers waiting
 * behind an earlier one) are below `maxQueuedResponseBytes`; other requests do not wait. What
 * a connection holds in responses is thus at most that bound plus one Fetch response plus its
 * (small) other answers. Kafka handles one request per connection at a time, so a client sees
 * no ordering it could not see there.
 *
 * Across connections (`responses`, queued.max.response.bytes): every answered byte is counted
 * from the answer until the socket has handed it to the kernel (the callback of the batch's last
 * write). While the broker-wide total is at its bound, a connection that still holds some stops
 * being read and starts no Fetch; one that holds none is served as usual, so slow readers cannot
 * stall the others (see src/security/limits/response-memory.ts).
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { FrameReader } from '../protocol/frame-reader.js';
import type { ConnectionAuth } from '../security/index.js';
import { writeWithoutJoining } from '../security/tls-writes.js';
import { descriptorOf, readInto, readTlsInto } from './socket-reads.js';
import { io } from '../io/index.js';
import type { RequestMemory } from '../security/limits/request-memory.js';
import type { ResponseMemory } from '../security/limits/response-memory.js';
import type { RequestStats } from './stats.js';

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxQueuedRequests: number;
  maxQueuedBytes: number;
  /** Unanswered request bytes across the broker's connections (queued.max.request.bytes). */
  memory?: RequestMemory;
  /** Response bytes not yet taken by the client above which no further Fetch is started. */
  maxQueuedResponseBytes: number;
  /** Response bytes held across the broker's connections (queued.max.response.bytes). */
  responses?: ResponseMemory;
  idleMs: number;
}

/** Turns a request frame into response chunks (or null: no response, e.g. acks=0). */
export type FrameHandler = (frame: Buffer, conn: Connection) => Promise<Buffer[] | null> | Buffer[] | null;

interface Pending {
  bytes: number;
  done: boolean;
  chunks: Buffer[] | null;
  /** The reusable buffer the request was assembled in, returned once it is answered. */
  recycle: Buffer | null;
  fetch: boolean;
  /** For the request metrics: the API key and performance.now() as it was read, started and answered. */
  apiKey: number;
  read: number;
  started: number;
  answered: number;
}

/** A Fetch read but not started yet (one runs at a time; see the top of this file). */
interface Deferred {
  slot: Pending;
  frame: Buffer;
}

const PRODUCE = 0;
const FETCH = 1;
/** Produce frames from this size up are assembled in recycled buffers (FrameBuffers). */
const RECYCLE_MIN_BYTES = 16 * 1024;
/** Largest frame assembled in a recycled buffer; larger ones get their own. */
const RECYCLE_MAX_BYTES = 2 * 1024 * 1024;
/** Spare buffers kept per connection, in bytes. */
const SPARE_BYTES = 2 * 1024 * 1024;

/**
 * The buffers a connection assembles its large Produce requests in, reused once each request
 * is answered, so a steady producer allocates no request memory at all (each fresh buffer is
 * memory the GC has to account for: at 200 MB/s of produce that meant a major GC every ~150 ms).
 * Only Produce: its handler is done with the request's bytes when it answers (they are copied
 * into the log, or into the worker pool's input, before), where other requests may keep views
 * of theirs (a group member's metadata, say).
 */
class FrameBuffers {
  private readonly spare: Buffer[] = [];
  private spareBytes = 0;

  /** A buffer of at least `size` bytes (a power of two, at least 64 KiB). */
  take(size: number): Buffer {
    for (let i = 0; i < this.spare.length; i++) {
      const b = this.spare[i]!;
      if (b.length >= size) {
        this.spare.splice(i, 1);
        this.spareBytes -= b.length;
        return b;
      }
    }
    return Buffer.allocUnsafeSlow(Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(size))));
  }

  give(b: Buffer): void {
    if (this.spareBytes + b.length > SPARE_BYTES) return;
    this.spare.push(b);
    this.spareBytes += b.length;
  }
}

export class Connection {
  readonly remote: string;
  private readonly pending: Pending[] = [];
  private readonly socket: Socket;
  private readonly reader: FrameReader;
  private readonly frameBuffers = new FrameBuffers();
  /** The recycled buffer the frame being read is assembled in. */
  private assembling: Buffer | null = null;
  private queuedBytes = 0;
  /** Bytes of answers waiting behind an earlier, unanswered request. */
  private heldBytes = 0;
  /** Bytes written to the socket whose write has not completed (Node still buffers them). */
  private unsentBytes = 0;
  private readonly deferred: Deferred[] = [];
  private fetching = false;
  private closed = false;
  /** Set by closeAfterResponses: the reason to close once every response is written. */
  private closing: string | null = null;
  private paused = false;
  private stopped = false;
  /** Set while a quota throttle mutes the connection (KIP-219); its timer ends it. */
  private throttleTimer: NodeJS.Timeout | null = null;
  private throttledUntil = 0;
  /** The plaintext socket's descriptor for io.sendTo, or -1 (TLS, portable backend, STRAND_SOCKET_WRITES=stream). */
  private readonly sendFd: number;

  /**
   * `accepted` comes from a listener created with `pauseOnConnect: true` (see socket-reads.ts),
   * or is a TLS socket whose handshake is done, whose decrypted bytes Node's TLS layer copies
   * into the reader's buffers (readTlsInto).
   */
  constructor(accepted: Socket, private readonly limits: ConnectionLimits, private readonly handle: FrameHandler, private readonly logger: Logger, private readonly onClose: (c: Connection) => void, readonly auth: ConnectionAuth, tls = false, private readonly stats: RequestStats | null = null) {
    this.remote = `${accepted.remoteAddress}:${accepted.remotePort}`;
    const reader = new FrameReader({
      maxFrameBytes: limits.maxFrameBytes,
      onFrame: (frame) => this.dispatch(frame),
      onFail: (err) => this.close(`frame of ${err.size} bytes is outside [0, socket.request.max.bytes=${err.maxFrameBytes}]`),
      paused: () => this.paused || this.memoryFull() || this.responsesFull(),
      allocate: (size, apiKey) => {
        if (apiKey !== PRODUCE || size < RECYCLE_MIN_BYTES || size > RECYCLE_MAX_BYTES) return Buffer.allocUnsafe(size);
        this.assembling = this.frameBuffers.take(size);
        return this.assembling.subarray(0, size);
      },
    });
    this.reader = reader;
    let socket = accepted;
    if (tls) {
      writeWithoutJoining(accepted as TLSSocket);
      readTlsInto(accepted as TLSSocket, reader);
    } else socket = readInto(accepted, reader);
    this.socket = socket;
    this.sendFd = !tls && io.sendTo !== undefined && process.env.STRAND_SOCKET_WRITES !== 'stream' ? descriptorOf(socket) : -1;
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleMs);
    socket.on('timeout', () => this.close('idle timeout'));
    socket.on('drain', () => {
      this.startDeferred();
      this.maybeResume();
    });
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

  /**
   * A quota was exceeded: read no further request for `ms` (KIP-219: the response carrying the
   * throttle time still goes out at once). Requests already read are still answered.
   */
  throttle(ms: number): void {
    const until = Date.now() + ms;
    if (this.closed || until <= this.throttledUntil) return;
    this.throttledUntil = until;
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer);
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = null;
      this.maybeResume();
    }, ms);
    this.pause();
  }

  /** Close the connection now (bad frame, shutdown). */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.limits.memory !== undefined) {
      this.limits.memory.forget(this.onMemory);
      this.limits.memory.release(this.queuedBytes); // unanswered requests are dropped
    }
    if (this.limits.responses !== undefined) {
      this.limits.responses.forget(this.onMemory);
      this.limits.responses.release(this.heldBytes + this.unsentBytes); // so are unsent answers
      this.heldBytes = 0;
      this.unsentBytes = 0;
    }
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer);
    if (reason !== undefined) this.logger.info({ remote: this.remote, reason }, 'closing connection');
    this.socket.destroy();
    this.onClose(this);
  }

  /**
   * Answer what has been read, then close (a refused SASL handshake, a failed authentication:
   * Kafka sends the error and closes). Nothing more is read.
   */
  closeAfterResponses(reason: string): void {
    if (this.closed || this.closing !== null) return;
    this.closing = reason;
    this.stopReading();
    this.endIfDone();
  }

  private endIfDone(): void {
    if (this.closing === null || this.closed || this.pending.length > 0) return;
    const reason = this.closing;
    this.socket.end(() => this.close(reason));
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

  private dispatch(frame: Buffer): void {
    if (this.closed) return;
    const recycle = this.assembling !== null && frame.buffer === this.assembling.buffer ? this.assembling : null;
    this.assembling = null;
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    const fetch = apiKey === FETCH;
    const now = performance.now();
    const slot: Pending = { bytes: frame.length, done: false, chunks: null, recycle, fetch, apiKey, read: now, started: now, answered: now };
    this.pending.push(slot);
    this.queuedBytes += frame.length;
    this.limits.memory?.add(frame.length);
    if (this.pending.length >= this.limits.maxQueuedRequests || this.queuedBytes >= this.limits.maxQueuedBytes) this.pause();
    if (fetch && (this.deferred.length > 0 || !this.mayStartFetch(slot))) {
      this.deferred.push({ slot, frame });
      return;
    }
    this.run(slot, frame);
  }

  /**
   * Whether the Fetch of `slot` may start: no other runs, the response bytes the client has not
   * taken are below the connection's bound, and, while the broker-wide bound is reached, the
   * connection holds none. Each wait ends with an event that calls startDeferred: a completed
   * write (sent), the broker-wide total falling (onMemory); the answers held behind an earlier
   * request leave when it is answered, and are not counted for the Fetch that is itself at the
   * head of the queue (they wait for it).
   */
  private mayStartFetch(slot: Pending): boolean {
    if (this.fetching) return false;
    const pending = this.unsentBytes + (this.pending[0] === slot ? 0 : this.heldBytes);
    if (pending >= this.limits.maxQueuedResponseBytes) return false;
    const responses = this.limits.responses;
    if (pending === 0 || responses === undefined || !responses.full) return true;
    responses.wait(this.onMemory);
    return false;
  }

  /** Start the Fetch that has waited longest, if it may start now. */
  private startDeferred(): void {
    if (this.closed || this.deferred.length === 0 || !this.mayStartFetch(this.deferred[0]!.slot)) return;
    const next = this.deferred.shift()!;
    this.run(next.slot, next.frame);
  }

  private run(slot: Pending, frame: Buffer): void {
    if (slot.fetch) this.fetching = true;
    slot.started = performance.now();
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
    slot.answered = performance.now();
    if (slot.fetch) this.fetching = false;
    if (slot.recycle !== null) {
      this.frameBuffers.give(slot.recycle);
      slot.recycle = null;
    }
    if (this.closed) return;
    if (chunks !== null) {
      let answer = 0;
      for (const c of chunks) answer += c.length;
      this.heldBytes += answer;
      this.limits.responses?.add(answer);
    }
    // Answer in request order: flush every finished response at the head of the queue.
    let released = 0;
    let batch = 0;
    const out: Buffer[] = [];
    const written = this.stats === null ? 0 : performance.now();
    while (this.pending.length > 0 && this.pending[0]!.done) {
      const head = this.pending.shift()!;
      this.queuedBytes -= head.bytes;
      released += head.bytes;
      this.stats?.observe(head.apiKey, head.started - head.read, head.answered - head.started, written - head.answered);
      if (head.chunks === null) continue;
      for (const c of head.chunks) {
        out.push(c);
        batch += c.length;
      }
    }
    if (batch > 0) this.write(out, batch);
    // After the answers are written: freed memory may resume other connections at once.
    if (released > 0) this.limits.memory?.release(released);
    this.endIfDone();
    this.startDeferred();
    // A slow reader: stop taking requests until what we wrote has drained.
    if (this.socket.writableNeedDrain) this.pause();
    else if (!this.responsesFull()) this.maybeResume();
  }

  /**
   * Write answers totalling `bytes`. When nothing else is queued on a plaintext socket they go
   * straight to it from native code (io.sendTo: views of segments by sendfile, no copy and no
   * page faults in this process, and none of Writable's bookkeeping per answer); what the socket
   * does not take at once, and everything on TLS or the portable backend, goes through Node.
   */
  private write(chunks: Buffer[], bytes: number): void {
    this.heldBytes -= bytes;
    let sent = 0;
    if (this.sendFd >= 0 && this.socket.writableLength === 0 && !this.socket.destroyed) {
      try {
        sent = io.sendTo!(this.sendFd, chunks);
      } catch {
        sent = 0; // not a socket sendTo can write (it is then written as usual)
      }
      if (sent > 0) this.limits.responses?.release(sent);
      if (sent === bytes) return;
    }
    let first = 0;
    let skip = sent;
    while (skip >= chunks[first]!.length) skip -= chunks[first++]!.length;
    const rest = bytes - sent;
    this.unsentBytes += rest;
    this.socket.cork();
    for (let i = first; i < chunks.length; i++) {
      const c = i === first && skip > 0 ? chunks[i]!.subarray(skip) : chunks[i]!;
      if (i < chunks.length - 1) this.socket.write(c);
      else this.socket.write(c, () => this.sent(rest));
    }
    this.socket.uncork();
  }

  /** A batch of answers left Node's buffers: it no longer counts, and what waited on it may go. */
  private sent(bytes: number): void {
    if (this.closed) return; // close() released it
    this.unsentBytes -= bytes;
    this.limits.responses?.release(bytes);
    this.startDeferred();
    this.maybeResume();
  }

  private fail(err: unknown): void {
    const e = err as Error & { code?: string };
    this.close(`${e.code ?? e.name}: ${e.message}`);
  }

  private readonly onMemory = (): void => {
    this.startDeferred();
    this.maybeResume();
  };

  /** The broker's request memory is at its bound: stop reading until it is freed. */
  private memoryFull(): boolean {
    const memory = this.limits.memory;
    if (memory === undefined || !memory.full) return false;
    this.pause();
    memory.wait(this.onMemory);
    return true;
  }

  /** The broker's response memory is at its bound and this connection holds some of it: stop reading until it falls. */
  private responsesFull(): boolean {
    const responses = this.limits.responses;
    if (responses === undefined || !responses.full || this.heldBytes + this.unsentBytes === 0) return false;
    this.pause();
    responses.wait(this.onMemory);
    return true;
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private maybeResume(): void {
    if (!this.paused || this.closed || this.stopped || this.throttleTimer !== null || this.memoryFull() || this.responsesFull()) return;
    if (this.pending.length < this.limits.maxQueuedRequests && this.queuedBytes < this.limits.maxQueuedBytes && !this.socket.writableNeedDrain) {
      this.paused = false;
      // Requests read before the pause come first (they may pause us again).
      this.reader.resume();
      if (!this.paused) this.socket.resume();
    }
  }
}
