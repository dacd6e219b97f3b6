/**
 * The records the cluster keeps in etcd, and the interfaces the broker consumes. The broker's
 * handlers see only `ClusterMetadata` and `PartitionStateListener`, never etcd.
 */

/** Kafka's "no leader" broker id (LeaderAndIsr.NoLeader). */
export const NO_LEADER = -1;

export interface Listener {
  /** Kafka's listener name, e.g. `PLAINTEXT`. */
  name: string;
  host: string;
  port: number;
}

/** `brokers/<node.id>`, bound to the broker's session lease (KRaft's RegisterBrokerRecord). */
export interface BrokerRegistration {
  nodeId: number;
  listeners: Listener[];
  rack: string | null;
  /** Random per process (Kafka's incarnation id): tells this process's own registration from another's with the same node id. */
  incarnationId: string;
  /**
   * The etcd revision of the registration, set when read back: the key is written once per
   * session, so it grows each time the broker registers again and serves as Kafka's broker epoch.
   */
  brokerEpoch: number;
}

/** `controller`: the elected controller, bound to its session lease. */
export interface ControllerInfo {
  nodeId: number;
  /** Grows by one at every election (Kafka's controller epoch), kept in `controller_epoch`. */
  epoch: number;
}

/** `topics/<name>` (KRaft's TopicRecord plus the assignment and the topic configs). */
export interface TopicRecord {
  name: string;
  /** 22-character base64url UUID, as Kafka's topic ids print. */
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
  /** Replicas per partition; null while the controller has not assigned them yet. */
  assignment: number[][] | null;
  /** Set by the controller when it cannot assign (e.g. too few brokers): Kafka error code and message. */
  error?: { code: number; message: string };
}

/** `partitions/<topic>/<p>` (KRaft's PartitionRecord after its PartitionChangeRecords). */
export interface PartitionState {
  topic: string;
  partition: number;
  replicas: number[];
  isr: number[];
  /** NO_LEADER (-1) when no ISR member is alive and unclean election is off. */
  leader: number;
  /** Grows by exactly one at each change of leader (and when a leaderless partition gets one). */
  leaderEpoch: number;
  /** Grows by one at every change of this record (Kafka's partition epoch); ISR changes are checked against it. */
  partitionEpoch: number;
  /** The epoch of the controller that wrote this record last (an ISR change by the leader keeps it). */
  controllerEpoch: number;
  /**
   * Replicas that copy asynchronously and never join the ISR (placement.ts), listed last in
   * `replicas`; absent when there are none.
   */
  observers?: number[];
}

/** What a broker is told about the partitions it holds a replica of. */
export interface PartitionStateListener {
  /** This broker became the leader (first sight, or a new leader epoch naming it). */
  becomeLeader?(state: PartitionState): void;
  /** This broker is a follower of `state.leader` (NO_LEADER while the partition has none) at a new leader epoch. */
  becomeFollower?(state: PartitionState): void;
  /** Same leader and leader epoch, other ISR or replicas (a new partition epoch). */
  partitionChanged?(state: PartitionState): void;
  /** The partition was deleted, or this broker is no longer among its replicas. */
  partitionDeleted?(topic: string, partition: number): void;
  /** The set of live brokers changed (for Metadata and DescribeCluster). */
  brokersChanged?(brokers: readonly BrokerRegistration[]): void;
  /**
   * The topics changed (created, deleted, assigned, reconfigured): every assigned topic of the
   * cluster. Heard before the partition changes of the same update, so a broker knows a topic
   * before it is told to lead or follow its partitions.
   */
  topicsChanged?(topics: readonly TopicRecord[]): void;
  /** Another controller was elected, or none is (null). */
  controllerChanged?(controller: ControllerInfo | null): void;
}

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  configs?: Record<string, string>;
}

/** The cluster as the broker sees it: a local, watched copy of etcd's state, and the few writes a broker makes. */
export interface ClusterMetadata {
  readonly nodeId: number;
  liveBrokers(): BrokerRegistration[];
  controller(): ControllerInfo | null;
  isController(): boolean;
  topics(): TopicRecord[];
  topic(name: string): TopicRecord | undefined;
  partition(topic: string, partition: number): PartitionState | undefined;
  /** Asks the controller to create a topic; resolves with the record once its replicas are assigned. */
  createTopic(spec: CreateTopicSpec): Promise<TopicRecord>;
  deleteTopic(name: string): Promise<void>;
  /**
   * AlterPartition: the leader asks for a new ISR. Refused (typed errors, Kafka's codes) when the
   * leader epoch or partition epoch is not current, when this broker is not the leader, or when
   * the ISR names a broker that is not a live replica. Resolves with the new state.
   */
  requestIsrChange(topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, newIsr: number[]): Promise<PartitionState>;
  /** Reserves `size` producer ids no other broker of the cluster hands out; resolves with the first. */
  allocateProducerIds(size: number): Promise<number>;
  addListener(listener: PartitionStateListener): () => void;
}
