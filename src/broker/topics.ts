/**
 * The broker's topics: their metadata (name, topic id, partition count, config overrides,
 * internal flag), persisted as Protocol Buffers in `<data-dir>/__strand_metadata/topics.pb`
 * (rewritten whole, atomically, on every change), and their partition logs in the Store, kept
 * configured with each topic's effective settings. Also owns `meta.properties` (cluster id).
 *
 * Mutations are synchronous up to the metadata write and throw StrandErrors whose kafkaCode is
 * the answer to give (INVALID_TOPIC_EXCEPTION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS,
 * INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { clone, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import { KafkaErrorCode, StorageIOError, StrandError } from '../errors.js';
import type { Log } from '../storage/log.js';
import type { LogConfig } from '../storage/log-config.js';
import { checkTopicName, type Store } from '../storage/store.js';
import type { BrokerConfig } from './config.js';
import type { CreateTopicOptions, TopicDescription, Topics } from './context.js';
import { TEMP_SUFFIX, writeFileAtomic } from './meta/atomic-file.js';
import { loadMetaProperties } from './meta/properties.js';
import { type TopicRecord, TopicRecordSchema, TopicsFileSchema } from './meta/topics_pb.js';
import { randomUuidBytes, uuidBytes, uuidText } from './meta/uuid.js';
import { checkBrokerTopicDefaults, toLogConfig, validateTopicConfigs } from './topic-config.js';

export const METADATA_DIR = '__strand_metadata';
export const TOPICS_FILE = 'topics.pb';
const FILE_VERSION = 1;
/**
 * Most partitions one topic may have. Kafka has no such limit; strand opens every partition's
 * log synchronously (about 0.5 ms each), so this bounds how long one request can hold the broker.
 */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;
/** Topics Kafka treats as internal (hidden from Metadata unless asked for). */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

