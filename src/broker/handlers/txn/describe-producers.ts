/**
 * DescribeProducers (61), v0: the producers a partition knows (idempotent and transactional),
 * with their epoch, last sequence and timestamp, coordinator epoch and the first offset of
 * their open transaction (-1 if none). Served by the partition's leader (NOT_LEADER_OR_FOLLOWER
 * elsewhere, as in Kafka).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DescribeProducersRequest, DescribeProducersResponse, DescribeProducersResponsePartitionResponse } from '../../../protocol/messages/describe-producers.js';
import type { Handler } from '../../context.js';

export const handleDescribeProducers: Handler<DescribeProducersRequest, DescribeProducersResponse> = (req, ctx) => {
  const topics: DescribeProducersResponse['topics'] = [];
  for (const t of req.topics) {
    const partitions: DescribeProducersResponsePartitionResponse[] = [];
    topics.push({ name: t.name, partitions });
    for (const p of t.partitionIndexes) {
      const described = ctx.broker.topics.get(t.name);
      const log = ctx.broker.topics.log(t.name, p);
      if (described === undefined || p < 0 || p >= described.partitions) {
        partitions.push({ partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `${t.name}-${p} does not exist`, activeProducers: [] });
        continue;
      }
      // Kafka answers from the partition's leader only (what a follower knows may lag).
      if (log === null || ctx.broker.replication.leaderCheck(t.name, p, -1) !== ErrorCode.NONE) {
        partitions.push({ partitionIndex: p, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `this broker does not lead ${t.name}-${p}`, activeProducers: [] });
        continue;
      }
      const activeProducers = [...log.producers.entries()].map((e) => ({
        producerId: BigInt(e.producerId),
        producerEpoch: e.epoch,
        lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
        lastTimestamp: BigInt(e.lastTimestamp),
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
      }));
      activeProducers.sort((a, b) => (a.producerId < b.producerId ? -1 : 1));
      partitions.push({ partitionIndex: p, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers });
    }
  }
  return { throttleTimeMs: 0, topics };
};
