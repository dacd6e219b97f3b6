/**
 * One TCP connection to one broker: int32 size-prefixed frames, pipelined requests matched to
 * responses by correlation id (a Kafka broker answers a connection's requests in order), a
 * timeout per request, and ApiVersions negotiation on connect.
 *
 * Negotiation (KIP-511): the connection first sends ApiVersions v3. A broker that does not know
 * v3 answers UNSUPPORTED_VERSION in the v0 body layout; the connection then asks again at v0.
 * Every later request uses, per API, the highest version both sides support (`versions`).
 *
 * Failure model: a request that times out fails with RequestTimeoutError and closes the
 * connection (its late answer would otherwise be matched to the next request); a closed or
 * broken socket fails every request in flight with ConnectionError. A closed Connection is
 * never reused; the KafkaClient opens a new one.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js';
import { ApiVersionsApi, type ApiVersionsResponse, type ApiVersionsResponseApiVersion } from '../protocol/messages/index.js';
import type { ApiCodec, Complete } from '../protocol/types.js';
import { ConnectionError, formatAddress, KafkaResponseError, RequestTimeoutError, UnsupportedApiError } from './errors.js';
import { capVersions, CLIENT_VERSIONS, FIRST_API_VERSIONS_VERSION, negotiateVersions } from './versions.js';

export interface ConnectionOptions {
  host: string;
  port: number;
  /** Sent in every request header. Default `strand`. */
  clientId?: string;
  /** Give up connecting after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /** Fail a request that gets no answer in this long. Default 30 s. */
  requestTimeoutMs?: number;
  /** Refuse (and close on) a response frame larger than this. Default 1 GiB. */
  maxResponseBytes?: number;
  /** Skip ApiVersions negotiation (then every request must name its version). Default false. */
  skipNegotiation?: boolean;
  /** Highest version to use per API key, below what the client supports (e.g. to test old versions). */
  maxVersions?: Readonly<Record<number, number>>;
}

export interface SendOptions {
  /** Version to send; default the negotiated one. */
  version?: number;
  /** Overrides the connection's request timeout (e.g. a long-polling Fetch adds its wait). */
  timeoutMs?: number;
}

