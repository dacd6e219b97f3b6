/**
 * AddOffsetsToTxn (25), v0-4: add the group's `__consumer_offsets` partition to the
 * transaction, so its TxnOffsetCommit records get the transaction's marker.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../../protocol/messages/add-offsets-to-txn.js';
import type { Handler } from '../../context.js';
import { coordinator, fencedFor } from './common.js';

export const handleAddOffsetsToTxn: Handler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = async (req, ctx) => {
  const c = coordinator(ctx);
  if (c === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  const error = await c.addOffsets(req.transactionalId, Number(req.producerId), req.producerEpoch, req.groupId);
  return { throttleTimeMs: 0, errorCode: fencedFor(error, ctx.apiVersion, 2) };
};
