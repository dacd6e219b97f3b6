/**
 * CreateTopics (19), v0-7. Per topic: partitions -1 takes num.partitions; the replication
 * factor (-1: default.replication.factor) must be met by the registered brokers (1 on a single
 * node); in a cluster the controller assigns the replicas and the answer comes once it has; a
 * manual assignment must put every partition on this node (not yet taken in a cluster); configs
 * are validated; validate_only changes nothing.
 * v5+ answers with the topic's partition count, replication factor and configs, v7 its id.
 */
import { parsePlacement, PLACEMENT_CONFIG, placementSize } from '../../../cluster/placement.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import type {
  CreateTopicsRequest, CreateTopicsRequestCreatableTopic, CreateTopicsResponse, CreateTopicsResponseCreatableTopicResult,
} from '../../../protocol/messages/create-topics.js';
import { ZERO_UUID } from '../../../protocol/reader.js';
import type { Complete } from '../../../protocol/types.js';
import type { Handler, RequestContext } from '../../context.js';
import { describeTopicConfigs } from '../../topic-config.js';
import { adminTopics, duplicates, errorOf, type ItemError, itemError, NO_ERROR } from './common.js';

export const handleCreateTopics: Handler<CreateTopicsRequest, CreateTopicsResponse> = async (req, ctx) => {
  const dup = duplicates(req.topics.map((t) => t.name));
  const topics = await Promise.all(req.topics.map(async (t): Promise<CreateTopicsResponseCreatableTopicResult> => {
    const failed = (e: ItemError): CreateTopicsResponseCreatableTopicResult => ({ name: t.name, topicId: ZERO_UUID, ...e, numPartitions: -1, replicationFactor: -1, configs: [] });
    if (dup.has(t.name)) return failed(itemError(ErrorCode.INVALID_REQUEST, `Create topics request from client ${ctx.clientId ?? ''} contains multiple entries for topic ${t.name}`));
    const plan = planTopic(t, ctx);
    if ('errorCode' in plan) return failed(plan);
    try {
      const configs = new Map<string, string>();
      for (const c of t.configs) {
        if (configs.has(c.name)) return failed(itemError(ErrorCode.INVALID_CONFIG, `topic config ${c.name} is given more than once`));
        if (c.value === null) return failed(itemError(ErrorCode.INVALID_CONFIG, `null value not supported for topic config ${c.name}`));
        configs.set(c.name, c.value);
      }
      const admin = adminTopics(ctx);
      const topic = admin.clustered
        ? await admin.createReplicated(t.name, plan.partitions, plan.replicationFactor, configs, { validateOnly: req.validateOnly })
        : admin.create(t.name, plan.partitions, configs, { validateOnly: req.validateOnly });
      return {
        name: t.name,
        topicId: req.validateOnly ? ZERO_UUID : topic.topicId,
        ...NO_ERROR,
        numPartitions: topic.partitions,
        replicationFactor: plan.replicationFactor,
        configs: describeTopicConfigs(topic.configs, ctx.broker.config).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.source, isSensitive: c.isSensitive })),
      };
    } catch (err) {
      return failed(errorOf(err, ctx, `create topic ${t.name}`));
    }
  }));
  return { throttleTimeMs: 0, topics };
};

/** The partition count to create, or why the request cannot be met on this node. */
function planTopic(t: Complete<CreateTopicsRequestCreatableTopic>, ctx: RequestContext): { partitions: number; replicationFactor: number } | ItemError {
  const config = ctx.broker.config;
  const nodeId = ctx.broker.nodeId;
  const clustered = ctx.broker.replication.clustered;
  if (t.assignments.length > 0 && clustered) return itemError(ErrorCode.INVALID_REQUEST, 'manual replica assignments are not taken by a strand cluster yet; give numPartitions and replicationFactor');
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      return itemError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
    }
    const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      if (a.partitionIndex !== i) return itemError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partitions in the manual assignment must be numbered 0 to ${sorted.length - 1} without gaps or repeats`);
      if (a.brokerIds.length !== 1 || a.brokerIds[0] !== nodeId) {
        return itemError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `partition ${a.partitionIndex} is assigned to brokers [${a.brokerIds.join(', ')}]; this single-node cluster has only broker ${nodeId}, so every partition must be assigned to [${nodeId}]`);
      }
    }
    return { partitions: sorted.length, replicationFactor: 1 };
  }
  if (t.replicationFactor === 0 || t.replicationFactor < -1) return itemError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
  // Replicas placed by rack with observers: the placement says how many (Confluent Server's rule).
  const placementValue = t.configs.find((c) => c.name === PLACEMENT_CONFIG)?.value;
  let placed: number | undefined;
  if (placementValue) {
    try {
      placed = placementSize(parsePlacement(placementValue));
    } catch (err) {
      return itemError(ErrorCode.INVALID_CONFIG, (err as Error).message);
    }
    if (t.replicationFactor !== -1 && t.replicationFactor !== placed) {
      return itemError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} and ${PLACEMENT_CONFIG} (${placed} replicas and observers) disagree; give -1 or leave the replication factor out`);
    }
  }
  const rf = placed ?? (t.replicationFactor === -1 ? config.int('default.replication.factor') : t.replicationFactor);
  if (rf !== 1 && !clustered) {
    return itemError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`);
  }
  const partitions = t.numPartitions === -1 ? config.int('num.partitions') : t.numPartitions;
  if (t.numPartitions === 0 || t.numPartitions < -1) return itemError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
  return { partitions, replicationFactor: rf };
}
