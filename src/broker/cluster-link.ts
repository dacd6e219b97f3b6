/**
 * A broker's membership of a cluster, from the broker's side: it joins through the cluster
 * layer (`ClusterMember`, etcd), hands the cluster's topics to the topic manager and the
 * partition states to the replica manager, and creates and deletes topics through the
 * controller. The handlers see none of this: they see `Replication` and the topic manager.
 */
import type { Logger } from 'pino';
import { ClusterMember, type PartitionStateListener, type TopicRecord } from '../cluster/index.js';
import { ReplicaManager } from '../cluster/replication/manager.js';
import { ByteRateThrottle } from '../cluster/throttle.js';
import { clusterEndpoints, clusterIdOf } from './cluster-settings.js';
import { type BrokerConfig, type Listener } from './config.js';
import { interBrokerConnectOptions, interBrokerSecurity } from './inter-broker-security.js';
import type { TopicAuthority, TopicManager } from './topics.js';

export { DEFAULT_CLUSTER_ID, clusterEndpoints, clusterIdOf } from './cluster-settings.js';

export class ClusterLink implements TopicAuthority {
  readonly replication: ReplicaManager;
  private member: ClusterMember | null = null;
  private topicsManager: TopicManager | null = null;

  constructor(private readonly config: BrokerConfig, private readonly logger: Logger, notify: (topic: string, partition: number) => void) {
    // Kafka's inter-broker listener (inter.broker.listener.name / security.inter.broker.protocol),
    // and the inter-broker client's TLS and SASL: checked here so a broker that could not
    // replicate stops at start (fail closed).
    const security = interBrokerSecurity(config);
    const listenerName = security.listener;
    // A replica a reassignment is adding and that has not caught up (not in the ISR): the one the
    // replication throttles apply to, on both sides, as Kafka's throttled replicas.
    const adding = (t: string, p: number, replicaId: number): boolean => this.member !== null && this.member.isReassigning(t, p) && !(this.member.partition(t, p)?.isr.includes(replicaId) ?? false);
    this.replication = new ReplicaManager(config.nodeId, {
      open: (t, p) => this.topicsManager?.openReplica(t, p) ?? null,
      get: (t, p) => this.topicsManager?.log(t, p) ?? null,
      topicId: (t) => this.topicsManager?.get(t)?.topicId,
      remove: (t, p) => this.topicsManager?.removeReplica(t, p),
      notify,
    }, {
      nodeId: config.nodeId,
      lagTimeMaxMs: config.int('replica.lag.time.max.ms'),
      numFetchers: config.int('num.replica.fetchers'),
      partitionMaxBytes: config.int('replica.fetch.max.bytes'),
      responseMaxBytes: config.int('replica.fetch.response.max.bytes'),
      maxWaitMs: config.int('replica.fetch.wait.max.ms'),
      backoffMs: config.int('replica.fetch.backoff.ms'),
      requestTimeoutMs: config.int('replica.socket.timeout.ms'),
      listenerName,
      security: interBrokerConnectOptions(config),
      // A replica being added by a reassignment fetches at most follower.replication.throttled.rate.
      throttle: new ByteRateThrottle(Number(config.raw('follower.replication.throttled.rate') ?? Number.MAX_SAFE_INTEGER)),
      throttled: (t, p) => adding(t, p, config.nodeId),
      // And a leader sends such a replica at most leader.replication.throttled.rate (Kafka throttles both sides).
      leaderThrottle: new ByteRateThrottle(Number(config.raw('leader.replication.throttled.rate') ?? Number.MAX_SAFE_INTEGER)),
      leaderThrottled: adding,
    });
  }

  /** The topic manager whose topics follow the cluster's (set before joining). */
  bind(topics: TopicManager): void {
    this.topicsManager = topics;
  }

