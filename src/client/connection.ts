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
 *
 * Security (Kafka's security.protocol): `tls` wraps the socket in TLS (SSL, SASL_SSL); `sasl`
 * authenticates after ApiVersions with SaslHandshake v1 and SaslAuthenticate (SASL_PLAINTEXT,
 * SASL_SSL). When the broker gives the session a lifetime (KIP-368 connections.max.reauth.ms),
 * the connection re-authenticates in place at a random point between 85% and 95% of it, as
 * Kafka's clients do; requests asked for meanwhile wait until it is done (the requests already
 * in flight are answered first), and a refused re-authentication closes the connection with the
 * SaslAuthenticationError. A failed authentication delays the next attempt
 * at the same broker with the same credentials (100 ms doubling to 1 s, Kafka's
 * reconnect.backoff.ms and reconnect.backoff.max.ms) so that no caller retries in a tight loop.
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js';
import { FrameReader, type FrameSizeError } from '../protocol/frame-reader.js';
import { ApiVersionsApi, type ApiVersionsResponse, type ApiVersionsResponseApiVersion, SaslAuthenticateApi, SaslHandshakeApi } from '../protocol/messages/index.js';
import { errorName } from '../protocol/error-codes.js';
import type { ApiCodec, Complete } from '../protocol/types.js';
import { AuthenticationError, ConnectionError, formatAddress, KafkaResponseError, RequestTimeoutError, SaslAuthenticationError, SslAuthenticationError, UnsupportedApiError } from './errors.js';
import { SaslClientFailure, type SaslClientOptions, saslExchange } from './sasl-client.js';
import { type ClientTlsOptions, openSocket } from './secure-socket.js';
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
  /** TLS (security.protocol SSL or SASL_SSL); absent: plaintext. */
  tls?: ClientTlsOptions;
  /** SASL authentication (security.protocol SASL_PLAINTEXT or SASL_SSL). */
  sasl?: SaslClientOptions;
  /**
   * Where each response frame is assembled (Buffer.allocUnsafe by default). A caller that is
   * done with a response before it sends the next request can recycle one large buffer: a fresh
   * buffer of a few hundred KiB per response costs more in page faults than its bytes do.
   */
  allocateResponse?: (size: number) => Buffer;
}

export type { ClientTlsOptions, SaslClientOptions };

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

/** Kafka's clients re-authenticate at a random point between 85% and 95% of the session's lifetime. */
const REAUTH_AT = 0.85;
const REAUTH_JITTER = 0.1;
const AUTH_BACKOFF_MS = 100;
const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;
const AUTH_BACKOFF_MAX_MS = 1000;

