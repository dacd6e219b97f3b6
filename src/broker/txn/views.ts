/** What ListTransactions and DescribeTransactions show of the coordinator's transactions. */
import { ErrorCode } from '../../protocol/error-codes.js';
import { partitionList, TXN_STATE_NAMES, TxnState, type TxnMetadata } from './metadata.js';

export interface TxnListing {
  transactionalId: string;
  producerId: number;
  state: string;
}

export interface TxnDescription {
  errorCode: number;
  transactionalId: string;
  state: string;
  timeoutMs: number;
  startTimestamp: number;
  producerId: number;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

/** ListTransactions: ids in the given states (all when empty), of the given producer ids, running longer than `minDurationMs` (-1: any). */
export function listTxns(txns: Iterable<TxnMetadata>, states: ReadonlySet<number>, producerIds: ReadonlySet<number>, minDurationMs: number, now: number): TxnListing[] {
  const out: TxnListing[] = [];
  for (const m of txns) {
    if (states.size > 0 && !states.has(m.state)) continue;
    if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
    if (minDurationMs >= 0 && (m.state !== TxnState.Ongoing || now - m.startTimestamp < minDurationMs)) continue;
    out.push({ transactionalId: m.transactionalId, producerId: m.producerId, state: TXN_STATE_NAMES[m.state] });
  }
  return out.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
}

/** DescribeTransactions for one id: `placement` is the coordinator's error for it (NONE when it coordinates it). */
export function describeTxn(transactionalId: string, placement: number, m: TxnMetadata | undefined): TxnDescription {
  const none = { transactionalId, state: '', timeoutMs: 0, startTimestamp: -1, producerId: -1, producerEpoch: -1, topics: [] };
  if (placement !== ErrorCode.NONE) return { errorCode: placement, ...none };
  if (m === undefined) return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, ...none };
  return { errorCode: ErrorCode.NONE, transactionalId, state: TXN_STATE_NAMES[m.state], timeoutMs: m.timeoutMs, startTimestamp: m.startTimestamp, producerId: m.producerId, producerEpoch: m.producerEpoch, topics: partitionList(m) };
}