  /** Register with the cluster (listeners as bound) and take up this broker's replicas. */
  async join(listeners: Listener[]): Promise<void> {
    const endpoints = clusterEndpoints(this.config)!;
    const replication = this.replication;
    const listener: PartitionStateListener = {
      topicsChanged: (topics) => {
        this.topicsManager?.applyClusterTopics(topics.map(clusterTopic));
        replication.topicsChanged(topics);
      },
      becomeLeader: (s) => replication.becomeLeader(s),
      becomeFollower: (s) => replication.becomeFollower(s),
      partitionChanged: (s) => replication.partitionChanged(s),
      partitionDeleted: (t, p) => replication.partitionDeleted(t, p),
      brokersChanged: (b) => replication.brokersChanged(b),
    };
    this.member = await ClusterMember.start({
      endpoints,
      clusterId: clusterIdOf(this.config),
      nodeId: this.config.nodeId,
      rack: this.config.raw('broker.rack') ?? null,
      listeners,
      sessionTimeoutMs: this.config.int('broker.session.timeout.ms'),
      uncleanLeaderElection: this.config.bool('unclean.leader.election.enable'),
      rebalance: {
        enabled: this.config.bool('auto.leader.rebalance.enable'),
        intervalMs: this.config.int('leader.imbalance.check.interval.seconds') * 1000,
        imbalancePercentage: this.config.int('leader.imbalance.per.broker.percentage'),
      },
    }, listener);
    replication.attach(this.member);
    this.removeStrayReplicas();
    this.logger.info({ nodeId: this.config.nodeId, etcd: endpoints, brokers: this.member.liveBrokers().map((b) => b.nodeId) }, 'joined the cluster');
  }

  /**
   * Logs of partitions the cluster has but no longer places here (reassigned away while this
   * broker was down) are deleted, as KRaft brokers delete stray replicas at startup.
   */
  private removeStrayReplicas(): void {
    const member = this.member!;
    const topics = this.topicsManager;
    if (topics === null) return;
    for (const { topic, partition } of topics.store.list()) {
      const state = member.partition(topic, partition);
      if (state !== undefined && !state.replicas.includes(this.config.nodeId)) topics.removeReplica(topic, partition);
    }
  }

  async create(spec: { name: string; numPartitions: number; replicationFactor: number; configs: Record<string, string> }): Promise<void> {
    await this.requireMember().createTopic(spec);
  }

  delete(name: string): Promise<void> {
    return this.requireMember().deleteTopic(name);
  }

  allocateProducerIds(size: number): Promise<number> {
    return this.requireMember().allocateProducerIds(size);
  }

  liveBrokers(): number {
    return this.member?.liveBrokers().length ?? 0;
  }

  async addPartitions(name: string, total: number, assignments?: number[][]): Promise<void> {
    await this.requireMember().addPartitions(name, total, assignments);
  }

  async setConfigs(name: string, configs: Record<string, string>): Promise<void> {
    await this.requireMember().setTopicConfigs(name, configs);
  }

  /** The cluster membership, for the operator's requests (ElectLeaders, reassignments); null before joining. */
  get admin(): ClusterMember | null {
    return this.member;
  }

  /**
   * Controlled shutdown before a graceful stop (controlled.shutdown.enable): waits up to
   * controlled.shutdown.max.retries rounds of controlled.shutdown.retry.backoff.ms for the
   * controller to move this broker's leaderships and ISR memberships away, then lets the stop go on.
   */
  async controlledShutdown(): Promise<void> {
    if (this.member === null || !this.config.bool('controlled.shutdown.enable')) return;
    const timeoutMs = Math.max(1, this.config.int('controlled.shutdown.max.retries')) * this.config.int('controlled.shutdown.retry.backoff.ms');
    const started = Date.now();
    try {
      const done = await this.member.controlledShutdown(timeoutMs);
      const remaining = this.member.shutdownRemaining().map((s) => `${s.topic}-${s.partition}`);
      if (done) this.logger.info({ ms: Date.now() - started }, 'controlled shutdown: leadership moved away');
      else this.logger.warn({ ms: Date.now() - started, remaining }, 'controlled shutdown did not complete in time; stopping anyway');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'controlled shutdown failed; stopping anyway');
    }
  }

  /** Leave the cluster: stop fetching, then give up the session (etcd drops the registration at once). */
  async close(): Promise<void> {
    await this.replication.close();
    await this.member?.close();
  }

  private requireMember(): ClusterMember {
    if (this.member === null) throw new Error('the broker has not joined its cluster yet');
    return this.member;
  }
}

function clusterTopic(t: TopicRecord): { name: string; topicId: string; numPartitions: number; configs: Record<string, string> } {
  // Partitions added by CreatePartitions exist once the controller has assigned them.
  return { name: t.name, topicId: t.topicId, numPartitions: t.assignment?.length ?? t.numPartitions, configs: t.configs };
}
