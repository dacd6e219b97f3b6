/**
 * Writing a transaction's markers (Kafka's TransactionMarkerChannelManager, on one node: the
 * partitions are local logs): a COMMIT or ABORT control batch in every partition of the
 * transaction, with the producer's id and epoch and the coordinator epoch. A partition that no
 * longer exists gets none; one that refuses the marker (a newer producer epoch there) is logged
 * and skipped. Listeners hear of each marker written to their topic: the group coordinator
 * completes its pending transactional offsets on the markers in `__consumer_offsets`.
 */
import type { Logger } from 'pino';
import type { BrokerCore } from '../context.js';
import type { TxnMetadata } from './metadata.js';

/** Single node: the coordinator epoch never changes. */
export const COORDINATOR_EPOCH = 0;

/** Told about each marker written to a partition of the topic it listens to. */
export type MarkerListener = (partition: number, producerId: number, producerEpoch: number, commit: boolean) => void;

/** Fault injection for crash tests: called after each marker is written. */
export const txnFaults: { afterMarker: ((topic: string, partition: number) => void) | null } = { afterMarker: null };

export class MarkerWriter {
  private readonly listeners = new Map<string, MarkerListener>();

  constructor(private readonly core: BrokerCore, private readonly logger: Logger) {}

  /** Be told of the markers written to `topic` (one listener per topic; null removes it). */
  listen(topic: string, listener: MarkerListener | null): void {
    if (listener === null) this.listeners.delete(topic);
    else this.listeners.set(topic, listener);
  }

  /** A marker in every partition of the transaction; the promises settle as each partition's flush policy is met. */
  write(m: TxnMetadata, commit: boolean): Array<Promise<void>> {
    const durable: Array<Promise<void>> = [];
    for (const [topic, partitions] of m.partitions) {
      for (const p of partitions) {
        const log = this.core.topics.log(topic, p);
        if (log === null) {
          this.logger.warn({ transactionalId: m.transactionalId, topic, partition: p }, 'no transaction marker for a partition that no longer exists');
          continue;
        }
        try {
          log.appendControl(m.producerId, m.producerEpoch, commit, COORDINATOR_EPOCH);
        } catch (err) {
          this.logger.error({ transactionalId: m.transactionalId, topic, partition: p, err: (err as Error).message }, 'cannot write a transaction marker');
          continue;
        }
        this.core.notifyAppend(topic, p);
        try {
          this.listeners.get(topic)?.(p, m.producerId, m.producerEpoch, commit);
        } catch (err) {
          this.logger.error({ topic, partition: p, err }, 'transaction marker listener failed');
        }
        durable.push(log.durable());
        txnFaults.afterMarker?.(topic, p);
      }
    }
    return durable;
  }
}