interface InFlight {
  correlationId: number;
  api: string;
  decode: (frame: Buffer) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const CLIENT_SOFTWARE_VERSION = '0.1.0';

export class Connection {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly maxVersions: Readonly<Record<number, number>> | undefined;
  private readonly socket: Socket;
  private nextCorrelationId = 0;
  private readonly inFlight: InFlight[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frameSize = -1;
  private closedWith: Error | null = null;
  private lastSocketError: NodeJS.ErrnoException | null = null;
  private readonly closeListeners: Array<() => void> = [];
  private readonly closedPromise: Promise<void>;
  private _versions = new Map<number, number>();
  private _brokerVersions: Complete<ApiVersionsResponseApiVersion>[] = [];

  private constructor(socket: Socket, options: ConnectionOptions) {
    this.socket = socket;
    this.host = options.host;
    this.port = options.port;
    this.address = formatAddress(options.host, options.port);
    this.clientId = options.clientId ?? 'strand';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 * 1024 * 1024;
    this.maxVersions = options.maxVersions;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastSocketError = err;
    });
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.fail(this.closedWith ?? this.brokenError());
        resolve();
      });
    });
  }

  /** Connect, then negotiate API versions (unless `skipNegotiation`). */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const address = formatAddress(options.host, options.port);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const conn = await new Promise<Connection>((resolve, reject) => {
      const s = netConnect({ host: options.host, port: options.port });
      const onError = (err: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        const reason = err.code ?? err.message;
        reject(new ConnectionError(options.host, options.port, `cannot connect to ${address}: ${reason}`, { cause: err, syscallCode: err.code, duringConnect: true }));
      };
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError(options.host, options.port, `cannot connect to ${address}: ETIMEDOUT after ${timeoutMs} ms`, { syscallCode: 'ETIMEDOUT', duringConnect: true }));
      }, timeoutMs);
      s.once('error', onError);
      s.once('connect', () => {
        clearTimeout(timer);
        // The Connection installs its own error handler before this one goes.
        const c = new Connection(s, options);
        s.off('error', onError);
        resolve(c);
      });
    });
    if (!options.skipNegotiation) {
      try {
        await conn.negotiate();
      } catch (err) {
        conn.destroy();
        throw err;
      }
    }
    return conn;
  }

  /** The negotiated version per API key (only APIs with a version both sides support). */
  get versions(): ReadonlyMap<number, number> {
    return this._versions;
  }

  /** The broker's advertised version ranges, as it sent them. */
  get brokerVersions(): ReadonlyArray<Complete<ApiVersionsResponseApiVersion>> {
    return this._brokerVersions;
  }

  get closed(): boolean {
    return this.closedWith !== null || this.socket.destroyed;
  }

  /** Requests sent and not answered yet. */
  get pending(): number {
    return this.inFlight.length;
  }

  /** Called once when the connection closes, for any reason. */
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  /** Whether the broker supports some version of `api` that this client can send. */
  supports(api: ApiCodec): boolean {
    return this._versions.has(api.apiKey);
  }

  /** The negotiated version of `api`; throws UnsupportedApiError if there is none. */
  versionOf(api: ApiCodec): number {
    const v = this._versions.get(api.apiKey);
    if (v === undefined) {
      const theirs = this._brokerVersions.find((b) => b.apiKey === api.apiKey);
      const detail = theirs === undefined ? 'the broker does not list it' : `the broker supports v${theirs.minVersion}-v${theirs.maxVersion}, outside what this client sends`;
      throw new UnsupportedApiError(api.name, this.address, detail);
    }
    return v;
  }

  /** Send a request and resolve with its decoded response body. */
  async send<Req, Res>(api: ApiCodec<Req, Res>, body: Req, options: SendOptions = {}): Promise<Complete<Res>> {
    const version = options.version ?? this.versionOf(api);
    return this.request(api, version, body, (frame) => decodeResponseFrame(api, version, frame).body, options.timeoutMs) as Promise<Complete<Res>>;
  }

  /** Send a request that the broker does not answer (Produce with acks=0). Resolves once written. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async sendNoResponse<Req>(api: ApiCodec<Req, any>, body: Req, options: SendOptions = {}): Promise<void> {
    const version = options.version ?? this.versionOf(api);
    if (this.closedWith !== null) throw this.closedWith;
    const correlationId = this.takeCorrelationId();
    return new Promise((resolve, reject) => {
      this.write(encodeRequestFrame(api, version, correlationId, this.clientId, body), (err) => (err ? reject(this.closedWith ?? this.brokenError()) : resolve()));
    });
  }

  /** Close gracefully: requests in flight fail with ConnectionError. Resolves once closed. */
  close(): Promise<void> {
    if (this.closedWith === null) this.closedWith = new ConnectionError(this.host, this.port, `connection to ${this.address} was closed by the client`);
    this.socket.end();
    // A peer that never closes its side must not keep us waiting.
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    timer.unref();
    return this.closedPromise.finally(() => clearTimeout(timer));
  }

  /** Close at once. */
  destroy(reason?: Error): void {
    if (this.closedWith === null) this.closedWith = reason ?? new ConnectionError(this.host, this.port, `connection to ${this.address} was closed by the client`);
    this.socket.destroy();
  }

  private async negotiate(): Promise<void> {
    const first = Math.min(FIRST_API_VERSIONS_VERSION, this.maxVersions?.[ApiVersionsApi.apiKey] ?? FIRST_API_VERSIONS_VERSION);
    let res = await this.apiVersions(first);
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION && first > 0) res = await this.apiVersions(0);
    KafkaResponseError.check(res.errorCode, { api: 'ApiVersions' });
    this._brokerVersions = res.apiKeys;
    this._versions = negotiateVersions(res.apiKeys, this.maxVersions ? capVersions(this.maxVersions) : CLIENT_VERSIONS);
  }

  /**
   * ApiVersions at `version`. Its response header is always v0, and a broker that does not know
   * `version` answers in the v0 body layout with UNSUPPORTED_VERSION (the first field of every
   * version is the int16 error code, so it can be read before choosing the layout).
   */
  private apiVersions(version: number): Promise<Complete<ApiVersionsResponse>> {
    const body = { clientSoftwareName: 'strand', clientSoftwareVersion: CLIENT_SOFTWARE_VERSION };
    return this.request(ApiVersionsApi, version, body, (frame) => {
      const errorCode = frame.length >= 6 ? frame.readInt16BE(4) : ErrorCode.NONE;
      const layout = errorCode === ErrorCode.UNSUPPORTED_VERSION ? 0 : version;
      return decodeResponseFrame(ApiVersionsApi, layout, frame).body;
    }) as Promise<Complete<ApiVersionsResponse>>;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private request<Req>(api: ApiCodec<Req, any>, version: number, body: Req, decode: (frame: Buffer) => unknown, timeoutMs = this.requestTimeoutMs): Promise<unknown> {
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    const correlationId = this.takeCorrelationId();
    // Encode before registering: an encode error fails only this request.
    const frame = encodeRequestFrame(api, version, correlationId, this.clientId, body);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new RequestTimeoutError(api.name, this.address, timeoutMs);
        const i = this.inFlight.findIndex((f) => f.correlationId === correlationId);
        if (i >= 0) this.inFlight.splice(i, 1);
        reject(err);
        this.destroy(new ConnectionError(this.host, this.port, `connection to ${this.address} was closed after a ${api.name} request timed out`));
      }, timeoutMs);
      this.inFlight.push({ correlationId, api: api.name, decode, resolve, reject, timer });
      this.write(frame);
    });
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = (id + 1) | 0;
    return id;
  }

  private write(chunks: Buffer[], callback?: (err?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length; i++) this.socket.write(chunks[i]!, i === chunks.length - 1 ? callback : undefined);
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < 4) return;
        const size = this.take(4).readInt32BE(0);
        if (size < 4 || size > this.maxResponseBytes) {
          this.destroy(new ConnectionError(this.host, this.port, `${this.address} sent a response frame of ${size} bytes (limit ${this.maxResponseBytes}); connection closed`));
          return;
        }
        this.frameSize = size;
      }
      if (this.buffered < this.frameSize) return;
      const frame = this.take(this.frameSize);
      this.frameSize = -1;
      this.onFrame(frame);
      if (this.closedWith !== null) return;
    }
  }

  /** The next `n` buffered bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const part = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, part);
        filled += part;
        if (part === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(part);
      }
    }
    this.buffered -= n;
    return out;
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const head = this.inFlight[0];
    if (head === undefined || head.correlationId !== correlationId) {
      const expected = head === undefined ? 'none was expected' : `expected ${head.correlationId}`;
      this.destroy(new ConnectionError(this.host, this.port, `${this.address} answered with correlation id ${correlationId}, ${expected}; connection closed`));
      return;
    }
    this.inFlight.shift();
    clearTimeout(head.timer);
    let value: unknown;
    try {
      value = head.decode(frame);
    } catch (err) {
      head.reject(err as Error);
      return;
    }
    head.resolve(value);
  }

  private brokenError(): ConnectionError {
    const err = this.lastSocketError;
    const reason = err?.code ?? err?.message ?? 'closed by the broker';
    return new ConnectionError(this.host, this.port, `connection to ${this.address} lost: ${reason}`, { cause: err ?? undefined, syscallCode: err?.code });
  }

  private fail(err: Error): void {
    if (this.closedWith === null) this.closedWith = err;
    for (const f of this.inFlight.splice(0)) {
      clearTimeout(f.timer);
      f.reject(err);
    }
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
