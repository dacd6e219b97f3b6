/**
 * DescribeTransactions (65), v0: state, timeout, start time, producer id and epoch, and the
 * partitions of the current transaction, per transactional id (TRANSACTIONAL_ID_NOT_FOUND for
 * an id the coordinator does not know).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../../protocol/messages/describe-transactions.js';
import type { Handler } from '../../context.js';
import { coordinator } from './common.js';

export const handleDescribeTransactions: Handler<DescribeTransactionsRequest, DescribeTransactionsResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  return {
    throttleTimeMs: 0,
    transactionStates: req.transactionalIds.map((id) => {
      if (c === undefined) {
        return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, transactionalId: id, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
      }
      const d = c.describe(id);
      return {
        errorCode: d.errorCode,
        transactionalId: id,
        transactionState: d.state,
        transactionTimeoutMs: d.timeoutMs,
        transactionStartTimeMs: BigInt(d.startTimestamp),
        producerId: BigInt(d.producerId),
        producerEpoch: d.producerEpoch,
        topics: d.topics.map((t) => ({ topic: t.topic, partitions: t.partitions })),
      };
    }),
  };
};
