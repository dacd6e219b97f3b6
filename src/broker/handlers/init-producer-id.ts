/**
 * InitProducerId (22) for idempotent producers: a producer id never handed out before, at
 * epoch 0. A producer that sends its current id and epoch (v3+, KIP-360, after an
 * UNKNOWN_PRODUCER_ID or OUT_OF_ORDER_SEQUENCE) gets the next epoch of the same id, or a new id
 * when the epoch would overflow. Transactional ids need the transaction coordinator.
 */
import { KafkaErrorCode } from '../../errors.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import type { Handler } from '../context.js';
import type { ProducerIdManager } from '../producer-ids.js';

const MAX_EPOCH = 32767;

export function createInitProducerIdHandler(ids: ProducerIdManager): Handler<InitProducerIdRequest, InitProducerIdResponse> {
  return (req) => {
    if (req.transactionalId !== null && req.transactionalId !== '') {
      // Transactions are not served yet: refuse clearly rather than pretend.
      return { throttleTimeMs: 0, errorCode: KafkaErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    }
    const currentId = req.producerId ?? -1n;
    const currentEpoch = req.producerEpoch ?? -1;
    if (currentId >= 0n && currentEpoch >= 0 && currentEpoch < MAX_EPOCH - 1) {
      return { throttleTimeMs: 0, errorCode: 0, producerId: currentId, producerEpoch: currentEpoch + 1 };
    }
    return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(ids.allocate()), producerEpoch: 0 };
  };
}
