/** What the transaction handlers share: finding the coordinator, and Kafka's error mapping for old versions. */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { RequestContext } from '../../context.js';
import { type TransactionCoordinator, transactionCoordinatorOf } from '../../txn/index.js';

export function coordinator(ctx: RequestContext): TransactionCoordinator | undefined {
  return transactionCoordinatorOf(ctx.broker);
}

/**
 * PRODUCER_FENCED (90) exists from InitProducerId v4 and AddPartitionsToTxn, AddOffsetsToTxn and
 * EndTxn v2; older clients get INVALID_PRODUCER_EPOCH (47), which they handle the same way
 * (Kafka's KafkaApis does this mapping too).
 */
export function fencedFor(errorCode: number, version: number, firstVersionWithFenced: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < firstVersionWithFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}
