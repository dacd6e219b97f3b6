/**
 * What the produce path asks of transactions before appending a batch: a control batch never
 * comes from a client (INVALID_RECORD, as Kafka's LogValidator says), and a transactional batch
 * must come from the producer id and epoch the coordinator holds for the request's
 * transactional id, to a partition added to its ongoing transaction (else INVALID_TXN_STATE);
 * on a single broker, where the coordinator is local.
 */
import { KafkaErrorCode, StrandError } from '../../errors.js';
import { ATTRIBUTES, CONTROL_MASK, PRODUCER_EPOCH, PRODUCER_ID, TRANSACTIONAL_MASK, readInt64 } from '../../format/batch-header.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { transactionCoordinatorOf } from './index.js';

const MESSAGES: Partial<Record<number, string>> = {
  [ErrorCode.INVALID_TXN_STATE]: 'is not in the producer\'s ongoing transaction (AddPartitionsToTxn first)',
  [ErrorCode.INVALID_PRODUCER_EPOCH]: 'comes from a fenced producer epoch',
  [ErrorCode.INVALID_PRODUCER_ID_MAPPING]: 'comes from a producer id the transactional id does not have',
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]: 'is transactional but the request has no transactional id',
  [ErrorCode.NOT_ENOUGH_REPLICAS]: 'arrived while the transaction is being committed or aborted; retry',
};

/** Throws a StrandError with the Kafka code to answer when the batch (one v2 batch at offset 0) may not be appended. */
export function checkTransactionalBatch(core: BrokerCore, transactionalId: string | null, topic: string, partition: number, batch: Buffer): void {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  if ((attributes & CONTROL_MASK) !== 0) {
    throw new StrandError(`${topic}-${partition}: control batches are written by the transaction coordinator, not by clients`, 'ERR_STRAND_INVALID_RECORD', KafkaErrorCode.INVALID_RECORD);
  }
  if ((attributes & TRANSACTIONAL_MASK) === 0) return;
  // In a cluster the transaction's coordinator is usually on another broker: the partition's
  // leader checks only the producer epoch (its log refuses an epoch older than the partition has
  // seen, which the markers of a fencing abort raise), as Kafka does without KIP-890's
  // verification (transaction.partition.verification.enable=false).
  if (core.replication.clustered) return;
  const coordinator = transactionCoordinatorOf(core);
  if (coordinator === undefined) throw new StrandError('the transaction coordinator is not available', 'ERR_STRAND_COORDINATOR', KafkaErrorCode.NOT_ENOUGH_REPLICAS);
  const producerId = readInt64(batch, PRODUCER_ID);
  const code = coordinator.checkProduce(transactionalId, producerId, batch.readInt16BE(PRODUCER_EPOCH), topic, partition);
  if (code !== ErrorCode.NONE) {
    throw new StrandError(`${topic}-${partition}: transactional batch of producer ${producerId} ${MESSAGES[code] ?? 'refused'}`, 'ERR_STRAND_TRANSACTION', code as KafkaErrorCode);
  }
}
