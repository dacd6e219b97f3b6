/**
 * AlterPartitionReassignments (45), v0 (KIP-455): each partition gets its target replicas, or
 * null to cancel the reassignment in progress. The broker records the request in etcd; the
 * controller carries it out (src/cluster/reassignment.ts). A single broker has nothing to move.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../../protocol/messages/alter-partition-reassignments.js';
import type { Handler } from '../../context.js';
import { clusterAdmin } from './cluster-admin.js';
import { errorOf } from './common.js';

export const handleAlterPartitionReassignments: Handler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = async (req, ctx) => {
  const admin = clusterAdmin(ctx);
  const responses = await Promise.all(req.topics.map(async (t) => ({
    name: t.name,
    partitions: await Promise.all(t.partitions.map(async (p) => {
      const replicas = p.replicas ?? null;
      if (admin === null) {
        if (ctx.broker.topics.log(t.name, p.partitionIndex) === null) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${t.name}-${p.partitionIndex}.` };
        if (replicas === null) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: `Unable to cancel reassignment of ${t.name}-${p.partitionIndex}: no reassignment is in progress.` };
        if (replicas.length === 1 && replicas[0] === ctx.broker.nodeId) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment includes a broker other than ${ctx.broker.nodeId}, the only broker of this single-node cluster.` };
      }
      try {
        const r = await admin.alterReassignment(t.name, p.partitionIndex, replicas === null ? null : [...replicas]);
        return { partitionIndex: p.partitionIndex, errorCode: r.errorCode, errorMessage: r.message };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, ...errorOf(err, ctx, `reassign ${t.name}-${p.partitionIndex}`) };
      }
    })),
  })));
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
};
