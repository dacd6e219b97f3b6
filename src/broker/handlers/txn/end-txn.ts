/**
 * EndTxn (26), v0-4: commit or abort the producer's transaction. Answered once every partition
 * of the transaction has its marker and the transaction is complete (Kafka answers once the
 * decision is written and sends the markers after; answering later is stricter and lets a
 * read_committed consumer see a committed transaction as soon as the producer knows of it).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { EndTxnRequest, EndTxnResponse } from '../../../protocol/messages/end-txn.js';
import type { Handler } from '../../context.js';
import { coordinator, fencedFor } from './common.js';

export const handleEndTxn: Handler<EndTxnRequest, EndTxnResponse> = async (req, ctx) => {
  const c = coordinator(ctx);
  if (c === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  if (req.transactionalId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST };
  const error = await c.endTxn(req.transactionalId, Number(req.producerId), req.producerEpoch, req.committed);
  return { throttleTimeMs: 0, errorCode: fencedFor(error, ctx.apiVersion, 2) };
};