/** Failed authentications per broker and credentials: when the next attempt may start. */
const authFailures = new Map<string, { count: number; notBefore: number }>();

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
  private closedWith: Error | null = null;
  private lastSocketError: NodeJS.ErrnoException | null = null;
  private readonly closeListeners: Array<() => void> = [];
  private readonly closedPromise: Promise<void>;
  private _versions = new Map<number, number>();
  private _brokerVersions: Complete<ApiVersionsResponseApiVersion>[] = [];
  private readonly tls: boolean;
  private sasl: SaslClientOptions | null = null;
  private reauthTimer: NodeJS.Timeout | null = null;
  /** Set while re-authenticating: other requests wait for it. */
  private reauthenticating: Promise<void> | null = null;
  private _sessionLifetimeMs = 0;
  private _authentications = 0;

  private constructor(socket: Socket, options: ConnectionOptions, reader: FrameReader) {
    this.socket = socket;
    this.host = options.host;
    this.port = options.port;
    this.address = formatAddress(options.host, options.port);
    this.clientId = options.clientId ?? 'strand';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.maxVersions = options.maxVersions;
    this.tls = options.tls !== undefined;
    socket.setNoDelay(true);
    // A plain socket reads straight into the reader's buffers (onread, see openSocket): a large
    // response (a replica fetch's batches) arrives in one buffer of its size, with no copy.
    if (this.tls) socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.lastSocketError = err;
    });
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        if (this.reauthTimer !== null) clearTimeout(this.reauthTimer);
        this.fail(this.closedWith ?? this.brokenError());
        resolve();
      });
    });
  }

  /** Connect (TLS when `tls`), negotiate API versions (unless `skipNegotiation`), then authenticate (when `sasl`). */
  static async connect(options: ConnectionOptions): Promise<Connection> {
    const failureKey = authFailureKey(options);
    const backoff = authFailures.get(failureKey);
    if (backoff !== undefined && backoff.notBefore > Date.now()) await new Promise((resolve) => setTimeout(resolve, backoff.notBefore - Date.now()));
    let conn: Connection | null = null;
    try {
      // Bytes before the connection exists were not asked for: the connection is refused below.
      let unsolicited = false;
      const reader = new FrameReader({
        maxFrameBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        allocate: options.allocateResponse,
        onFrame: (frame) => (conn === null ? (unsolicited = true) : conn.onFrame(frame)),
        onFail: (err) => (conn === null ? (unsolicited = true) : conn.frameTooLarge(err)),
      });
      const onread = options.tls === undefined ? { buffer: () => reader.next(), callback: (n: number) => reader.read(n) } : undefined;
      const socket = await openSocket(options.host, options.port, options.connectTimeoutMs ?? 10_000, options.tls, onread);
      conn = new Connection(socket, options, reader);
      if (unsolicited) throw new ConnectionError(options.host, options.port, `${conn.address} sent bytes before any request; connection closed`);
      if (!options.skipNegotiation || options.sasl !== undefined) await conn.negotiate();
      if (options.sasl !== undefined) await conn.authenticate(options.sasl);
    } catch (err) {
      conn?.destroy();
      // A TLS alert refusing our certificate (TLS 1.3) arrives after the handshake, as a broken first request.
      const failure = err instanceof AuthenticationError ? err : conn?.closedWith instanceof AuthenticationError ? conn.closedWith : null;
      if (failure !== null) {
        const count = (authFailures.get(failureKey)?.count ?? 0) + 1;
        authFailures.set(failureKey, { count, notBefore: Date.now() + Math.min(AUTH_BACKOFF_MS * 2 ** (count - 1), AUTH_BACKOFF_MAX_MS) });
        throw failure;
      }
      throw err;
    }
    authFailures.delete(failureKey);
    return conn;
  }

  /** The SASL session's lifetime the broker gave (KIP-368), 0 when none. */
  get sessionLifetimeMs(): number {
    return this._sessionLifetimeMs;
  }

  /** Completed SASL authentications on this connection: 1 after connecting, one more per re-authentication. */
  get authentications(): number {
    return this._authentications;
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
    if (this.reauthenticating !== null && !isSaslApi(api)) await this.reauthenticating;
    const version = options.version ?? this.versionOf(api);
    return this.request(api, version, body, (frame) => decodeResponseFrame(api, version, frame).body, options.timeoutMs) as Promise<Complete<Res>>;
  }

  /** Send a request that the broker does not answer (Produce with acks=0). Resolves once written. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async sendNoResponse<Req>(api: ApiCodec<Req, any>, body: Req, options: SendOptions = {}): Promise<void> {
    if (this.reauthenticating !== null) await this.reauthenticating;
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

  /** SaslHandshake v1, then the mechanism's tokens in SaslAuthenticate until it completes. */
  private async authenticate(sasl: SaslClientOptions): Promise<void> {
    this.sasl = sasl;
    const mechanism = sasl.mechanism;
    const refused = (code: number, brokerMessage: string | null, detail: string, cause?: Error) => new SaslAuthenticationError(this.address, mechanism, code, brokerMessage, detail, cause === undefined ? undefined : { cause });
    if (!this._versions.has(SaslHandshakeApi.apiKey) || !this._versions.has(SaslAuthenticateApi.apiKey)) throw refused(0, null, 'the broker does not offer SaslHandshake and SaslAuthenticate (is this a SASL listener?)');
    const hs = await this.send(SaslHandshakeApi, { mechanism }, { version: 1 });
    if (hs.errorCode !== ErrorCode.NONE) throw refused(hs.errorCode, null, `SaslHandshake answered ${errorName(hs.errorCode) ?? hs.errorCode}; the listener enables ${hs.mechanisms.join(', ') || 'no mechanism'}`);
    const exchange = saslExchange(sasl);
    let token: Buffer | null = await exchange.first();
    while (token !== null) {
      const res = await this.send(SaslAuthenticateApi, { authBytes: token });
      if (res.errorCode !== ErrorCode.NONE) throw refused(res.errorCode, res.errorMessage, `${errorName(res.errorCode) ?? res.errorCode}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
      try {
        token = await exchange.next(res.authBytes);
      } catch (err) {
        if (err instanceof SaslClientFailure) throw refused(0, null, err.message, err);
        throw err;
      }
      if (token === null) this.startSession(Number(res.sessionLifetimeMs ?? 0n));
    }
  }

  private startSession(lifetimeMs: number): void {
    this._authentications++;
    this._sessionLifetimeMs = lifetimeMs;
    if (lifetimeMs <= 0) return;
    this.reauthTimer = setTimeout(() => this.reauthenticate(), Math.floor(lifetimeMs * (REAUTH_AT + Math.random() * REAUTH_JITTER)));
    this.reauthTimer.unref();
  }

  /** KIP-368: a new SaslHandshake and exchange on this connection, for the same principal and mechanism. */
  private reauthenticate(): void {
    this.reauthTimer = null;
    if (this.closedWith !== null || this.sasl === null) return;
    this.reauthenticating = this.authenticate(this.sasl).then(() => {
      this.reauthenticating = null;
    }, (err: unknown) => {
      this.reauthenticating = null;
      // Requests that waited fail with the reason; the owner opens a new connection (which backs off if refused again).
      this.destroy(err instanceof Error ? err : new ConnectionError(this.host, this.port, `re-authentication with ${this.address} failed`));
    });
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

  private frameTooLarge(err: FrameSizeError): void {
    this.destroy(new ConnectionError(this.host, this.port, `${this.address} sent a response frame of ${err.size} bytes (limit ${this.maxResponseBytes}); connection closed`));
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.destroy(new ConnectionError(this.host, this.port, `${this.address} sent a response frame of ${frame.length} bytes, too short for a correlation id; connection closed`));
      return;
    }
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

  private brokenError(): ConnectionError | SslAuthenticationError {
    const err = this.lastSocketError;
    const reason = err?.code ?? err?.message ?? 'closed by the broker';
    // TLS 1.3 sends the broker's refusal of a client certificate after the client's handshake is done.
    if (this.tls && err?.code !== undefined && /^ERR_SSL_/.test(err.code)) return new SslAuthenticationError(this.address, `${err.code} (${err.message})`, { cause: err });
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

function authFailureKey(o: ConnectionOptions): string {
  const who = o.sasl === undefined ? '' : o.sasl.mechanism === 'OAUTHBEARER' ? 'OAUTHBEARER' : `${o.sasl.mechanism}:${o.sasl.username}`;
  return `${formatAddress(o.host, o.port)} ${o.tls === undefined ? 'plain' : 'tls'} ${who}`;
}

function isSaslApi(api: ApiCodec): boolean {
  return api.apiKey === SaslHandshakeApi.apiKey || api.apiKey === SaslAuthenticateApi.apiKey;
}
