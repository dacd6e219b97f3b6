/**
 * ListPartitionReassignments (46), v0: the reassignments in progress (of the partitions asked
 * for, or all): current replicas with the adding and removing ones (KIP-455).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../../../protocol/messages/list-partition-reassignments.js';
import type { Handler } from '../../context.js';
import { byTopic, clusterAdmin } from './cluster-admin.js';
import { errorOf } from './common.js';

export const handleListPartitionReassignments: Handler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = async (req, ctx) => {
  const admin = clusterAdmin(ctx);
  if (admin === null) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  const wanted = req.topics?.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))) ?? null;
  try {
    const list = await admin.listReassignments(wanted);
    return {
      throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null,
      topics: byTopic(list, (r) => ({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.adding, removingReplicas: r.removing })).map((t) => ({ name: t.topic, partitions: t.partitions })),
    };
  } catch (err) {
    const e = errorOf(err, ctx, 'list partition reassignments');
    return { throttleTimeMs: 0, errorCode: e.errorCode, errorMessage: e.errorMessage, topics: [] };
  }
};
