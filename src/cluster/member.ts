/**
 * A broker's membership of a cluster: its session and registration, its watched copy of the
 * cluster state, its candidacy for controller and, while elected, the controller's work. This is
 * the `ClusterMetadata` the broker consumes.
 */
import { randomBytes } from 'node:crypto';
import type { Etcd3, Watcher } from 'etcd3';
import { InvalidArgumentError, type KafkaErrorCode } from '../errors.js';
import { logger } from '../logger.js';
import { type ClusterConfig, DEFAULT_SESSION_TIMEOUT_MS, leaseTtlSeconds, validateConfig } from './config.js';
import { addAssignedPartitions, alterReassignment, electLeaders, listReassignments, type PartitionResult, type ReassignmentView, updateTopic } from './admin-ops.js';
import { ActiveController, type RebalanceOptions } from './controller.js';
import { campaign, type ControllerTerm } from './election.js';
import { ClusterMetadataError, InvalidReplicationFactorError, TopicAlreadyExistsError, UnknownTopicOrPartitionError } from './errors.js';
import { connectEtcd, keyOf, readPrefix } from './etcd-client.js';
import { alterPartition } from './isr.js';
import { PLACEMENT_CONFIG, PlacementError } from './placement.js';
import { allocateProducerIdBlock } from './producer-ids.js';
import { ClusterKeys } from './keys.js';
import { type ChangeSet, MetadataCache, partitionId } from './metadata-cache.js';
import { encodeTopic } from './records.js';
import { Session } from './session.js';
import type { BrokerRegistration, ClusterMetadata, ControllerInfo, CreateTopicSpec, PartitionState, PartitionStateListener, TopicRecord } from './types.js';

/** A member's settings: the cluster's, and the controller's operations (used while it is elected). */
export type MemberConfig = ClusterConfig & { rebalance?: RebalanceOptions };

const CAMPAIGN_RETRY_MS = 200;

export class ClusterMember implements ClusterMetadata {
  readonly nodeId: number;
  readonly keys: ClusterKeys;
  private readonly client: Etcd3;
  private readonly cache: MetadataCache;
  private readonly session: Session;
  private active: ActiveController | null = null;
  private campaigning = false;
  private closed = false;
  /** Partitions with a reassignment in progress (`topic/partition`), watched for the replication throttle. */
  private readonly reassigning = new Set<string>();
  private reassignWatch: Watcher | null = null;
  /** The last term this member won, kept after it is deposed (fault tests write through it to see etcd refuse). */
  lastTerm: ControllerTerm | null = null;

  private constructor(private readonly config: MemberConfig) {
    validateConfig(config);
    this.nodeId = config.nodeId;
    this.keys = ClusterKeys.forCluster(config.clusterId);
    this.client = connectEtcd(config.endpoints);
    this.cache = new MetadataCache(this.client, this.keys, config.nodeId);
    const ttl = leaseTtlSeconds(config.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS);
    this.session = new Session(this.client, this.keys, { nodeId: config.nodeId, listeners: config.listeners, rack: config.rack ?? null }, ttl);
  }

  /**
   * Reads the cluster state, registers this broker (waiting, if another live process holds the
   * node id, for its session to end), and stands for controller. Resolves once the registration
   * is visible locally. `listener` hears the initial state too.
   */
  static async start(config: MemberConfig, listener?: PartitionStateListener): Promise<ClusterMember> {
    const member = new ClusterMember(config);
    if (listener) member.addListener(listener);
    try {
      await member.cache.start();
    } catch (err) {
      member.client.close();
      throw new ClusterMetadataError(`cannot read the cluster state from etcd at ${config.endpoints.join(',')}: ${(err as Error).message}`, { cause: err });
    }
    member.cache.changeHooks.add((c) => member.onChange(c));
    await member.watchReassignments().catch((err: Error) => logger.warn({ err: err.message }, 'cluster: cannot watch reassignments; the replication throttle is off'));
    member.session.on('registered', () => member.maybeCampaign());
    member.session.on('lost', () => member.resign('its session was lost'));
    await member.session.start();
    // Resolve once this broker's own registration is in its copy of the state, so that
    // liveBrokers() includes it from the start.
    await member.waitFor('its own registration', () => (member.cache.brokers.get(member.nodeId)?.incarnationId === member.session.incarnationId ? true : undefined));
    return member;
  }

  get sessionTtlSeconds(): number {
    return this.session.ttlSeconds;
  }

  liveBrokers(): BrokerRegistration[] {
    return this.cache.liveBrokers();
  }

  controller(): ControllerInfo | null {
    const c = this.cache.controller;
    return c && { nodeId: c.nodeId, epoch: c.epoch };
  }

  isController(): boolean {
    return this.active !== null;
  }

  topics(): TopicRecord[] {
    return [...this.cache.topics.values()].map((t) => t.value).filter((t) => t.assignment !== null);
  }

  topic(name: string): TopicRecord | undefined {
    const t = this.cache.topics.get(name)?.value;
    return t?.assignment ? t : undefined;
  }

  partition(topic: string, partition: number): PartitionState | undefined {
    return this.cache.partitions.get(partitionId(topic, partition))?.value;
  }