export class UnknownTopicError extends StrandError {
  constructor(readonly topic: string) {
    super(`topic ${JSON.stringify(topic)} does not exist`, 'ERR_STRAND_UNKNOWN_TOPIC', KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
}

function topicError(message: string, kafkaCode: KafkaErrorCode, code: string): StrandError {
  return new StrandError(message, code, kafkaCode);
}

export interface AlterConfigsOptions {
  /** AlterConfigs (legacy): the given configs become the whole set of overrides. Otherwise they are merged. */
  replace?: boolean;
  validateOnly?: boolean;
}

/**
 * Where topics are created and deleted in a cluster: the controller, through the cluster's
 * metadata store. The topic manager then learns the result like every broker does, from
 * `applyClusterTopics`.
 */
export interface TopicAuthority {
  /** Resolves once the cluster has the topic with its replicas assigned. */
  create(spec: { name: string; numPartitions: number; replicationFactor: number; configs: Record<string, string> }): Promise<void>;
  delete(name: string): Promise<void>;
  /** Brokers registered now: the largest replication factor that can be met. */
  liveBrokers(): number;
  /** CreatePartitions: resolves once the controller has assigned the new partitions and this broker knows them. */
  addPartitions(name: string, total: number, assignments?: number[][]): Promise<void>;
  /** The topic's whole set of config overrides; resolves once this broker has applied them. */
  setConfigs(name: string, configs: Record<string, string>): Promise<void>;
}

/** A topic as the cluster's metadata store holds it. */
export interface ClusterTopic {
  name: string;
  topicId: string;
  numPartitions: number;
  configs: Record<string, string>;
}

export interface TopicManagerOptions {
  /** A cluster member: topics come from the cluster, and only the partitions this broker replicates have logs here. */
  authority?: TopicAuthority;
  /** The cluster id to record in meta.properties (a cluster member takes its cluster's). */
  clusterId?: string;
}

/** What the admin handlers need beyond `Topics`. */
export interface AdminTopics extends Topics {
  /** A promise in a cluster, where the change goes through the cluster's metadata store. */
  addPartitions(name: string, total: number, options?: { validateOnly?: boolean; assignments?: number[][] }): TopicDescription | Promise<TopicDescription>;
  alterConfigs(name: string, changes: ReadonlyMap<string, string | null>, options?: AlterConfigsOptions): TopicDescription | Promise<TopicDescription>;
  /** The storage settings in force for a topic's logs. */
  logConfig(name: string): Partial<LogConfig>;
  /** Delete the topic; with `topicId`, only if the topic under `name` still has that id. */
  delete(name: string, topicId?: string): Promise<void>;
  /**
   * Create a topic with `replicationFactor` replicas per partition: here on a single broker
   * (which only has one replica to give), through the controller in a cluster.
   */
  createReplicated(name: string, partitions: number, replicationFactor: number, configs: ReadonlyMap<string, string>, options?: CreateTopicOptions): Promise<TopicDescription>;
  /** Whether topics are created through a cluster's controller. */
  readonly clustered: boolean;
}

interface Entry {
  record: TopicRecord;
  description: TopicDescription;
}

export class TopicManager implements AdminTopics {
  private readonly byName = new Map<string, Entry>();
  private readonly idIndex = new Map<string, Entry>();
  private closed = false;
  private authority: TopicAuthority | null = null;
  private readonly deletedListeners = new Set<(name: string) => void>();

  private constructor(
    readonly store: Store,
    readonly config: BrokerConfig,
    private readonly logger: Logger,
    /** The cluster id from `meta.properties`. */
    readonly clusterId: string,
    readonly nodeId: number,
    private readonly path: string,
  ) {}

  /**
   * Load the topics of `store`'s data directory (creating `meta.properties` and the metadata
   * directory on first start) and reconcile them with the store: every known topic's partition
   * logs get the topic's settings, missing ones are created; logs of unknown topics are left
   * alone and reported.
   */
  static async open(store: Store, config: BrokerConfig, logger: Logger, options: TopicManagerOptions = {}): Promise<TopicManager> {
    checkBrokerTopicDefaults(config);
    const meta = loadMetaProperties(store.dir, config.nodeId, options.clusterId ?? config.raw('cluster.id'));
    const path = join(store.dir, METADATA_DIR, TOPICS_FILE);
    const manager = new TopicManager(store, config, logger, meta.clusterId, meta.nodeId, path);
    manager.authority = options.authority ?? null;
    rmSync(path + TEMP_SUFFIX, { force: true }); // a rewrite interrupted by a crash
    if (existsSync(path)) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(path);
      } catch (err) {
        throw new StorageIOError(`cannot read topic metadata ${path}: ${(err as Error).message}`, path, { cause: err });
      }
      let file;
      try {
        file = fromBinary(TopicsFileSchema, bytes);
      } catch (err) {
        throw new StorageIOError(`topic metadata ${path} is corrupt (${(err as Error).message}); restore it from a backup, or move it away to start with no topics (the logs stay on disk)`, path, { cause: err });
      }
      if (file.version > FILE_VERSION) throw new StorageIOError(`topic metadata ${path} has format version ${file.version}; this strand reads up to ${FILE_VERSION}`, path);
      for (const record of file.topics) manager.index(record);
    }
    manager.reconcile();
    logger.info({ clusterId: meta.clusterId, topics: manager.byName.size }, 'topics loaded');
    return manager;
  }

  get(name: string): TopicDescription | undefined {
    return this.byName.get(name)?.description;
  }

  byId(topicId: string): TopicDescription | undefined {
    return this.idIndex.get(topicId)?.description;
  }

  list(): TopicDescription[] {
    return [...this.byName.values()].map((e) => e.description);
  }

  log(topic: string, partition: number): Log | null {
    const entry = this.byName.get(topic);
    if (entry === undefined || !Number.isInteger(partition) || partition < 0 || partition >= entry.record.partitions) return null;
    return this.store.partitionSync(topic, partition);
  }

  get clustered(): boolean {
    return this.authority !== null;
  }

  async createReplicated(name: string, partitions: number, replicationFactor: number, configs: ReadonlyMap<string, string>, options: CreateTopicOptions = {}): Promise<TopicDescription> {
    if (this.authority === null) {
      if (replicationFactor !== 1) throw replicationFactorError(replicationFactor, 1);
      return this.create(name, partitions, configs, options);
    }
    const record = this.plan(name, partitions, configs, options);
    const live = this.authority.liveBrokers();
    if (replicationFactor < 1 || replicationFactor > live) throw replicationFactorError(replicationFactor, live);
    if (options.validateOnly) return describe(record);
    await this.authority.create({ name, numPartitions: partitions, replicationFactor, configs: record.configs });
    const created = this.byName.get(name);
    if (created === undefined) throw topicError(`topic ${name} was created in the cluster but is not known here yet`, KafkaErrorCode.LEADER_NOT_AVAILABLE, 'ERR_STRAND_LEADER_NOT_AVAILABLE');
    return created.description;
  }

