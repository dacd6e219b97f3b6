/**
 * What replication needs from the broker (its partition logs) and what the broker's handlers need
 * from replication (who leads, the high watermark, acks=all, follower positions). The handlers
 * see only `Replication`; a single broker has a trivial one (it leads everything and its high
 * watermark is its log end), a cluster member has the `ReplicaManager`.
 */
import type { Log } from '../../storage/log.js';

/** The partition logs of this broker, as the broker's topic manager keeps them. */
export interface ReplicaLogs {
  /** The partition's log, opened (and created empty) when it is not yet; null when the topic is not known here. */
  open(topic: string, partition: number): Log | null;
  /** The log when it is open, else null. */
  get(topic: string, partition: number): Log | null;
  /** The topic id (22-character base64url) of a topic known here. */
  topicId(topic: string): string | undefined;
  /** Wake fetches (consumers and followers) waiting on this partition. */
  notify(topic: string, partition: number): void;
  /** Delete the local log of a replica this broker no longer holds (reassigned away) while the topic lives on. */
  remove?(topic: string, partition: number): void;
}

/** How one partition is led, as Metadata and the KIP-951 `current_leader` fields tell clients. */
export interface PartitionView {
  /** -1 when the partition has no leader. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** Replicas on brokers that are not live. */
  offline: number[];
}

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** Kafka error codes the replication checks answer with (0: none). */
export type ErrorCodeNumber = number;

export interface Replication {
  /** Whether this broker runs as a member of a cluster (false: a single broker that leads everything). */
  readonly clustered: boolean;
  /** The brokers to list in Metadata and DescribeCluster, at their listener named `listenerName` (or the inter-broker one). */
  brokers(listenerName?: string): BrokerEndpoint[];
  /** The active controller's node id, -1 when none is known. */
  controllerId(): number;
  /** Leader, replicas and ISR of a partition; undefined when the cluster does not know it. */
  view(topic: string, partition: number): PartitionView | undefined;
  /**
   * Whether this broker may serve `topic`-`partition` as its leader to a client that last saw
   * `currentLeaderEpoch` (-1: unknown): 0, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH (the
   * client's epoch is older), UNKNOWN_LEADER_EPOCH (newer than this broker knows).
   */
  leaderCheck(topic: string, partition: number, currentLeaderEpoch: number): ErrorCodeNumber;
  /**
   * Whether this broker may serve a consumer's fetch that allows fetching from a follower
   * (KIP-392: Fetch v11+), as its leader or as one of its followers, with the epoch checks of
   * `leaderCheck`.
   */
  readCheck(topic: string, partition: number, currentLeaderEpoch: number): ErrorCodeNumber;
  /**
   * KIP-392 on the leader: the replica a consumer in rack `clientRack` at `fetchOffset` should read
   * from instead (Kafka's RackAwareReplicaSelector: one in the consumer's rack that has the offset,
   * the most caught up), or -1 to read here.
   */
  preferredReadReplica(topic: string, partition: number, clientRack: string, fetchOffset: number): number;
  /** The leader epoch this broker leads the partition in (0 on a single broker). */
  leaderEpoch(topic: string, partition: number): number;
  /** The high watermark: what consumers may read up to. */
  highWatermark(topic: string, partition: number, log: Log): number;
  /** Before an acks=all append: NOT_ENOUGH_REPLICAS when the ISR is smaller than `minIsr`. */
  checkEnoughReplicas(topic: string, partition: number, minIsr: number): ErrorCodeNumber;
  /** After a leader append: the high watermark may move (an ISR of one). */
  leaderAppended(topic: string, partition: number, log: Log): void;
  /**
   * acks=all: resolves once the high watermark reaches `offset` (0, or
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below `minIsr` meanwhile), or with
   * REQUEST_TIMED_OUT after `timeoutMs`, or NOT_LEADER_OR_FOLLOWER when leadership is lost.
   */
  waitForIsr(topic: string, partition: number, offset: number, minIsr: number, timeoutMs: number): Promise<ErrorCodeNumber>;
  /**
   * A Fetch from follower `replicaId` at `fetchOffset`: records its position (it has everything
   * below `fetchOffset`). `replicaEpoch` is the broker epoch it sent (Fetch v15+, KIP-903; -1
   * when it sent none). 0, or the error the whole partition is answered with.
   */
  followerFetch(topic: string, partition: number, replicaId: number, replicaEpoch: number, fetchOffset: number, currentLeaderEpoch: number): ErrorCodeNumber;
  /**
   * Kafka's leader replication quota (`leader.replication.throttled.rate`): whether this leader's
   * reads of `topic`-`partition` for follower `replicaId` are throttled (a replica a reassignment
   * is adding, not yet in the ISR, as Kafka's shouldLeaderThrottle): -1 when not; 0 when the rate
   * is used up now (the partition is answered without records, as Kafka does); else the most
   * bytes to send it now, a second's worth, so one read cannot carry far more than the rate.
   */
  leaderThrottleBytes(topic: string, partition: number, replicaId: number): number;
  /** Bytes sent to throttled replicas, counted against `leader.replication.throttled.rate`. */
  leaderThrottledSent(bytes: number): void;
  /**
   * Hear when this broker starts or stops leading a partition (the coordinators load and unload
   * the state kept in their topics' partitions). A single broker leads everything from the start
   * and never calls it.
   */
  onLeadershipChange(listener: (topic: string, partition: number, leading: boolean) => void): () => void;
  /** Stop fetchers and timers. */
  close(): Promise<void>;
}