  addListener(listener: PartitionStateListener): () => void {
    return this.cache.addListener(listener);
  }

  async createTopic(spec: CreateTopicSpec): Promise<TopicRecord> {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(spec.name)) throw new InvalidArgumentError(`topic name ${spec.name} may only contain [A-Za-z0-9._-]`);
    if (!Number.isInteger(spec.numPartitions) || spec.numPartitions < 1) throw new InvalidArgumentError(`topic ${spec.name}: ${spec.numPartitions} partitions`);
    const live = this.cache.brokers.size;
    if (!Number.isInteger(spec.replicationFactor) || spec.replicationFactor < 1 || spec.replicationFactor > live) throw new InvalidReplicationFactorError(spec.name, spec.replicationFactor, live);
    const record: TopicRecord = { name: spec.name, topicId: randomBytes(16).toString('base64url'), numPartitions: spec.numPartitions, replicationFactor: spec.replicationFactor, configs: spec.configs ?? {}, assignment: null };
    const key = this.keys.topic(spec.name);
    const res = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(encodeTopic(record))).commit();
    if (!res.succeeded) throw new TopicAlreadyExistsError(spec.name);
    const done = await this.waitFor(`topic ${spec.name} to be assigned by the controller`, () => {
      const t = this.cache.topics.get(spec.name);
      return t && t.value.topicId === record.topicId && (t.value.assignment || t.value.error) ? t : undefined;
    });
    if (done.value.error) {
      await this.client.if(key, 'Mod', '==', done.modRevision).then(this.client.delete().key(key)).commit();
      // A placement the live brokers' racks cannot meet: the controller's words.
      if (spec.configs?.[PLACEMENT_CONFIG]) throw new PlacementError(`topic ${spec.name}: ${done.value.error.message}`, done.value.error.code as KafkaErrorCode);
      throw new InvalidReplicationFactorError(spec.name, spec.replicationFactor, this.cache.brokers.size);
    }
    return done.value;
  }

  async deleteTopic(name: string): Promise<void> {
    const key = this.keys.topic(name);
    const res = await this.client.if(key, 'Create', '>', 0).then(this.client.delete().key(key), this.client.delete().prefix(this.keys.partitionsOf(name)), this.client.delete().prefix(`${this.keys.reassignments}${name}/`)).commit();
    if (!res.succeeded) throw new UnknownTopicOrPartitionError(name);
  }

  allocateProducerIds(size: number): Promise<number> {
    return allocateProducerIdBlock(this.client, `${this.keys.prefix}producer_ids`, size);
  }

  requestIsrChange(topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, newIsr: number[]): Promise<PartitionState> {
    return alterPartition(this.client, this.keys, { brokerId: this.nodeId, topic, partition, leaderEpoch, partitionEpoch, newIsr });
  }

  /**
   * Controlled shutdown (Kafka's, KIP-631's for KRaft): marks this broker as shutting down in etcd
   * (a key bound to its session, so it goes with it), which the controller answers as it would
   * this broker's death while the broker still serves: leadership moves to other ISR members and
   * the broker leaves the ISRs. Resolves true once nothing more can move (a partition whose
   * only ISR member is this broker stays with it), false after `timeoutMs`.
   */
  async controlledShutdown(timeoutMs: number): Promise<boolean> {
    const leaseId = this.session.leaseId;
    if (leaseId === null || this.closed) return false;
    await this.client.put(this.keys.shutdown(this.nodeId)).value(JSON.stringify({ nodeId: this.nodeId })).lease(leaseId).exec();
    return this.waitUntil(() => this.shutdownSettled(), timeoutMs);
  }

  /** Partitions this broker still leads while another live ISR member could, or still follows in the ISR of. */
  shutdownRemaining(): PartitionState[] {
    const live = new Set(this.cache.brokers.keys());
    const me = this.nodeId;
    return [...this.cache.partitions.values()].map((p) => p.value).filter((s) => (s.leader === me ? s.isr.some((b) => b !== me && live.has(b)) : s.isr.includes(me)));
  }

  private shutdownSettled(): boolean {
    return this.shutdownRemaining().length === 0;
  }

  /** Whether `topic`-`partition` is being reassigned (its adding replicas are throttled). */
  isReassigning(topic: string, partition: number): boolean {
    return this.reassigning.has(`${topic}/${partition}`);
  }

  private async watchReassignments(): Promise<void> {
    const prefix = this.keys.reassignments;
    const { revision, kvs } = await readPrefix(this.client, prefix);
    const apply = (key: string, present: boolean): void => {
      const k = this.keys.parse(key);
      if (k?.kind !== 'reassignment') return;
      if (present) this.reassigning.add(`${k.topic}/${k.partition}`);
      else this.reassigning.delete(`${k.topic}/${k.partition}`);
    };
    for (const kv of kvs) apply(keyOf(kv), true);
    this.reassignWatch = await this.client.watch().prefix(prefix).startRevision(String(revision + 1)).create();
    this.reassignWatch.on('data', (res) => {
      for (const ev of res.events) apply(keyOf(ev.kv), ev.type === 'Put');
    });
  }

  electLeaders(type: number, partitions: Array<{ topic: string; partition: number }> | null): Promise<PartitionResult[]> {
    return electLeaders(this.client, this.keys, type, partitions, this.cache.controller?.epoch ?? 0);
  }

  alterReassignment(topic: string, partition: number, replicas: number[] | null): Promise<PartitionResult> {
    return alterReassignment(this.client, this.keys, topic, partition, replicas);
  }

  listReassignments(wanted: Array<{ topic: string; partition: number }> | null): Promise<ReassignmentView[]> {
    return listReassignments(this.client, this.keys, wanted);
  }

  /**
   * CreatePartitions: raises the topic's partition count; resolves once the new partitions are
   * assigned and this broker knows them. Without `assignments` the controller assigns them as a
   * new topic's; with them (one replica list per new partition) they are checked as KRaft checks
   * a manual assignment and written here, with the topic record, in one compare-and-swap.
   */
  async addPartitions(name: string, total: number, assignments?: number[][]): Promise<TopicRecord> {
    const record = assignments === undefined
      ? await updateTopic(this.client, this.keys, name, (t) => {
        if (t.assignment === null) throw new UnknownTopicOrPartitionError(name);
        return { ...t, numPartitions: total };
      }, () => new UnknownTopicOrPartitionError(name))
      : await addAssignedPartitions(this.client, this.keys, name, total, assignments, new Set(this.cache.brokers.keys()), this.cache.controller?.epoch ?? 0);
    return this.waitFor(`the new partitions of ${name} to be assigned by the controller`, () => {
      const t = this.cache.topics.get(name)?.value;
      return t && t.topicId === record.topicId && (t.assignment?.length ?? 0) >= total ? t : undefined;
    });
  }

  /** Topic configs: replaces the topic record's configs; resolves once this broker has the change from its watch. */
  async setTopicConfigs(name: string, configs: Record<string, string>): Promise<TopicRecord> {
    const record = await updateTopic(this.client, this.keys, name, (t) => ({ ...t, configs }), () => new UnknownTopicOrPartitionError(name));
    const want = JSON.stringify(record.configs);
    return this.waitFor(`the configs of ${name}`, () => {
      const t = this.cache.topics.get(name)?.value;
      return t && JSON.stringify(t.configs) === want ? t : undefined;
    });
  }

  /** Leaves the cluster: stops controlling and revokes the session, so etcd drops the registration (and the controller key) at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resign('it is closing');
    await this.session.close();
    await this.reassignWatch?.cancel().catch(() => undefined);
    await this.cache.close();
    this.client.close();
  }

  private onChange(changes: ChangeSet): void {
    if (changes.controller) {
      const c = this.cache.controller;
      if (this.active && c?.createRevision !== this.active.term.createRevision) this.resign(c ? `node ${c.nodeId} holds epoch ${c.epoch}` : 'its controller key is gone');
      if (!c) this.maybeCampaign();
    }
    if (this.active && (changes.brokers || changes.topics || (changes.partitions && this.active.waitsForPartitions))) this.active.schedule();
  }

  private maybeCampaign(): void {
    if (this.closed || this.config.controllerCandidate === false || this.active || this.campaigning || this.cache.controller) return;
    const leaseId = this.session.leaseId;
    if (!leaseId) return;
    this.campaigning = true;
    void campaign(this.client, this.keys, this.nodeId, leaseId)
      .then((term) => {
        if (!term) return;
        if (this.closed || this.session.leaseId !== leaseId) return;
        this.lastTerm = term;
        logger.info({ nodeId: this.nodeId, controllerEpoch: term.epoch }, 'cluster: elected controller');
        this.active = new ActiveController(this.client, this.keys, term, this.config.uncleanLeaderElection ?? false, (err) => this.resign(err.message), this.config.rebalance);
        this.active.schedule();
      })
      .catch((err: Error) => logger.debug({ err: err.message, nodeId: this.nodeId }, 'cluster: campaign failed'))
      .finally(() => {
        this.campaigning = false;
        // The key may have gone while this campaign was in flight; the watch event was ignored then.
        if (!this.active && !this.cache.controller) setTimeout(() => this.maybeCampaign(), CAMPAIGN_RETRY_MS);
      });
  }

  private resign(why: string): void {
    if (!this.active) return;
    logger.info({ nodeId: this.nodeId, controllerEpoch: this.active.term.epoch, why }, 'cluster: no longer the controller');
    this.active.stop();
    this.active = null;
  }

  private waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const hook = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.cache.changeHooks.delete(hook);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.cache.changeHooks.delete(hook);
        resolve(false);
      }, timeoutMs);
      this.cache.changeHooks.add(hook);
    });
  }

  private waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    const timeoutMs = 2 * (this.config.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS) + 5000;
    return new Promise((resolve, reject) => {
      const hook = (): void => {
        const v = check();
        if (v === undefined) return;
        clearTimeout(timer);
        this.cache.changeHooks.delete(hook);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.cache.changeHooks.delete(hook);
        reject(new ClusterMetadataError(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.cache.changeHooks.add(hook);
    });
  }
}
