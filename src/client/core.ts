/**
 * The part of the client every operation shares: the bootstrap list, one connection per broker,
 * the metadata cache, leader routing, and retries of retriable answers.
 *
 * Connections are opened lazily and dropped from the pool when they close, so the next request
 * reconnects. Metadata is refreshed when a topic or leader is unknown and after a retriable
 * error (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, ...).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from '../errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { MetadataApi, type MetadataResponse } from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/reader.js';
import type { ApiCodec, Complete } from '../protocol/types.js';
import { type ClientTlsOptions, Connection, type SaslClientOptions, type SendOptions } from './connection.js';
import { ConnectionError, KafkaResponseError } from './errors.js';

export interface KafkaClientOptions {
  /** `host:port` addresses, as a list or one comma-separated string. */
  bootstrap: string | readonly string[];
  /** Default `strand`. */
  clientId?: string;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** Default 30 s. A long-polling Fetch gets its max wait on top. */
  requestTimeoutMs?: number;
  /** Times a retriable failure is retried (with a metadata refresh). Default 5. */
  retries?: number;
  /** Wait before the first retry; doubles each time. Default 100 ms. */
  retryBackoffMs?: number;
  /** Let Metadata requests for unknown topics create them (if the broker allows). Default false. */
  allowAutoTopicCreation?: boolean;
  /** Highest version to use per API key (e.g. `{ [ApiKey.Fetch]: 4 }` to test old versions). */
  maxVersions?: Readonly<Record<number, number>>;
  /** TLS to every broker (security.protocol SSL or SASL_SSL). */
  tls?: ClientTlsOptions;
  /** SASL authentication with every broker (security.protocol SASL_PLAINTEXT or SASL_SSL). */
  sasl?: SaslClientOptions;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  /** Node id of the leader, -1 when there is none. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
  error: KafkaResponseError | null;
}

export interface TopicInfo {
  name: string;
  /** 22-char base64url topic id; all-zero when the broker does not send ids. */
  topicId: string;
  internal: boolean;
  /** Sorted by partition index. */
  partitions: PartitionInfo[];
  error: KafkaResponseError | null;
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicInfo[];
}

export interface MetadataOptions {
  /** Overrides the client's `allowAutoTopicCreation`. */
  allowAutoTopicCreation?: boolean;
}

/** Parse `host:port` (`[v6]:port` too). */
export function parseHostPort(spec: string, defaultPort = 9092): { host: string; port: number } {
  const s = spec.trim();
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d+))?$/.exec(s);
  if (m === null || s === '') throw new InvalidArgumentError(`${JSON.stringify(spec)} is not host:port, e.g. 127.0.0.1:9092`);
  const host = m[1] ?? m[2] ?? '';
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (host === '' || port < 1 || port > 65535) throw new InvalidArgumentError(`${JSON.stringify(spec)} is not host:port with a port in 1-65535, e.g. 127.0.0.1:9092`);
  return { host, port };
}

const RETRY_METADATA_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_ID, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.INCONSISTENT_TOPIC_ID,
]);

export class ClientCore {
  readonly bootstrap: ReadonlyArray<{ host: string; port: number }>;
  protected readonly options: Required<Omit<KafkaClientOptions, 'bootstrap' | 'maxVersions' | 'tls' | 'sasl'>> & Pick<KafkaClientOptions, 'maxVersions' | 'tls' | 'sasl'>;
  private readonly pool = new Map<number, Promise<Connection>>();
  private bootstrapConn: Promise<Connection> | null = null;
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  private controllerId = -1;
  private clusterId: string | null = null;
  private closed = false;

  constructor(options: KafkaClientOptions) {
    const list = typeof options.bootstrap === 'string' ? options.bootstrap.split(',') : options.bootstrap;
    this.bootstrap = list.filter((s) => s.trim() !== '').map((s) => parseHostPort(s));
    if (this.bootstrap.length === 0) throw new InvalidArgumentError('bootstrap needs at least one host:port');
    this.options = {
      clientId: options.clientId ?? 'strand',
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      retries: options.retries ?? 5,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
      maxVersions: options.maxVersions,
      tls: options.tls,
      sasl: options.sasl,
    };
  }

