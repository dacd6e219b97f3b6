/**
 * ListTransactions (66), v0-1: the transactional ids this coordinator knows, filtered by state
 * name, producer id and (v1) how long the transaction has been running. State filters that
 * name no state are returned in unknown_state_filters.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../../protocol/messages/list-transactions.js';
import type { Handler } from '../../context.js';
import { txnStateFromName } from '../../txn/metadata.js';
import { coordinator } from './common.js';

export const handleListTransactions: Handler<ListTransactionsRequest, ListTransactionsResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  if (c === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
  const states = new Set<number>();
  const unknownStateFilters: string[] = [];
  for (const name of req.stateFilters) {
    const s = txnStateFromName(name);
    if (s === undefined) unknownStateFilters.push(name);
    else states.add(s);
  }
  // Only unknown filters: nothing can match.
  if (states.size === 0 && unknownStateFilters.length > 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates: [] };
  const listing = c.list(states, new Set(req.producerIdFilters.map(Number)), Number(req.durationFilter ?? -1n));
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    unknownStateFilters,
    transactionStates: listing.map((t) => ({ transactionalId: t.transactionalId, producerId: BigInt(t.producerId), transactionState: t.state })),
  };
};
