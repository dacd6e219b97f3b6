/**
 * Replication on a broker that is not part of a cluster: it leads every partition in leader
 * epoch 0, its ISR is itself, so its high watermark is its log end and acks=all is satisfied by
 * the append (and the topic's flush policy, which the produce path waits for anyway).
 */
import type { BrokerEndpoint, PartitionView, Replication } from '../cluster/replication/types.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { Log } from '../storage/log.js';

/** The leader epoch of every partition on a single node. */
export const SINGLE_NODE_LEADER_EPOCH = 0;

export class SingleNodeReplication implements Replication {
  readonly clustered = false;

  constructor(private readonly self: () => BrokerEndpoint) {}

  brokers(): BrokerEndpoint[] {
    return [this.self()];
  }

  controllerId(): number {
    return this.self().nodeId;
  }

  view(): PartitionView {
    const id = this.self().nodeId;
    return { leader: id, leaderEpoch: SINGLE_NODE_LEADER_EPOCH, replicas: [id], isr: [id], offline: [] };
  }

  leaderCheck(_topic: string, _partition: number, currentLeaderEpoch: number): number {
    if (currentLeaderEpoch > SINGLE_NODE_LEADER_EPOCH) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    if (currentLeaderEpoch < -1) return ErrorCode.FENCED_LEADER_EPOCH;
    return ErrorCode.NONE;
  }

  readCheck(topic: string, partition: number, currentLeaderEpoch: number): number {
    return this.leaderCheck(topic, partition, currentLeaderEpoch);
  }

  preferredReadReplica(): number {
    return -1;
  }

  leaderEpoch(): number {
    return SINGLE_NODE_LEADER_EPOCH;
  }

  highWatermark(_topic: string, _partition: number, log: Log): number {
    return log.endOffset;
  }

  checkEnoughReplicas(_topic: string, _partition: number, minIsr: number): number {
    // Kafka refuses acks=all when min.insync.replicas exceeds the ISR, a single node's included.
    return minIsr > 1 ? ErrorCode.NOT_ENOUGH_REPLICAS : ErrorCode.NONE;
  }

  leaderAppended(): void {}

  waitForIsr(): Promise<number> {
    return Promise.resolve(ErrorCode.NONE);
  }

  followerFetch(): number {
    // No broker follows a single node: a fetch claiming to be a replica's is not one.
    return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  }

  leaderThrottleBytes(): number {
    return -1;
  }

  leaderThrottledSent(): void {}

  onLeadershipChange(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}
