/** The broker settings the transaction coordinator reads (Kafka's names and defaults, see config.ts). */
import type { BrokerCore } from '../context.js';

export interface TxnSettings {
  /** transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for. */
  maxTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortCheckIntervalMs: number;
  /** transactional.id.expiration.ms */
  idExpirationMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  idExpirationCheckIntervalMs: number;
  /** transaction.state.log.num.partitions */
  statePartitions: number;
  /** transaction.state.log.segment.bytes */
  stateSegmentBytes: number;
  /** offsets.topic.num.partitions: where AddOffsetsToTxn finds a group's partition before the topic exists. */
  offsetsTopicPartitions: number;
}

export function txnSettings(core: BrokerCore): TxnSettings {
  const c = core.config;
  return {
    maxTimeoutMs: c.int('transaction.max.timeout.ms'),
    abortCheckIntervalMs: c.int('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    idExpirationMs: c.int('transactional.id.expiration.ms'),
    idExpirationCheckIntervalMs: c.int('transaction.remove.expired.transaction.cleanup.interval.ms'),
    statePartitions: c.int('transaction.state.log.num.partitions'),
    stateSegmentBytes: c.int('transaction.state.log.segment.bytes'),
    offsetsTopicPartitions: c.int('offsets.topic.num.partitions'),
  };
}
