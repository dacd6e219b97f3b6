/**
 * ElectLeaders (43), v0-2: PREFERRED (v0's only type) or UNCLEAN elections for the partitions
 * given, or every partition when the list is null (then only the partitions where an election
 * was needed are reported, as Kafka does). In a cluster the election is written to etcd with a
 * compare-and-swap (src/cluster/admin-ops.ts); a single broker leads every partition already.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../../../protocol/messages/elect-leaders.js';
import type { Handler } from '../../context.js';
import { byTopic, clusterAdmin } from './cluster-admin.js';
import { errorOf } from './common.js';

export const handleElectLeaders: Handler<ElectLeadersRequest, ElectLeadersResponse> = async (req, ctx) => {
  const type = req.electionType ?? 0;
  if (type !== 0 && type !== 1) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
  }
  const wanted = req.topicPartitions?.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))) ?? null;
  const admin = clusterAdmin(ctx);
  let results: Array<{ topic: string; partition: number; errorCode: number; message: string | null }>;
  if (admin === null) {
    results = (wanted ?? []).map(({ topic, partition }) => (ctx.broker.topics.log(topic, partition) === null
      ? { topic, partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `The partition ${topic}-${partition} does not exist.` }
      : { topic, partition, errorCode: ErrorCode.ELECTION_NOT_NEEDED, message: `Leader election not needed for topic partition ${topic}-${partition}` }));
  } else {
    try {
      results = await admin.electLeaders(type, wanted);
    } catch (err) {
      const e = errorOf(err, ctx, 'elect leaders');
      results = (wanted ?? []).map(({ topic, partition }) => ({ topic, partition, errorCode: e.errorCode, message: e.errorMessage }));
    }
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    replicaElectionResults: byTopic(results, (r) => ({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.message }))
      .map((t) => ({ topic: t.topic, partitionResult: t.partitions })),
  };
};
