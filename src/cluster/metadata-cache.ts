/**
 * A broker's local copy of the cluster state under the prefix: read once, then kept current by
 * an etcd watch from the next revision (etcd3 resumes the watch from the last revision it saw
 * after a reconnect, so no change is missed across an etcd restart). Each watch response is
 * applied whole (a controller transaction lands as one), then the listeners hear what it means
 * for this broker.
 */
import type { Etcd3, IEvent, IKeyValue, Watcher } from 'etcd3';
import { logger } from '../logger.js';
import { keyOf, readPrefix } from './etcd-client.js';
import type { ClusterKeys } from './keys.js';
import { decodeBroker, decodeController, decodePartition, decodeTopic } from './records.js';
import type { BrokerRegistration, ControllerInfo, PartitionState, PartitionStateListener, TopicRecord } from './types.js';

export interface Versioned<T> {
  value: T;
  modRevision: number;
}

/** What a batch of changes touched. */
export interface ChangeSet {
  brokers: boolean;
  topics: boolean;
  partitions: boolean;
  controller: boolean;
}

export const partitionId = (topic: string, partition: number): string => `${topic}/${partition}`;

export class MetadataCache {
  readonly brokers = new Map<number, BrokerRegistration>();
  readonly topics = new Map<string, Versioned<TopicRecord>>();
  readonly partitions = new Map<string, Versioned<PartitionState>>();
  controller: (ControllerInfo & { createRevision: number }) | null = null;
  private readonly listeners = new Set<PartitionStateListener>();
  /** Called after each applied batch, after the listeners (the member and its controller react here). */
  readonly changeHooks = new Set<(changes: ChangeSet) => void>();
  private watcher: Watcher | null = null;

  constructor(private readonly client: Etcd3, private readonly keys: ClusterKeys, private readonly nodeId: number) {}

  async start(): Promise<void> {
    const { revision, kvs } = await readPrefix(this.client, this.keys.prefix);
    this.apply(kvs.map((kv) => ({ type: 'Put', kv }) as IEvent));
    this.watcher = await this.client.watch().prefix(this.keys.prefix).startRevision(String(revision + 1)).create();
    this.watcher.on('data', (res) => this.apply(res.events));
    this.watcher.on('error', (err) => logger.warn({ err: err.message }, 'cluster: metadata watch failed'));
  }

  async close(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = null;
  }

  addListener(listener: PartitionStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  liveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  private apply(events: IEvent[]): void {
    const changes: ChangeSet = { brokers: false, topics: false, partitions: false, controller: false };
    const before = new Map<string, PartitionState | undefined>();
    for (const ev of events) {
      try {
        this.applyOne(ev.type === 'Put' ? ev.kv : null, ev.kv, changes, before);
      } catch (err) {
        logger.error({ err, key: keyOf(ev.kv) }, 'cluster: ignoring a record that does not parse');
      }
    }
    if (changes.topics) {
      const assigned = [...this.topics.values()].map((t) => t.value).filter((t) => t.assignment !== null);
      this.each((l) => l.topicsChanged?.(assigned));
    }
    for (const [id, prev] of before) this.notifyPartition(id, prev);
    if (changes.brokers) this.each((l) => l.brokersChanged?.(this.liveBrokers()));
    if (changes.controller) this.each((l) => l.controllerChanged?.(this.controller && { nodeId: this.controller.nodeId, epoch: this.controller.epoch }));
    for (const hook of this.changeHooks) hook(changes);
  }

  private applyOne(put: IKeyValue | null, kv: IKeyValue, changes: ChangeSet, before: Map<string, PartitionState | undefined>): void {
    const parsed = this.keys.parse(keyOf(kv));
    if (!parsed) return;
    switch (parsed.kind) {
      case 'broker':
        if (put) this.brokers.set(parsed.nodeId, decodeBroker(put));
        else this.brokers.delete(parsed.nodeId);
        changes.brokers = true;
        return;
      case 'controller':
        this.controller = put ? { ...decodeController(put), createRevision: Number(put.create_revision) } : null;
        changes.controller = true;
        return;
      case 'topic':
        if (put) this.topics.set(parsed.topic, { value: decodeTopic(put), modRevision: Number(put.mod_revision) });
        else this.topics.delete(parsed.topic);
        changes.topics = true;
        return;
      case 'partition': {
        const id = partitionId(parsed.topic, parsed.partition);
        if (!before.has(id)) before.set(id, this.partitions.get(id)?.value);
        if (put) this.partitions.set(id, { value: decodePartition(put), modRevision: Number(put.mod_revision) });
        else this.partitions.delete(id);
        changes.partitions = true;
        return;
      }
      case 'controllerEpoch':
        return;
    }
  }

  /** Kafka's makeLeader / makeFollower decision: on a new leader epoch (or first sight) for a partition this broker replicates. */
  private notifyPartition(id: string, prev: PartitionState | undefined): void {
    const next = this.partitions.get(id)?.value;
    const me = this.nodeId;
    const wasReplica = prev?.replicas.includes(me) ?? false;
    if (!next || !next.replicas.includes(me)) {
      if (wasReplica) this.each((l) => l.partitionDeleted?.(prev!.topic, prev!.partition));
      return;
    }
    const newTerm = !wasReplica || prev!.leaderEpoch !== next.leaderEpoch || prev!.leader !== next.leader;
    if (newTerm && next.leader === me) this.each((l) => l.becomeLeader?.(next));
    else if (newTerm) this.each((l) => l.becomeFollower?.(next));
    else if (prev!.partitionEpoch !== next.partitionEpoch) this.each((l) => l.partitionChanged?.(next));
  }

  private each(fn: (l: PartitionStateListener) => void): void {
    for (const l of this.listeners) {
      try {
        fn(l);
      } catch (err) {
        logger.error({ err }, 'cluster: a partition state listener threw');
      }
    }
  }
}