  /**
   * A cluster member's topics become what the cluster has: new ones are added (partition logs
   * are opened only for the replicas this broker holds, by `openReplica`), changed ones updated,
   * and those the cluster no longer has (or has under another id) deleted here.
   */
  applyClusterTopics(topics: readonly ClusterTopic[]): void {
    if (this.closed) return;
    const wanted = new Map(topics.map((t) => [t.name, t]));
    let changed = false;
    for (const entry of [...this.byName.values()]) {
      const t = wanted.get(entry.record.name);
      if (t !== undefined && t.topicId === entry.description.topicId) continue;
      this.dropLocally(entry);
      changed = true;
    }
    for (const t of topics) {
      const id = uuidBytes(t.topicId);
      if (id === null) {
        this.logger.error({ topic: t.name, topicId: t.topicId }, 'cluster topic with an invalid topic id ignored');
        continue;
      }
      const entry = this.byName.get(t.name);
      const configs = Object.fromEntries(Object.entries(t.configs).sort(([a], [b]) => (a < b ? -1 : 1)));
      if (entry !== undefined && entry.record.partitions === t.numPartitions && JSON.stringify(entry.record.configs) === JSON.stringify(configs)) continue;
      const record = create(TopicRecordSchema, {
        name: t.name, topicId: id, partitions: t.numPartitions, configs, internal: INTERNAL_TOPICS.has(t.name), createdAtMs: entry?.record.createdAtMs ?? BigInt(Date.now()),
      });
      this.index(record);
      changed = true;
      if (entry !== undefined) {
        const logConfig = toLogConfig(new Map(Object.entries(configs)), this.config);
        for (let p = 0; p < record.partitions; p++) this.store.partitionSync(t.name, p)?.reconfigure(logConfig);
      } else this.logger.info({ topic: t.name, topicId: t.topicId, partitions: t.numPartitions }, 'topic created in the cluster');
    }
    if (changed) this.persist();
  }

  /** A cluster member's replica reassigned to other brokers: its directory is renamed away and deleted, as a deleted topic's. */
  removeReplica(topic: string, partition: number): void {
    if (this.store.partitionSync(topic, partition) === null) return;
    this.store.deletePartition(topic, partition)
      .then(() => this.logger.info({ topic, partition }, `replica ${topic}-${partition} reassigned away: its log was deleted`))
      .catch((err: Error) => this.logger.error({ topic, partition, err: err.message }, `could not delete the log of ${topic}-${partition}`));
  }

  /** A cluster member's replica of `topic`-`partition`: its log, created empty when new. Null when the topic is not known here. */
  openReplica(topic: string, partition: number): Log | null {
    const entry = this.byName.get(topic);
    if (entry === undefined || partition < 0 || partition >= entry.record.partitions) return null;
    return this.store.partitionSync(topic, partition) ?? this.store.partitionSync(topic, partition, { create: true, config: toLogConfig(entry.description.configs, this.config) });
  }

  create(name: string, partitions: number, configs: ReadonlyMap<string, string>, options: CreateTopicOptions = {}): TopicDescription {
    if (this.authority !== null) {
      // Callers that cannot wait (auto-creation, the coordinators' topics) start the creation
      // and are answered as Kafka answers while a topic is being created.
      if (!options.validateOnly && !this.byName.has(name)) {
        // Kafka: the coordinators' topics get their own replication factor (capped here at the
        // live brokers, where Kafka would wait for enough of them).
        const wanted = name === '__consumer_offsets' ? this.config.int('offsets.topic.replication.factor')
          : name === '__transaction_state' ? this.config.int('transaction.state.log.replication.factor')
            : this.config.int('default.replication.factor');
        const rf = Math.min(wanted, this.authority.liveBrokers());
        void this.createReplicated(name, partitions, Math.max(1, rf), configs, options).catch((err: Error) => this.logger.warn({ topic: name, err: err.message }, 'could not create the topic in the cluster'));
      }
      throw topicError(`topic ${name} is being created in the cluster`, KafkaErrorCode.LEADER_NOT_AVAILABLE, 'ERR_STRAND_LEADER_NOT_AVAILABLE');
    }
    const record = this.plan(name, partitions, configs, options);
    if (options.validateOnly) return describe(record);
    const logConfig = toLogConfig(new Map(Object.entries(record.configs)), this.config);
    this.openLogs(record, 0, logConfig);
    const entry = this.index(record);
    try {
      this.persist();
    } catch (err) {
      this.unindex(entry);
      throw err;
    }
    this.logger.info({ topic: name, topicId: entry.description.topicId, partitions, configs: record.configs }, 'topic created');
    return entry.description;
  }