  /** Connect to the first reachable bootstrap broker (ConnectionError if none is). */
  async connect(): Promise<void> {
    await this.bootstrapConnection();
  }

  /** Close every connection. The client cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const conns = [...this.pool.values(), ...(this.bootstrapConn ? [this.bootstrapConn] : [])];
    this.pool.clear();
    this.bootstrapConn = null;
    await Promise.all(conns.map((p) => p.then((c) => c.close(), () => undefined)));
  }

  /** A connection to a bootstrap broker (the first one that answers). */
  async bootstrapConnection(): Promise<Connection> {
    this.assertOpen();
    const conn = await (this.bootstrapConn ??= this.track(this.connectBootstrap(), (p) => {
      if (this.bootstrapConn === p) this.bootstrapConn = null;
    }));
    if (!conn.closed) return conn;
    // Closed, and its close event not handled yet: replace it now.
    this.bootstrapConn = null;
    return this.bootstrapConnection();
  }

  /** The connection to broker `nodeId`, opened if needed (metadata is fetched if the node is unknown). */
  async connectionTo(nodeId: number): Promise<Connection> {
    this.assertOpen();
    let p = this.pool.get(nodeId);
    if (p === undefined) {
      let broker = this.brokers.get(nodeId);
      if (broker === undefined) {
        await this.metadata([]);
        broker = this.brokers.get(nodeId);
        if (broker === undefined) throw new KafkaResponseError(ErrorCode.BROKER_NOT_AVAILABLE, { api: 'Metadata', resource: `broker ${nodeId}` }, 'not in the cluster metadata');
      }
      p = this.pool.get(nodeId) ?? this.track(this.open(broker.host, broker.port), (dead) => {
        if (this.pool.get(nodeId) === dead) this.pool.delete(nodeId);
      });
      this.pool.set(nodeId, p);
    }
    const conn = await p;
    if (!conn.closed) return conn;
    if (this.pool.get(nodeId) === p) this.pool.delete(nodeId);
    return this.connectionTo(nodeId);
  }

  /** Calls `forget(p)` once the connection `p` fails to open or closes. */
  private track(p: Promise<Connection>, forget: (p: Promise<Connection>) => void): Promise<Connection> {
    p.then((c) => c.onClose(() => forget(p)), () => forget(p));
    return p;
  }

  /** Where admin requests go: the controller if known, else a bootstrap broker. */
  async adminConnection(): Promise<Connection> {
    if (this.controllerId < 0) await this.metadata([]);
    if (this.controllerId >= 0 && this.brokers.has(this.controllerId)) return this.connectionTo(this.controllerId);
    return this.bootstrapConnection();
  }

  /** Send any request to a broker (the bootstrap connection when `nodeId` is omitted). */
  async request<Req, Res>(api: ApiCodec<Req, Res>, body: Req, options: SendOptions & { nodeId?: number } = {}): Promise<Complete<Res>> {
    const conn = options.nodeId === undefined ? await this.bootstrapConnection() : await this.connectionTo(options.nodeId);
    return conn.send(api, body, options);
  }

