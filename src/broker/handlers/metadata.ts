/**
 * Metadata (3): brokers, the cluster id and controller, and topics with their partitions, their
 * leaders, replicas and ISR (a single broker leads every partition at leader epoch 0). Unknown
 * topics are created when both the request (v4+) and `auto.create.topics.enable` allow it; in a
 * cluster the controller creates them and the answer is LEADER_NOT_AVAILABLE meanwhile, as Kafka's.
 * Internal topics appear only when asked for by name. v8+ may ask for the authorized
 * operations of each topic, and v8-10 of the cluster (v11 moved those to DescribeCluster,
 * KIP-700): without an authorizer, all that apply (authorized-operations.ts).
 */
import { KafkaErrorCode, StrandError } from '../../errors.js';
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from '../../protocol/messages/metadata.js';
import { ZERO_UUID } from '../../protocol/reader.js';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED, TOPIC_OPERATIONS } from '../authorized-operations.js';
import type { BrokerCore, Handler, TopicDescription } from '../context.js';

function describe(core: BrokerCore, t: TopicDescription, ops: number): MetadataResponseTopic {
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: Array.from({ length: t.partitions }, (_, i) => {
      const view = core.replication.view(t.name, i);
      // Kafka: LEADER_NOT_AVAILABLE while a partition has no leader (being created, or every ISR member down).
      if (view === undefined) return { errorCode: KafkaErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: i, leaderId: -1, leaderEpoch: -1, replicaNodes: [], isrNodes: [], offlineReplicas: [] };
      return {
        errorCode: view.leader < 0 ? KafkaErrorCode.LEADER_NOT_AVAILABLE : 0,
        partitionIndex: i, leaderId: view.leader, leaderEpoch: view.leaderEpoch, replicaNodes: view.replicas, isrNodes: view.isr, offlineReplicas: view.offline,
      };
    }),
    topicAuthorizedOperations: ops,
  };
}

function unknown(name: string | null, topicId: string, code: number, ops: number): MetadataResponseTopic {
  return { errorCode: code, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: ops };
}

export const handleMetadata: Handler<MetadataRequest, MetadataResponse> = (req, ctx) => {
  const core = ctx.broker;
  const topics: MetadataResponseTopic[] = [];
  const v = ctx.apiVersion;
  // Kafka gives the operations of every topic asked for by name, known or not (an unknown
  // topic id keeps the default), and of the cluster only in v8-10.
  const ops = v >= 8 && req.includeTopicAuthorizedOperations ? TOPIC_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  const clusterOps = v >= 8 && v <= 10 && req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  if (req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0)) {
    // All topics (v0 used an empty list for "all"), internal ones included (flagged is_internal),
    // as Kafka's getAllTopics: kafka-topics --list shows __consumer_offsets unless told not to.
    for (const t of core.topics.list()) topics.push(describe(core, t, ops));
  } else {
    // v4+ lets the client forbid creation; v0-3 always allowed it (broker config permitting).
    const mayCreate = core.config.bool('auto.create.topics.enable') && (ctx.apiVersion < 4 || req.allowAutoTopicCreation !== false);
    for (const requested of req.topics) {
      if (requested.name === null || requested.name === undefined) {
        const byId = requested.topicId ? core.topics.byId(requested.topicId) : undefined;
        topics.push(byId ? describe(core, byId, ops) : unknown(null, requested.topicId ?? ZERO_UUID, KafkaErrorCode.UNKNOWN_TOPIC_ID, OPERATIONS_NOT_REQUESTED));
        continue;
      }
      const existing = core.topics.get(requested.name);
      if (existing !== undefined) {
        topics.push(describe(core, existing, ops));
        continue;
      }
      if (!mayCreate) {
        topics.push(unknown(requested.name, ZERO_UUID, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ops));
        continue;
      }
      try {
        // TopicManager logs the creation.
        topics.push(describe(core, core.topics.create(requested.name, core.config.int('num.partitions'), new Map()), ops));
      } catch (err) {
        const code = err instanceof StrandError ? err.kafkaCode : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
        topics.push(unknown(requested.name, ZERO_UUID, code, ops));
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: core.replication.clustered ? core.replication.brokers(ctx.listenerName) : [{ nodeId: core.nodeId, host: ctx.endpoint.host, port: ctx.endpoint.port, rack: null }],
    clusterId: core.clusterId,
    controllerId: core.replication.controllerId(),
    topics,
    clusterAuthorizedOperations: clusterOps,
  };
};
