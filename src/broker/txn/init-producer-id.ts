/**
 * InitProducerId with a transactional id: a producer id and a new epoch for it. An open
 * transaction of the previous instance is aborted first (its epoch bumped, so the zombie is
 * fenced); Kafka answers CONCURRENT_TRANSACTIONS then and bumps again on the client's retry,
 * strand completes the abort and bumps in the same request. `expected` is the id and epoch a
 * v3+ client sends to resume after an error (KIP-360).
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ProducerIdManager } from '../producer-ids.js';
import { isEpochExhausted, type TxnMetadata, TxnState } from './metadata.js';
import type { TxnSettings } from './settings.js';
import type { TransactionStateTopic } from './state-topic.js';
import type { Transitions } from './transitions.js';

export interface InitResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/** What InitProducerId needs of the coordinator. */
export interface InitParts {
  transitions: Transitions;
  producerIds: ProducerIdManager;
  stateTopic: TransactionStateTopic;
  settings: TxnSettings;
  logger: Logger;
  coordinationError(transactionalId: string): number;
}

type Expected = { producerId: number; epoch: number } | null;

const fail = (errorCode: number): InitResult => ({ errorCode, producerId: -1, producerEpoch: -1 });

export async function initProducerId(c: InitParts, transactionalId: string, timeoutMs: number, expected: Expected): Promise<InitResult> {
  const t = c.transitions;
  const placement = c.coordinationError(transactionalId);
  if (placement !== ErrorCode.NONE) return fail(placement);
  if (timeoutMs <= 0 || timeoutMs > c.settings.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  if (t.isPending(transactionalId)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
  let m = t.txns.get(transactionalId);
  if (m === undefined) {
    try {
      c.stateTopic.ensure();
    } catch (err) {
      c.logger.error({ err }, 'cannot create the transaction state topic');
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    let producerId: number;
    try {
      producerId = await c.producerIds.allocate();
    } catch (err) {
      // The cluster could not reserve a block (etcd unreachable): retriable, as for idempotent producers.
      c.logger.warn({ transactionalId, err: (err as Error).message }, 'cannot allocate a producer id');
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    // Another request for the id may have created it meanwhile.
    if (t.isPending(transactionalId) || t.txns.has(transactionalId)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    m = { transactionalId, producerId, lastProducerId: -1, producerEpoch: -1, lastProducerEpoch: -1, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: Date.now() };
    t.txns.set(transactionalId, m);
  }
  const txn = m;
  if (expected !== null && !(txn.producerEpoch === -1 || expected.producerId === txn.producerId || (expected.producerId === txn.lastProducerId && isEpochExhausted(expected.epoch)))) {
    return fail(ErrorCode.PRODUCER_FENCED);
  }
  if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
  return t.withPending(transactionalId, () => bumpEpoch(c, txn, timeoutMs, expected)).catch((err: unknown) => fail(t.writeError(err, transactionalId)));
}

/** InitProducerId's transition, with the id pending: abort what is open, then a new epoch (or producer id). */
async function bumpEpoch(c: InitParts, txn: TxnMetadata, timeoutMs: number, expected: Expected): Promise<InitResult> {
  const t = c.transitions;
  const transactionalId = txn.transactionalId;
  if (txn.state === TxnState.Ongoing) {
    c.logger.info({ transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch }, 'aborting the open transaction of a fenced producer');
    await t.end(txn, false, true);
  }
  const now = Date.now();
  if (isEpochExhausted(txn.producerEpoch) && (expected === null || expected.epoch === txn.producerEpoch)) {
    // Out of epochs: a new producer id, from epoch 0.
    await t.persist(txn, { producerId: await c.producerIds.allocate(), lastProducerId: txn.producerId, producerEpoch: 0, lastProducerEpoch: expected === null ? -1 : txn.producerEpoch, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now });
  } else {
    let epoch: number;
    let last: number;
    if (expected === null) {
      epoch = txn.producerEpoch + 1;
      last = -1;
    } else if (txn.producerEpoch === -1 || expected.epoch === txn.producerEpoch) {
      epoch = txn.producerEpoch + 1;
      last = txn.producerEpoch;
    } else if (expected.epoch === txn.lastProducerEpoch) {
      // A retry of a bump whose answer was lost: the same epoch again.
      epoch = txn.producerEpoch;
      last = txn.lastProducerEpoch;
    } else {
      return fail(ErrorCode.PRODUCER_FENCED);
    }
    await t.persist(txn, { producerEpoch: epoch, lastProducerEpoch: last, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now });
  }
  c.logger.debug({ transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch }, 'initialized a transactional producer');
  return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
}
