/**
 * WriteTxnMarkers (27), v0-1: a transaction coordinator on another broker asks this one to write
 * a transaction's COMMIT or ABORT markers into partitions it leads (Kafka's
 * KafkaApis.handleWriteTxnMarkersRequest). Each partition is leader-checked and answered once its
 * in-sync replicas have the marker, as Kafka appends markers with acks=-1; the coordinator retries
 * what is answered NOT_LEADER_OR_FOLLOWER (with the partition's new leader) and the other
 * retriable errors. A marker older than the partition's producer epoch or coordinator epoch is
 * answered INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED and not written.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../../../protocol/messages/write-txn-markers.js';
import type { Handler } from '../../context.js';
import { coordinator } from './common.js';

export const handleWriteTxnMarkers: Handler<WriteTxnMarkersRequest, WriteTxnMarkersResponse> = async (req, ctx) => {
  const c = coordinator(ctx);
  const markers = await Promise.all(req.markers.map(async (m) => {
    const marker = { producerId: Number(m.producerId), producerEpoch: m.producerEpoch, commit: m.transactionResult, coordinatorEpoch: m.coordinatorEpoch };
    const topics = await Promise.all(m.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => ({
        partitionIndex,
        errorCode: c === undefined ? ErrorCode.NOT_LEADER_OR_FOLLOWER : await c.markers.appendLocal(t.name, partitionIndex, marker),
      }))),
    })));
    return { producerId: m.producerId, topics };
  }));
  return { markers };
};
