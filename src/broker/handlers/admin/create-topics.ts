/**
 * CreateTopics (19), v0-7. Per topic: partitions -1 takes num.partitions; the replication
 * factor must be 1 (or -1, default.replication.factor) on a single node; a manual assignment
 * must put every partition on this node; configs are validated; validate_only changes nothing.
 * v5+ answers with the topic's partition count, replication factor and configs, v7 its id.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type {
  CreateTopicsRequest, CreateTopicsRequestCreatableTopic, CreateTopicsResponse, CreateTopicsResponseCreatableTopicResult,
} from '../../../protocol/messages/create-topics.js';
import { ZERO_UUID } from '../../../protocol/reader.js';
import type { Complete } from '../../../protocol/types.js';
import type { Handler, RequestContext } from '../../context.js';
import { describeTopicConfigs } from '../../topic-config.js';
import { adminTopics, duplicates, errorOf, type ItemError, itemError, NO_ERROR } from './common.js';

export const handleCreateTopics: Handler<CreateTopicsRequest, CreateTopicsResponse> = (req, ctx) => {
  const dup = duplicates(req.topics.map((t) => t.name));
  const topics = req.topics.map((t): CreateTopicsResponseCreatableTopicResult => {
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
      const topic = adminTopics(ctx).create(t.name, plan.partitions, configs, { validateOnly: req.validateOnly });
      return {
        name: t.name,
        topicId: req.validateOnly ? ZERO_UUID : topic.topicId,
        ...NO_ERROR,
        numPartitions: topic.partitions,
        replicationFactor: 1,
        configs: describeTopicConfigs(topic.configs, ctx.broker.config).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.source, isSensitive: c.isSensitive })),
      };
    } catch (err) {
      return failed(errorOf(err, ctx, `create topic ${t.name}`));
    }
  });
  return { throttleTimeMs: 0, topics };
};

/** The partition count to create, or why the request cannot be met on this node. */
function planTopic(t: Complete<CreateTopicsRequestCreatableTopic>, ctx: RequestContext): { partitions: number } | ItemError {
  const config = ctx.broker.config;
  const nodeId = ctx.broker.nodeId;
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
    return { partitions: sorted.length };
  }
  const rf = t.replicationFactor === -1 ? config.int('default.replication.factor') : t.replicationFactor;
  if (t.replicationFactor === 0 || t.replicationFactor < -1) return itemError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
  if (rf !== 1) {
    return itemError(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only 1 broker(s) are registered.`);
  }
  const partitions = t.numPartitions === -1 ? config.int('num.partitions') : t.numPartitions;
  if (t.numPartitions === 0 || t.numPartitions < -1) return itemError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
  return { partitions };
}
