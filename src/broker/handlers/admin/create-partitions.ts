/**
 * CreatePartitions (37), v0-3: raise a topic's partition count. A manual assignment must name
 * one broker list per new partition, each [this node]. validate_only changes nothing.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsResponseCreatePartitionsTopicResult } from '../../../protocol/messages/create-partitions.js';
import type { Handler } from '../../context.js';
import { adminTopics, duplicates, errorOf, itemError, NO_ERROR } from './common.js';

export const handleCreatePartitions: Handler<CreatePartitionsRequest, CreatePartitionsResponse> = async (req, ctx) => {
  const dup = duplicates(req.topics.map((t) => t.name));
  const nodeId = ctx.broker.nodeId;
  const results = await Promise.all(req.topics.map(async (t): Promise<CreatePartitionsResponseCreatePartitionsTopicResult> => {
    if (dup.has(t.name)) return { name: t.name, ...itemError(ErrorCode.INVALID_REQUEST, `Duplicate topic in request: ${t.name}`) };
    try {
      const topics = adminTopics(ctx);
      const topic = topics.get(t.name);
      if (topic === undefined) return { name: t.name, ...itemError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`) };
      if (t.assignments !== null) {
        const added = t.count - topic.partitions;
        if (added > 0 && t.assignments.length !== added) {
          return { name: t.name, ...itemError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`) };
        }
        // In a cluster the assignment is checked against the registered brokers where it is written.
        const bad = ctx.broker.replication.clustered ? undefined : t.assignments.find((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== nodeId);
        if (bad !== undefined) {
          return { name: t.name, ...itemError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `assignment [${bad.brokerIds.join(', ')}] is not possible: this single-node cluster has only broker ${nodeId}, so every partition must be assigned to [${nodeId}]`) };
        }
      }
      await topics.addPartitions(t.name, t.count, { validateOnly: req.validateOnly, ...(ctx.broker.replication.clustered && t.assignments !== null ? { assignments: t.assignments.map((a) => [...a.brokerIds]) } : {}) });
      return { name: t.name, ...NO_ERROR };
    } catch (err) {
      return { name: t.name, ...errorOf(err, ctx, `create partitions of ${t.name}`) };
    }
  }));
  return { throttleTimeMs: 0, results };
};