  /** The record of a new topic, after every check a creation makes. */
  private plan(name: string, partitions: number, configs: ReadonlyMap<string, string>, options: CreateTopicOptions): TopicRecord {
    this.checkOpen();
    checkTopicName(name);
    if (this.byName.has(name)) throw topicError(`Topic '${name}' already exists.`, KafkaErrorCode.TOPIC_ALREADY_EXISTS, 'ERR_STRAND_TOPIC_EXISTS');
    const collision = this.collidingTopic(name);
    if (collision !== undefined) {
      throw topicError(`Topic '${name}' collides with existing topic: ${collision} (topic names that differ only in '.' versus '_' collide)`, KafkaErrorCode.INVALID_TOPIC_EXCEPTION, 'ERR_STRAND_INVALID_TOPIC');
    }
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw topicError(`Number of partitions was set to an invalid value ${partitions}: a topic needs at least 1 partition.`, KafkaErrorCode.INVALID_PARTITIONS, 'ERR_STRAND_INVALID_PARTITIONS');
    }
    checkPartitionLimit(partitions);
    const overrides = validateTopicConfigs(configs);
    toLogConfig(overrides, this.config); // refuses settings the logs cannot take
    return create(TopicRecordSchema, {
      name,
      topicId: this.newTopicId(),
      partitions,
      configs: Object.fromEntries(overrides),
      internal: options.internal ?? INTERNAL_TOPICS.has(name),
      createdAtMs: BigInt(Date.now()),
    });
  }

  /**
   * Delete a topic (the one with `topicId`, when given: a topic created again under the name
   * since is not touched). By the time this returns its promise the name is free and every
   * partition directory of the topic has been renamed away (see Store.deletePartition), so a topic
   * created under the name right after starts empty in directories of its own. Resolves once the
   * renames are durable.
   */
  async delete(name: string, topicId?: string): Promise<void> {
    this.checkOpen();
    const entry = this.byName.get(name);
    if (entry === undefined) throw new UnknownTopicError(name);
    if (topicId !== undefined && entry.description.topicId !== topicId) {
      throw topicError(`topic ${JSON.stringify(name)} has id ${entry.description.topicId}, not ${topicId}`, KafkaErrorCode.UNKNOWN_TOPIC_ID, 'ERR_STRAND_UNKNOWN_TOPIC_ID');
    }
    // In a cluster the controller deletes it; every broker then drops it in applyClusterTopics.
    if (this.authority !== null) return this.authority.delete(name);
    // Metadata first: a crash before the logs are gone leaves logs of an unknown topic (reported
    // on open), never a deleted topic coming back.
    this.unindex(entry);
    try {
      this.persist();
    } catch (err) {
      this.index(entry.record);
      throw err;
    }
    // Synchronously, before anything else can run: each call renames its directory before it
    // returns, so no create of the name can adopt (or later lose) a directory of this topic.
    const renamed = this.store.list().filter((ref) => ref.topic === name).map((ref) => this.store.deletePartition(name, ref.partition));
    this.logger.info({ topic: name, topicId: entry.description.topicId }, 'topic deleted');
    this.tellDeleted(name);
    await Promise.all(renamed);
  }

  /**
   * Call `listener` with the name of each topic deleted from now on, at once (before a topic of
   * the name can be created again). Returns a function that stops the calls.
   */
  onDeleted(listener: (name: string) => void): () => void {
    this.deletedListeners.add(listener);
    return () => this.deletedListeners.delete(listener);
  }

  addPartitions(name: string, total: number, options: { validateOnly?: boolean; assignments?: number[][] } = {}): TopicDescription | Promise<TopicDescription> {
    this.checkOpen();
    const entry = this.byName.get(name);
    if (entry === undefined) throw new UnknownTopicError(name);
    const current = entry.record.partitions;
    if (!Number.isInteger(total)) throw topicError(`invalid partition count ${total}`, KafkaErrorCode.INVALID_PARTITIONS, 'ERR_STRAND_INVALID_PARTITIONS');
    if (total === current) throw topicError(`Topic already has ${current} partitions.`, KafkaErrorCode.INVALID_PARTITIONS, 'ERR_STRAND_INVALID_PARTITIONS');
    if (total < current) {
      throw topicError(`Topic currently has ${current} partitions, which is higher than the requested ${total}; partitions can only be added.`, KafkaErrorCode.INVALID_PARTITIONS, 'ERR_STRAND_INVALID_PARTITIONS');
    }
    checkPartitionLimit(total);
    const record = clone(TopicRecordSchema, entry.record);
    record.partitions = total;
    if (options.validateOnly) return describe(record);
    if (this.authority !== null) return this.authority.addPartitions(name, total, options.assignments).then(() => this.get(name) ?? describe(record));
    this.openLogs(record, current, this.logConfig(name));
    this.replace(entry, record);
    this.logger.info({ topic: name, from: current, to: total }, 'partitions added');
    return this.get(name)!;
  }

  alterConfigs(name: string, changes: ReadonlyMap<string, string | null>, options: AlterConfigsOptions = {}): TopicDescription | Promise<TopicDescription> {
    this.checkOpen();
    const entry = this.byName.get(name);
    if (entry === undefined) throw new UnknownTopicError(name);
    const next = new Map(options.replace ? [] : Object.entries(entry.record.configs));
    const sets: Array<[string, string | null]> = [];
    for (const [k, v] of changes) {
      if (v === null && !options.replace) next.delete(k);
      else sets.push([k, v]);
    }
    for (const [k, v] of validateTopicConfigs(sets)) next.set(k, v);
    const logConfig = toLogConfig(next, this.config);
    const record = clone(TopicRecordSchema, entry.record);
    record.configs = Object.fromEntries([...next].sort(([a], [b]) => (a < b ? -1 : 1)));
    if (options.validateOnly) return describe(record);
    // In a cluster the topic record in etcd changes; every broker applies it in applyClusterTopics.
    if (this.authority !== null) return this.authority.setConfigs(name, record.configs).then(() => this.get(name) ?? describe(record));
    this.replace(entry, record);
    for (let p = 0; p < record.partitions; p++) this.store.partitionSync(name, p)?.reconfigure(logConfig);
    this.logger.info({ topic: name, configs: record.configs }, 'topic configs changed');
    return this.get(name)!;
  }

  logConfig(name: string): Partial<LogConfig> {
    const entry = this.byName.get(name);
    if (entry === undefined) throw new UnknownTopicError(name);
    return toLogConfig(entry.description.configs, this.config);
  }

  /** Stop accepting changes. The store is closed by its owner. */
  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- internals -------------------------------------------------------------------------

  /** Drop a topic the cluster no longer has (or has under another id): unlisted and its directories renamed away. */
  private dropLocally(entry: Entry): void {
    this.unindex(entry);
    const name = entry.record.name;
    const renamed = this.store.list().filter((ref) => ref.topic === name).map((ref) => this.store.deletePartition(name, ref.partition));
    this.logger.info({ topic: name, topicId: entry.description.topicId }, 'topic deleted in the cluster');
    this.tellDeleted(name);
    void Promise.all(renamed).catch((err: Error) => this.logger.error({ topic: name, err: err.message }, 'could not remove the partition directories of a deleted topic'));
  }

  private tellDeleted(name: string): void {
    for (const listener of [...this.deletedListeners]) {
      try {
        listener(name);
      } catch (err) {
        this.logger.error({ topic: name, err }, 'a listener of topic deletion failed');
      }
    }
  }


  private reconcile(): void {
    for (const { record, description } of this.byName.values()) {
      const logConfig = toLogConfig(description.configs, this.config);
      for (let p = 0; p < record.partitions; p++) {
        const log = this.store.partitionSync(record.name, p);
        if (log !== null) log.reconfigure(logConfig);
        // A cluster member opens the logs of its own replicas only, when the cluster says which.
        else if (this.authority === null) {
          this.store.partitionSync(record.name, p, { create: true, config: logConfig });
          this.logger.warn({ topic: record.name, partition: p }, `partition log ${record.name}-${p} was missing; created it empty`);
        }
      }
    }
    const strays = new Map<string, number[]>();
    for (const { topic, partition } of this.store.list()) {
      const entry = this.byName.get(topic);
      if (entry !== undefined && partition < entry.record.partitions) continue;
      strays.set(topic, [...(strays.get(topic) ?? []), partition]);
    }
    for (const [topic, partitions] of strays) {
      this.logger.warn({ topic, partitions: partitions.sort((a, b) => a - b) }, `partition logs of ${this.byName.has(topic) ? 'partitions beyond the topic\'s count' : 'unknown topic'} ${topic} left alone in ${this.store.dir}`);
    }
  }

  /** Create (or adopt) the logs of partitions `from` .. partitions-1; undo on failure. */
  private openLogs(record: TopicRecord, from: number, logConfig: Partial<LogConfig>): void {
    const made: number[] = [];
    try {
      for (let p = from; p < record.partitions; p++) {
        const existing = this.store.partitionSync(record.name, p);
        if (existing !== null) {
          this.logger.warn({ topic: record.name, partition: p }, `adopting existing partition log ${record.name}-${p}`);
          existing.reconfigure(logConfig);
          continue;
        }
        this.store.partitionSync(record.name, p, { create: true, config: logConfig });
        made.push(p);
      }
    } catch (err) {
      for (const p of made) void this.store.deletePartition(record.name, p).catch(() => {});
      throw err;
    }
  }

  private index(record: TopicRecord): Entry {
    const entry: Entry = { record, description: describe(record) };
    this.byName.set(record.name, entry);
    this.idIndex.set(entry.description.topicId, entry);
    return entry;
  }

  private unindex(entry: Entry): void {
    this.byName.delete(entry.record.name);
    this.idIndex.delete(entry.description.topicId);
  }

  /** Swap a topic's record for `record` and persist; the old one stays if the write fails. */
  private replace(entry: Entry, record: TopicRecord): void {
    this.index(record);
    try {
      this.persist();
    } catch (err) {
      this.index(entry.record);
      throw err;
    }
  }

  private persist(): void {
    const topics = [...this.byName.values()].map((e) => e.record).sort((a, b) => (a.name < b.name ? -1 : 1));
    writeFileAtomic(this.path, toBinary(TopicsFileSchema, create(TopicsFileSchema, { version: FILE_VERSION, topics })));
  }

  private newTopicId(): Uint8Array {
    for (;;) {
      const id = randomUuidBytes();
      if (!this.idIndex.has(uuidText(id))) return id;
    }
  }

  private collidingTopic(name: string): string | undefined {
    if (!name.includes('.') && !name.includes('_')) return undefined;
    const norm = name.replace(/\./g, '_');
    for (const other of this.byName.keys()) if (other.replace(/\./g, '_') === norm) return other;
    return undefined;
  }

  private checkOpen(): void {
    if (this.closed) throw new StrandError('topic manager is closed', 'ERR_STRAND_CLOSED', KafkaErrorCode.KAFKA_STORAGE_ERROR);
  }
}

function replicationFactorError(rf: number, brokers: number): StrandError {
  return topicError(`Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers} broker(s) are registered.`, KafkaErrorCode.INVALID_REPLICATION_FACTOR, 'ERR_STRAND_INVALID_REPLICATION_FACTOR');
}

function checkPartitionLimit(partitions: number): void {
  if (partitions > MAX_PARTITIONS_PER_TOPIC) {
    throw topicError(`${partitions} partitions is more than strand allows for one topic (${MAX_PARTITIONS_PER_TOPIC})`, KafkaErrorCode.INVALID_PARTITIONS, 'ERR_STRAND_INVALID_PARTITIONS');
  }
}

function describe(record: TopicRecord): TopicDescription {
  return Object.freeze({
    name: record.name,
    topicId: uuidText(record.topicId),
    partitions: record.partitions,
    configs: new Map(Object.entries(record.configs)) as ReadonlyMap<string, string>,
    internal: record.internal,
  });
}
