/**
 * The replica manager of a cluster member (Kafka's ReplicaManager): it hears the cluster state
 * (`PartitionStateListener`), makes this broker leader or follower of the partitions it holds a
 * replica of, runs the replica fetchers (`num.replica.fetchers` per source broker, partitions
 * spread over them by hash), shrinks ISRs on a timer, and answers the broker's handlers
 * (`Replication`): who leads, the high watermark, acks=all, follower positions.
 */
import { logger } from '../../logger.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { NO_LEADER, type BrokerRegistration, type ClusterMetadata, type PartitionState, type PartitionStateListener, type TopicRecord } from '../types.js';
import { ReplicaFetcher, type FetcherOptions } from './fetcher.js';
import { PartitionReplica } from './partition-replica.js';
import type { BrokerEndpoint, PartitionView, ReplicaLogs, Replication } from './types.js';
import type { Log } from '../../storage/log.js';
import { javaStringHashCode, kafkaAbs } from '../../java-hash.js';
import type { ByteRateThrottle } from '../throttle.js';

export interface ReplicaManagerOptions extends Omit<FetcherOptions, 'brokerEpoch'> {
  /** `replica.lag.time.max.ms` */
  lagTimeMaxMs: number;
  /** `num.replica.fetchers` */
  numFetchers: number;
  /** The listener name clients and replicas connect to (inter.broker.listener.name). */
  listenerName: string;
  /** leader.replication.throttled.rate, for the follower replicas `leaderThrottled` names. */
  leaderThrottle?: ByteRateThrottle;
  leaderThrottled?: (topic: string, partition: number, replicaId: number) => boolean;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaManager implements Replication, PartitionStateListener {
  readonly clustered = true;
  private meta: ClusterMetadata | null = null;
  private readonly replicas = new Map<string, PartitionReplica>();
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  private live: BrokerRegistration[] = [];
  private readonly shrinkTimer: NodeJS.Timeout;
  private closed = false;
  private readonly leadershipListeners = new Set<(topic: string, partition: number, leading: boolean) => void>();
  /** Partitions whose state arrived before their topic was known here: applied when it is. */
  private readonly parked = new Map<string, PartitionState>();

  constructor(private readonly nodeId: number, private readonly logs: ReplicaLogs, private readonly options: ReplicaManagerOptions) {
    // Kafka checks every replica.lag.time.max.ms / 2.
    this.shrinkTimer = setInterval(() => this.shrinkIsrs(), Math.max(100, options.lagTimeMaxMs / 2));
    this.shrinkTimer.unref();
  }

  /** Binds the cluster once the member has started (its initial state already reached this listener). */
  attach(meta: ClusterMetadata): void {
    this.meta = meta;
    this.live = meta.liveBrokers();
  }

  // ---- PartitionStateListener ------------------------------------------------------------

  becomeLeader(state: PartitionState): void {
    const replica = this.replicaFor(state);
    if (replica === null) return;
    this.stopFetching(state.topic, state.partition);
    replica.makeLeader(state, Date.now());
    logger.info({ topic: state.topic, partition: state.partition, leaderEpoch: state.leaderEpoch, isr: state.isr }, `replication: leading ${state.topic}-${state.partition} in epoch ${state.leaderEpoch}`);
    this.logs.notify(state.topic, state.partition);
    this.tellLeadership(state.topic, state.partition, true);
  }

  becomeFollower(state: PartitionState): void {
    const replica = this.replicaFor(state);
    if (replica === null) return;
    const wasLeader = replica.role === 'leader';
    replica.makeFollower(state);
    this.stopFetching(state.topic, state.partition);
    if (wasLeader) this.tellLeadership(state.topic, state.partition, false);
    // Appends this broker took as leader and still compresses in the worker pool land first: the
    // truncation the fetcher starts with then sees them (Kafka takes the partition's lock here).
    if (state.leader !== NO_LEADER) {
      void replica.log.drainAppends().catch(() => undefined).then(() => {
        if (this.closed || this.replicas.get(key(state.topic, state.partition)) !== replica || replica.isLeader || replica.state.leaderEpoch !== state.leaderEpoch) return;
        this.fetcherFor(state.leader, state.topic, state.partition).add({ topic: state.topic, partition: state.partition, log: replica.log, leaderEpoch: state.leaderEpoch, topicId: () => this.logs.topicId(state.topic) });
      });
    }
    logger.info({ topic: state.topic, partition: state.partition, leader: state.leader, leaderEpoch: state.leaderEpoch }, `replication: following ${state.leader} for ${state.topic}-${state.partition} in epoch ${state.leaderEpoch}`);
    this.logs.notify(state.topic, state.partition);
  }

  partitionChanged(state: PartitionState): void {
    const replica = this.replicas.get(key(state.topic, state.partition));
    if (replica === undefined) {
      if (this.parked.has(key(state.topic, state.partition))) this.parked.set(key(state.topic, state.partition), state);
      return;
    }
    replica.update(state, Date.now());
  }

  partitionDeleted(topic: string, partition: number): void {
    this.parked.delete(key(topic, partition));
    this.stopFetching(topic, partition);
    const replica = this.replicas.get(key(topic, partition));
    const wasLeader = replica?.role === 'leader';
    replica?.close();
    this.replicas.delete(key(topic, partition));
    if (wasLeader) this.tellLeadership(topic, partition, false);
    // Reassigned away (the topic is still known here): the log goes, as Kafka's StopReplica with delete.
    if (replica !== undefined && this.logs.topicId(topic) !== undefined) this.logs.remove?.(topic, partition);
  }

  brokersChanged(brokers: readonly BrokerRegistration[]): void {
    this.live = [...brokers];
  }

  /** Topics became known here: partitions parked for them are applied now. */
  topicsChanged(_topics: readonly TopicRecord[]): void {
    for (const [k, state] of [...this.parked]) {
      if (this.logs.topicId(state.topic) === undefined) continue;
      this.parked.delete(k);
      if (state.leader === this.nodeId) this.becomeLeader(state);
      else this.becomeFollower(state);
    }
  }

  // ---- Replication -----------------------------------------------------------------------

  brokers(listenerName = this.options.listenerName): BrokerEndpoint[] {
    const out: BrokerEndpoint[] = [];
    for (const b of this.live) {
      // Kafka lists each broker at the listener the request came in on; one without it is left out.
      const l = b.listeners.find((x) => x.name === listenerName);
      if (l !== undefined) out.push({ nodeId: b.nodeId, host: l.host, port: l.port, rack: b.rack });
    }
    return out;
  }

  controllerId(): number {
    // Admin requests go to the "controller" clients are told of; any strand broker takes them
    // (it writes to etcd), so while no controller is elected this broker names itself, as a
    // KRaft broker names a live broker to forward through.
    return this.meta?.controller()?.nodeId ?? this.nodeId;
  }

  view(topic: string, partition: number): PartitionView | undefined {
    const s = this.meta?.partition(topic, partition);
    if (s === undefined) return undefined;
    const live = new Set(this.live.map((b) => b.nodeId));
    // A leader that fenced itself (partition-replica.ts) does not tell clients it leads: they ask elsewhere.
    const leader = s.leader === this.nodeId && this.replicas.get(key(topic, partition))?.fenced === true ? -1 : s.leader;
    return { leader, leaderEpoch: s.leaderEpoch, replicas: s.replicas, isr: s.isr, offline: s.replicas.filter((r) => !live.has(r)) };
  }

  leaderCheck(topic: string, partition: number, currentLeaderEpoch: number): number {
    const replica = this.replicas.get(key(topic, partition));
    const known = replica?.state ?? this.meta?.partition(topic, partition);
    if (known !== undefined && currentLeaderEpoch >= 0) {
      if (currentLeaderEpoch < known.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
      if (currentLeaderEpoch > known.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    }
    return replica?.isLeader ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  readCheck(topic: string, partition: number, currentLeaderEpoch: number): number {
    const check = this.leaderCheck(topic, partition, currentLeaderEpoch);
    if (check !== ErrorCode.NOT_LEADER_OR_FOLLOWER) return check;
    // A follower serves what it has up to the high watermark its leader told it (KIP-392).
    const replica = this.replicas.get(key(topic, partition));
    return replica !== undefined && replica.role === 'follower' && replica.state.leader >= 0 && replica.state.replicas.includes(this.nodeId) ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  preferredReadReplica(topic: string, partition: number, clientRack: string, fetchOffset: number): number {
    const replica = this.replicas.get(key(topic, partition));
    if (clientRack === '' || replica === undefined || !replica.isLeader) return -1;
    const rackOf = new Map(this.live.map((b) => [b.nodeId, b.rack]));
    // Kafka's RackAwareReplicaSelector: the leader when it is in the consumer's rack.
    if (rackOf.get(this.nodeId) === clientRack) return -1;
    return replica.readReplicaIn((r) => rackOf.get(r) === clientRack, fetchOffset);
  }

  leaderEpoch(topic: string, partition: number): number {
    return this.replicas.get(key(topic, partition))?.state.leaderEpoch ?? this.meta?.partition(topic, partition)?.leaderEpoch ?? -1;
  }

  highWatermark(_topic: string, _partition: number, log: Log): number {
    return log.highWatermark;
  }

  checkEnoughReplicas(topic: string, partition: number, minIsr: number): number {
    const replica = this.replicas.get(key(topic, partition));
    if (replica === undefined || !replica.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    return replica.state.isr.length < minIsr ? ErrorCode.NOT_ENOUGH_REPLICAS : ErrorCode.NONE;
  }

  leaderAppended(topic: string, partition: number): void {
    this.replicas.get(key(topic, partition))?.appended();
  }

  waitForIsr(topic: string, partition: number, offset: number, minIsr: number, timeoutMs: number): Promise<number> {
    const replica = this.replicas.get(key(topic, partition));
    if (replica === undefined) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    return replica.waitForHighWatermark(offset, minIsr, timeoutMs);
  }

  followerFetch(topic: string, partition: number, replicaId: number, replicaEpoch: number, fetchOffset: number, currentLeaderEpoch: number): number {
    const check = this.leaderCheck(topic, partition, currentLeaderEpoch);
    if (check !== ErrorCode.NONE) return check;
    // A fetch as a replica from a broker that is not registered, or from an earlier session of
    // it (KIP-903: its broker epoch is not the registered one), is not a replica's; Kafka then
    // leaves the follower's position alone (Partition.updateFollowerFetchState).
    const registered = this.live.find((b) => b.nodeId === replicaId);
    if (registered === undefined || (replicaEpoch >= 0 && replicaEpoch !== registered.brokerEpoch)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const replica = this.replicas.get(key(topic, partition))!;
    // Past the leader's end: Kafka answers OFFSET_OUT_OF_RANGE and records nothing.
    if (fetchOffset > replica.log.endOffset) return ErrorCode.OFFSET_OUT_OF_RANGE;
    return replica.followerFetched(replicaId, fetchOffset, Date.now());
  }

  leaderThrottleBytes(topic: string, partition: number, replicaId: number): number {
    const throttle = this.options.leaderThrottle;
    if (throttle === undefined || throttle.unlimited || this.options.leaderThrottled?.(topic, partition, replicaId) !== true) return -1;
    return throttle.exceeded() ? 0 : throttle.fetchBytes(Number.MAX_SAFE_INTEGER);
  }

  leaderThrottledSent(bytes: number): void {
    if (bytes > 0) this.options.leaderThrottle?.take(bytes);
  }

  onLeadershipChange(listener: (topic: string, partition: number, leading: boolean) => void): () => void {
    this.leadershipListeners.add(listener);
    return () => this.leadershipListeners.delete(listener);
  }

  private tellLeadership(topic: string, partition: number, leading: boolean): void {
    for (const l of this.leadershipListeners) {
      try {
        l(topic, partition, leading);
      } catch (err) {
        logger.error({ err, topic, partition }, 'replication: a leadership listener threw');
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.shrinkTimer);
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
    for (const r of this.replicas.values()) r.close();
  }

  // ---- internals -------------------------------------------------------------------------

  private replicaFor(state: PartitionState): PartitionReplica | null {
    const k = key(state.topic, state.partition);
    const existing = this.replicas.get(k);
    if (existing !== undefined) return existing;
    const log = this.logs.open(state.topic, state.partition);
    if (log === null) {
      this.parked.set(k, state);
      return null;
    }
    const replica = new PartitionReplica(state.topic, state.partition, log, state, this.nodeId,
      (asked, newIsr) => this.requestIsr(asked, newIsr),
      () => this.logs.notify(state.topic, state.partition));
    this.replicas.set(k, replica);
    return replica;
  }

  private requestIsr(asked: PartitionState, newIsr: number[]): Promise<PartitionState> {
    if (this.meta === null) return Promise.reject(new Error('not attached to the cluster yet'));
    return this.meta.requestIsrChange(asked.topic, asked.partition, asked.leaderEpoch, asked.partitionEpoch, newIsr);
  }

  private shrinkIsrs(): void {
    const now = Date.now();
    for (const r of this.replicas.values()) r.maybeShrinkIsr(now, this.options.lagTimeMaxMs);
  }

  private fetcherFor(leader: number, topic: string, partition: number): ReplicaFetcher {
    // Kafka's AbstractFetcherManager.getFetcherId: Utils.abs(31 * topic.hashCode + partition) % num.replica.fetchers.
    const index = kafkaAbs((Math.imul(31, javaStringHashCode(topic)) + partition) | 0) % Math.max(1, this.options.numFetchers);
    const id = `${leader}/${index}`;
    let f = this.fetchers.get(id);
    if (f === undefined) {
      f = new ReplicaFetcher(leader, () => this.brokers().find((b) => b.nodeId === leader), { ...this.options, brokerEpoch: () => this.live.find((b) => b.nodeId === this.nodeId)?.brokerEpoch ?? -1 }, () => undefined);
      this.fetchers.set(id, f);
    }
    return f;
  }

  private stopFetching(topic: string, partition: number): void {
    for (const f of this.fetchers.values()) f.remove(topic, partition);
  }
}
