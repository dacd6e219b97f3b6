/**
 * What request handlers see of the broker: its configuration, the topics (with their logs),
 * and the request being served. Handlers are plain functions of (request, context) so each
 * API lives in its own file under `handlers/` and is testable through a real socket.
 */
import type { Logger } from 'pino';
import type { Complete } from '../protocol/types.js';
import type { Replication } from '../cluster/replication/types.js';
import type { Log } from '../storage/log.js';
import type { Store } from '../storage/store.js';
import type { BrokerConfig } from './config.js';
import type { BrokerStats } from './stats.js';

/** A topic as the broker knows it. */
export interface TopicDescription {
  readonly name: string;
  /** Kafka topic id (UUID) in the protocol's text form (22-char base64url, as the codecs use). */
  readonly topicId: string;
  readonly partitions: number;
  /** Topic-level overrides only (e.g. `retention.ms`), by Kafka name. */
  readonly configs: ReadonlyMap<string, string>;
  /** Internal topics (`__consumer_offsets`, ...) are hidden from Metadata unless asked for. */
  readonly internal: boolean;
}

export interface CreateTopicOptions {
  /** Check everything, change nothing (CreateTopics validate_only). */
  validateOnly?: boolean;
  internal?: boolean;
}

/**
 * The broker's topics: persisted metadata (name, id, partition count, config overrides) plus
 * their partition logs in the store. Mutations throw StrandError subclasses whose `kafkaCode`
 * is the answer to give (TOPIC_ALREADY_EXISTS, INVALID_CONFIG, INVALID_PARTITIONS, ...).
 */
export interface Topics {
  get(name: string): TopicDescription | undefined;
  byId(topicId: string): TopicDescription | undefined;
  list(): TopicDescription[];
  create(name: string, partitions: number, configs: ReadonlyMap<string, string>, options?: CreateTopicOptions): TopicDescription;
  delete(name: string): Promise<void>;
  /** The partition's log, or null if the topic or partition does not exist. */
  log(topic: string, partition: number): Log | null;
  /** Call `listener` with each topic deleted from now on, before its name can be used again; returns a function that stops it. */
  onDeleted(listener: (name: string) => void): () => void;
}

/** Shared state of one broker, handed to every handler. */
export interface BrokerCore {
  readonly nodeId: number;
  readonly clusterId: string;
  /** Host and port clients are told to connect to (advertised.listeners). */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  readonly config: BrokerConfig;
  readonly store: Store;
  readonly topics: Topics;
  readonly logger: Logger;
  /** Who leads each partition, its high watermark, acks=all and follower positions (a cluster's, or a single broker's own). */
  readonly replication: Replication;
  /** A cluster member's source of producer id blocks (unique across the cluster); null on a single broker, which keeps its own. */
  readonly producerIdBlocks: ((size: number) => Promise<number>) | null;
  /** Counters of the request paths, read by /metrics (plain additions, nothing per record). */
  readonly stats: BrokerStats;
  /** What ApiVersions advertises: exactly the APIs and versions served. */
  apiVersions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
  /** Wake fetches waiting on this partition (called after every append). */
  notifyAppend(topic: string, partition: number): void;
  /** Long poll: resolves true when an append to any of `partitions` happens, false when `ms` elapse or the broker stops. */
  waitForAppend(partitions: ReadonlyArray<{ topic: string; partition: number }>, ms: number): Promise<boolean>;
}

/** The request being served. */
export interface RequestContext {
  readonly broker: BrokerCore;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** Remote address of the connection, for logs. */
  readonly remote: string;
  /** Kafka's principal of the connection (`User:ANONYMOUS` until TLS or SASL says otherwise). */
  readonly principal: string;
  /** The listener the request came in on (upper case, as Kafka names listeners). */
  readonly listenerName: string;
  /** The address that listener advertises: what Metadata, FindCoordinator and DescribeCluster tell this client (Kafka answers with the endpoints of the request's listener). */
  readonly endpoint: { readonly host: string; readonly port: number };
  /**
   * A consumer's Fetch while client quotas are configured (Kafka's handleFetchRequest): the most
   * record bytes it may gather, and the charge made before it answers, given the record bytes the
   * answer would carry and the time spent in its long poll; a throttle (ms) above 0 means the
   * bytes were taken back and the answer is empty.
   */
  readonly fetchQuota?: { readonly maxBytes: number; charge(recordBytes: number, waitedMs: number): number };
}

/**
 * A handler answers a decoded request with a response body (or a promise of one). Returning
 * `null` sends no response (Produce with acks=0).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<Req = any, Res = any> = (request: Complete<Req>, ctx: RequestContext) => Res | null | Promise<Res | null>;
