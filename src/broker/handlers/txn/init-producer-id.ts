/**
 * InitProducerId (22), v0-5.
 *
 * Idempotent producers (no transactional id): a producer id never handed out before, at epoch
 * 0. A producer that sends its current id and epoch (v3+, KIP-360, after UNKNOWN_PRODUCER_ID or
 * OUT_OF_ORDER_SEQUENCE) gets the next epoch of the same id, or a new id when the epoch would
 * overflow.
 *
 * Transactional producers: the coordinator's producer id for the transactional id, at a new
 * epoch, which fences every older instance; a transaction the previous instance left open is
 * aborted first. An empty transactional id is INVALID_REQUEST, as in Kafka. In a cluster only the
 * id's coordinator answers (NOT_COORDINATOR elsewhere, txn/placement.ts); its producer ids come
 * from the cluster's blocks.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../../protocol/messages/init-producer-id.js';
import type { Handler } from '../../context.js';
import { MAX_EPOCH } from '../../txn/metadata.js';
import { coordinator, fencedFor } from './common.js';

export const handleInitProducerId: Handler<InitProducerIdRequest, InitProducerIdResponse> = async (req, ctx) => {
  const answer = (errorCode: number, producerId: bigint, producerEpoch: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode: fencedFor(errorCode, ctx.apiVersion, 4), producerId, producerEpoch });
  const c = coordinator(ctx);
  if (c === undefined) return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE, -1n, -1);
  const currentId = req.producerId ?? -1n;
  const currentEpoch = req.producerEpoch ?? -1;
  if (req.transactionalId === null) {
    if (currentId >= 0n && currentEpoch >= 0 && currentEpoch < MAX_EPOCH - 1) return answer(ErrorCode.NONE, currentId, currentEpoch + 1);
    try {
      return answer(ErrorCode.NONE, BigInt(await c.producerIds.allocate()), 0);
    } catch (err) {
      // The cluster could not reserve a block (etcd unreachable): Kafka answers so when its controller does not.
      ctx.broker.logger.warn({ err: (err as Error).message }, 'cannot allocate a producer id');
      return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE, -1n, -1);
    }
  }
  if (req.transactionalId === '') return answer(ErrorCode.INVALID_REQUEST, -1n, -1);
  // -1/-1 means a first initialisation (Kafka treats it as no expected id and epoch).
  const expected = currentId >= 0n || currentEpoch >= 0 ? { producerId: Number(currentId), epoch: currentEpoch } : null;
  const r = await c.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
  return answer(r.errorCode, BigInt(r.producerId), r.producerEpoch);
};