  /**
   * Fetch metadata for `topics` (all topics when null or omitted, none for `[]`) and update the
   * cache. Topic and partition errors are reported in the result, not thrown.
   */
  async metadata(topics: readonly string[] | null = null, options: MetadataOptions = {}): Promise<ClusterMetadata> {
    const conn = await this.bootstrapConnection();
    const res = await conn.send(MetadataApi, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? this.options.allowAutoTopicCreation,
    });
    return this.absorbMetadata(res, topics === null);
  }

  /** Cached metadata of a topic, if any. */
  cachedTopic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  /**
   * Metadata of one topic, from the cache or fetched. Throws if the topic does not exist; waits
   * (with retries) while the broker answers LEADER_NOT_AVAILABLE, as it does for a topic being created.
   */
  async topic(name: string, options: MetadataOptions & { refresh?: boolean } = {}): Promise<TopicInfo> {
    let t = options.refresh ? undefined : this.topics.get(name);
    for (let attempt = 0; t === undefined || t.error !== null; attempt++) {
      if (attempt > 0) await this.backoff(attempt - 1);
      const md = await this.metadata([name], options);
      t = md.topics.find((x) => x.name === name);
      if (t === undefined) throw new KafkaResponseError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api: 'Metadata', topic: name });
      if (t.error !== null && (t.error.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE || attempt >= this.options.retries)) throw t.error;
    }
    return t;
  }

  /** Node id of the leader of `topic`-`partition` (refreshing metadata when unknown). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const t = await this.topic(topic, { refresh: attempt > 0 });
      const p = t.partitions.find((x) => x.partition === partition);
      if (p === undefined) throw new KafkaResponseError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api: 'Metadata', topic, partition }, `topic ${topic} has ${t.partitions.length} partitions`);
      if (p.leader >= 0) return p.leader;
      if (attempt >= this.options.retries) throw p.error ?? new KafkaResponseError(ErrorCode.LEADER_NOT_AVAILABLE, { api: 'Metadata', topic, partition });
      await this.backoff(attempt);
    }
  }

  /** Partition indexes of a topic, sorted. */
  async partitionsOf(topic: string, options: MetadataOptions = {}): Promise<number[]> {
    return (await this.topic(topic, options)).partitions.map((p) => p.partition);
  }

  /**
   * Run `fn`, retrying after a retriable KafkaResponseError (with a metadata refresh) or, when
   * `idempotent`, after a lost connection. Other errors pass through at once.
   */
  async retrying<T>(idempotent: boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const retriable = (err instanceof KafkaResponseError && err.retriable) || (idempotent && err instanceof ConnectionError && !err.duringConnect);
        if (!retriable || attempt >= this.options.retries || this.closed) throw err;
        await this.backoff(attempt);
        if (err instanceof ConnectionError || RETRY_METADATA_CODES.has((err as KafkaResponseError).errorCode)) {
          await this.metadata([...this.topics.keys()]).catch(() => undefined);
        }
      }
    }
  }

  /** The request timeout (a long-polling Fetch adds its wait to it). */
  get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs;
  }

  protected backoff(attempt: number): Promise<void> {
    return sleep(Math.min(this.options.retryBackoffMs * 2 ** attempt, 5000));
  }

  private absorbMetadata(res: Complete<MetadataResponse>, all: boolean): ClusterMetadata {
    this.clusterId = res.clusterId;
    this.controllerId = res.controllerId;
    this.brokers.clear();
    const brokers = res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    for (const b of brokers) this.brokers.set(b.nodeId, b);
    if (all) this.topics.clear();
    const topics: TopicInfo[] = res.topics.map((t) => {
      const name = t.name ?? '';
      const partitions = t.partitions.map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offline: p.offlineReplicas,
        error: KafkaResponseError.of(p.errorCode, { api: 'Metadata', topic: name, partition: p.partitionIndex }),
      })).sort((a, b) => a.partition - b.partition);
      return { name, topicId: t.topicId, internal: t.isInternal, partitions, error: KafkaResponseError.of(t.errorCode, { api: 'Metadata', topic: name }) };
    });
    for (const t of topics) {
      if (t.error === null) this.topics.set(t.name, t);
      else this.topics.delete(t.name);
    }
    return { clusterId: res.clusterId, controllerId: res.controllerId, brokers, topics };
  }

  private async connectBootstrap(): Promise<Connection> {
    let last: unknown;
    for (const { host, port } of this.bootstrap) {
      try {
        return await this.open(host, port);
      } catch (err) {
        last = err;
      }
    }
    if (this.bootstrap.length > 1 && last instanceof ConnectionError) {
      const all = this.bootstrap.map((b) => `${b.host}:${b.port}`).join(', ');
      throw new ConnectionError(last.host, last.port, `cannot connect to any of ${all}: ${last.syscallCode ?? last.message}`, { cause: last, syscallCode: last.syscallCode, duringConnect: true });
    }
    throw last;
  }

  private open(host: string, port: number): Promise<Connection> {
    return Connection.connect({
      host, port,
      clientId: this.options.clientId,
      connectTimeoutMs: this.options.connectTimeoutMs,
      requestTimeoutMs: this.options.requestTimeoutMs,
      maxVersions: this.options.maxVersions,
      tls: this.options.tls,
      sasl: this.options.sasl,
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidArgumentError('this KafkaClient is closed');
  }
}
