/**
 * AddPartitionsToTxn (24), v0-5. v0-3 (what clients send): one transaction's partitions. v4+
 * (what Kafka brokers send each other, KIP-890): several transactions, each either added or,
 * with verify_only, checked against what the transaction holds.
 *
 * A partition of a topic that does not exist fails the whole transaction: it gets
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED, as in Kafka.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type {
  AddPartitionsToTxnRequest, AddPartitionsToTxnRequestAddPartitionsToTxnTopic, AddPartitionsToTxnResponse, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from '../../../protocol/messages/add-partitions-to-txn.js';
import type { Handler, RequestContext } from '../../context.js';
import type { TransactionCoordinator } from '../../txn/index.js';
import { coordinator, fencedFor } from './common.js';

type Topics = ReadonlyArray<AddPartitionsToTxnRequestAddPartitionsToTxnTopic>;

function results(topics: Topics, code: (topic: string, partition: number) => number): AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) }));
}

async function one(c: TransactionCoordinator | undefined, ctx: RequestContext, id: string, producerId: bigint, epoch: number, topics: Topics, verifyOnly: boolean): Promise<AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[]> {
  if (c === undefined) return results(topics, () => ErrorCode.COORDINATOR_NOT_AVAILABLE);
  // The cluster's metadata, not this broker's logs: in a cluster the coordinator need not hold a
  // replica of the partitions (Kafka checks its metadata cache).
  const missing = (topic: string, p: number) => {
    const described = ctx.broker.topics.get(topic);
    return described === undefined || p < 0 || p >= described.partitions;
  };
  if (topics.some((t) => t.partitions.some((p) => missing(t.name, p)))) {
    return results(topics, (topic, p) => (missing(topic, p) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  const list = topics.map((t) => ({ topic: t.name, partitions: t.partitions }));
  if (verifyOnly) {
    const v = c.verifyPartitions(id, Number(producerId), epoch, list);
    return results(topics, (topic, p) => v.partitions.get(topic)?.get(p) ?? v.errorCode);
  }
  const error = fencedFor(await c.addPartitions(id, Number(producerId), epoch, list), ctx.apiVersion, 2);
  return results(topics, () => error);
}

export const handleAddPartitionsToTxn: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = async (req, ctx) => {
  const c = coordinator(ctx);
  if (ctx.apiVersion <= 3) {
    const resultsByTopicV3AndBelow = await one(c, ctx, req.v3AndBelowTransactionalId ?? '', req.v3AndBelowProducerId ?? -1n, req.v3AndBelowProducerEpoch ?? -1, req.v3AndBelowTopics ?? [], false);
    return { throttleTimeMs: 0, resultsByTopicV3AndBelow };
  }
  const resultsByTransaction: NonNullable<AddPartitionsToTxnResponse['resultsByTransaction']> = [];
  for (const t of req.transactions ?? []) {
    resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: await one(c, ctx, t.transactionalId, t.producerId, t.producerEpoch, t.topics, t.verifyOnly ?? false) });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
};
