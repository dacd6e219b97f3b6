/** A bare TCP Kafka client for tests that send exact (or deliberately broken) bytes. */
import { connect, type Socket } from 'node:net';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js';
import type { ApiCodec } from '../../src/protocol/types.js';

export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  private correlation = 1;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(bootstrap: string): Promise<RawClient> {
    const i = bootstrap.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const s = connect({ host: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)) }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Buffer | Buffer[]): void {
    for (const b of Array.isArray(bytes) ? bytes : [bytes]) this.socket.write(b);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async request<Res>(api: ApiCodec<any, Res>, version: number, body: unknown): Promise<Res> {
    const id = this.correlation++;
    this.write(encodeRequestFrame(api, version, id, 'raw-test', body));
    const frame = await this.readFrame();
    if (frame === null) throw new Error('connection closed before the response');
    const res = decodeResponseFrame(api, version, frame);
    if (res.correlationId !== id) throw new Error(`correlation id ${res.correlationId}, expected ${id}`);
    return res.body as Res;
  }

  /** The next response frame (without its size prefix), or null if the broker closed the connection. */
  async readFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length >= 4 + size) {
          const frame = this.buffered.subarray(4, 4 + size);
          this.buffered = this.buffered.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Resolves true once the broker has closed the connection. */
  async closedByBroker(timeoutMs = 5000): Promise<boolean> {
    try {
      return (await this.readFrame(timeoutMs)) === null;
    } catch {
      return false;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
