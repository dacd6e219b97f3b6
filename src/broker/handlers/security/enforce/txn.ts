/**
 * Authorization of the transaction APIs as Kafka's KafkaApis checks them: WRITE on the
 * transactional id for InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn and
 * TxnOffsetCommit (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an idempotent producer's
 * InitProducerId needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic
 * (CLUSTER_AUTHORIZATION_FAILED); WRITE on each topic added to a transaction, READ on the group
 * and topics of transactional offsets; DESCRIBE to see a transaction.
 */
import { KafkaErrorCode } from '../../../../errors.js';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../../../protocol/messages/add-offsets-to-txn.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../../../protocol/messages/add-partitions-to-txn.js';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../../../protocol/messages/describe-transactions.js';
import type { EndTxnRequest, EndTxnResponse } from '../../../../protocol/messages/end-txn.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../../../protocol/messages/init-producer-id.js';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../../../protocol/messages/list-transactions.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../../../protocol/messages/txn-offset-commit.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../../../protocol/messages/write-txn-markers.js';
import type { Handler } from '../../../context.js';
import { accessOf, checkEach, checkWhole, type Guard, Op, partitionsRefused } from './guard.js';

const TXN_DENIED = KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

export const guardInitProducerId = (inner: Handler<InitProducerIdRequest, InitProducerIdResponse>): Handler<InitProducerIdRequest, InitProducerIdResponse> => (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const refuse = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
  if (req.transactionalId !== null) return a.txn(Op.WRITE, req.transactionalId) ? inner(req, ctx) : refuse(TXN_DENIED);
  return a.cluster(Op.IDEMPOTENT_WRITE) || a.anyTopic(Op.WRITE) ? inner(req, ctx) : refuse(KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED);
};

export const guardEndTxn: Guard = checkWhole<EndTxnRequest, EndTxnResponse>((a, req) => a.txn(Op.WRITE, req.transactionalId), () => ({ throttleTimeMs: 0, errorCode: TXN_DENIED }));

export const guardAddOffsetsToTxn = (inner: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>): Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> => (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  if (!a.txn(Op.WRITE, req.transactionalId)) return { throttleTimeMs: 0, errorCode: TXN_DENIED };
  if (!a.group(Op.READ, req.groupId)) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.GROUP_AUTHORIZATION_FAILED };
  return inner(req, ctx);
};

/**
 * v0-3 (clients): a denied transactional id fails every partition; a denied topic fails its
 * partitions with TOPIC_AUTHORIZATION_FAILED and the others with OPERATION_NOT_ATTEMPTED, and
 * nothing is added. v4+ batches are sent by brokers and need CLUSTER_ACTION.
 */
export const guardAddPartitionsToTxn = (inner: Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>): Handler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> => (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  if (ctx.apiVersion >= 4) {
    return a.cluster(Op.CLUSTER_ACTION) ? inner(req, ctx) : { throttleTimeMs: 0, errorCode: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED, resultsByTransaction: [] };
  }
  const topics = req.v3AndBelowTopics ?? [];
  const answer = (code: (topic: string) => number) => ({
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name) })) })),
  });
  if (!a.txn(Op.WRITE, req.v3AndBelowTransactionalId ?? '')) return answer(() => TXN_DENIED);
  const denied = new Set(topics.filter((t) => !a.topic(Op.WRITE, t.name)).map((t) => t.name));
  if (denied.size === 0) return inner(req, ctx);
  return answer((t) => (denied.has(t) ? KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED : KafkaErrorCode.OPERATION_NOT_ATTEMPTED));
};

export const guardTxnOffsetCommit = (inner: Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>): Handler<TxnOffsetCommitRequest, TxnOffsetCommitResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  if (!a.txn(Op.WRITE, req.transactionalId)) return { throttleTimeMs: 0, topics: partitionsRefused(req.topics, TXN_DENIED) };
  if (!a.group(Op.READ, req.groupId)) return { throttleTimeMs: 0, topics: partitionsRefused(req.topics, KafkaErrorCode.GROUP_AUTHORIZATION_FAILED) };
  return checkEach(inner, req, ctx, {
    items: req.topics,
    ok: (t) => a.topic(Op.READ, t.name),
    narrow: (topics) => ({ ...req, topics }),
    empty: () => ({ throttleTimeMs: 0, topics: [] }),
    refused: (res, denied) => ({ ...res, topics: [...res.topics, ...partitionsRefused(denied, KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED)] }),
  });
};

export const guardDescribeTransactions = (inner: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse>): Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  return checkEach(inner, req, ctx, {
    items: req.transactionalIds,
    ok: (id) => a.txn(Op.DESCRIBE, id),
    narrow: (transactionalIds) => ({ ...req, transactionalIds }),
    empty: () => ({ throttleTimeMs: 0, transactionStates: [] }),
    refused: (res, denied) => ({
      ...res,
      transactionStates: [...res.transactionStates, ...denied.map((transactionalId) => ({ errorCode: TXN_DENIED, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] }))],
    }),
  });
};

export const guardListTransactions = (inner: Handler<ListTransactionsRequest, ListTransactionsResponse>): Handler<ListTransactionsRequest, ListTransactionsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  const res = await inner(req, ctx);
  if (a === null || res === null) return res;
  return { ...res, transactionStates: res.transactionStates.filter((t) => a.txn(Op.DESCRIBE, t.transactionalId)) };
};

/** WriteTxnMarkers comes from another broker's transaction coordinator: CLUSTER_ACTION, else every partition CLUSTER_AUTHORIZATION_FAILED (Kafka's handleWriteTxnMarkersRequest). */
export const guardWriteTxnMarkers: Guard = checkWhole<WriteTxnMarkersRequest, WriteTxnMarkersResponse>((a) => a.cluster(Op.CLUSTER_ACTION), (req) => ({
  markers: req.markers.map((m) => ({
    producerId: m.producerId,
    topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED })) })),
  })),
}));
