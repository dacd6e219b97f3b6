/**
 * Typed errors of the cluster metadata layer. Each carries the Kafka error code a broker answers
 * with (the codes Kafka's controller uses for the same refusal) and names the topic, partition
 * or node concerned.
 */
import { KafkaErrorCode, StrandError } from '../errors.js';

/**
 * A controller write refused because the writer is no longer the elected controller: etcd's
 * compare on the controller key's create revision failed (another broker was elected since), or
 * this broker knows it lost its session. Kafka answers NOT_CONTROLLER.
 */
export class NotControllerError extends StrandError {
  constructor(readonly nodeId: number, readonly controllerEpoch: number, what: string) {
    super(`node ${nodeId} is no longer the controller (its epoch ${controllerEpoch} was superseded): ${what} refused`, 'ERR_STRAND_NOT_CONTROLLER', KafkaErrorCode.NOT_CONTROLLER);
  }
}

/** A partition-state change based on a partition epoch that is no longer current (AlterPartition's INVALID_UPDATE_VERSION). */
export class InvalidUpdateVersionError extends StrandError {
  constructor(readonly topic: string, readonly partition: number, readonly expectedPartitionEpoch: number, readonly currentPartitionEpoch: number) {
    super(`${topic}-${partition}: partition epoch ${expectedPartitionEpoch} is stale, the current one is ${currentPartitionEpoch}`, 'ERR_STRAND_INVALID_UPDATE_VERSION', KafkaErrorCode.INVALID_UPDATE_VERSION);
  }
}

/** A change from a leader whose leader epoch is not the partition's (AlterPartition's FENCED_LEADER_EPOCH). */
export class FencedLeaderEpochError extends StrandError {
  constructor(readonly topic: string, readonly partition: number, readonly requestLeaderEpoch: number, readonly currentLeaderEpoch: number) {
    super(`${topic}-${partition}: leader epoch ${requestLeaderEpoch} is fenced, the current one is ${currentLeaderEpoch}`, 'ERR_STRAND_FENCED_LEADER_EPOCH', KafkaErrorCode.FENCED_LEADER_EPOCH);
  }
}

/** An ISR change from a broker that is not the partition's leader, or an ISR without its leader (Kafka: INVALID_REQUEST). */
export class InvalidIsrRequestError extends StrandError {
  constructor(readonly topic: string, readonly partition: number, detail: string) {
    super(`${topic}-${partition}: ${detail}`, 'ERR_STRAND_INVALID_ISR_REQUEST', KafkaErrorCode.INVALID_REQUEST);
  }
}

/** An ISR naming a broker that is not a replica of the partition or not alive (Kafka: INELIGIBLE_REPLICA). */
export class IneligibleReplicaError extends StrandError {
  constructor(readonly topic: string, readonly partition: number, readonly brokers: readonly number[]) {
    super(`${topic}-${partition}: broker(s) ${brokers.join(', ')} cannot join the ISR (not a replica or not alive)`, 'ERR_STRAND_INELIGIBLE_REPLICA', KafkaErrorCode.INELIGIBLE_REPLICA);
  }
}

export class UnknownTopicOrPartitionError extends StrandError {
  constructor(readonly topic: string, readonly partition?: number) {
    super(partition === undefined ? `unknown topic ${topic}` : `unknown partition ${topic}-${partition}`, 'ERR_STRAND_UNKNOWN_TOPIC_OR_PARTITION', KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
}

export class TopicAlreadyExistsError extends StrandError {
  constructor(readonly topic: string) {
    super(`topic ${topic} already exists`, 'ERR_STRAND_TOPIC_ALREADY_EXISTS', KafkaErrorCode.TOPIC_ALREADY_EXISTS);
  }
}

/** More replicas asked for than there are live brokers. */
export class InvalidReplicationFactorError extends StrandError {
  constructor(readonly topic: string, readonly replicationFactor: number, readonly liveBrokers: number) {
    super(`topic ${topic}: replication factor ${replicationFactor} is larger than the ${liveBrokers} live broker(s)`, 'ERR_STRAND_INVALID_REPLICATION_FACTOR', KafkaErrorCode.INVALID_REPLICATION_FACTOR);
  }
}

/** etcd could not be reached, or a record under the cluster prefix could not be parsed. */
export class ClusterMetadataError extends StrandError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_STRAND_CLUSTER_METADATA', KafkaErrorCode.UNKNOWN_SERVER_ERROR, options);
  }
}
