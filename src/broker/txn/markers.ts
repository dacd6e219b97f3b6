/**
 * Writing a transaction's markers (Kafka's TransactionMarkerChannelManager): a COMMIT or ABORT
 * control batch in every partition of the transaction, with the producer's id and epoch and the
 * coordinator epoch. A partition this broker leads gets it from the log directly; in a cluster a
 * partition led by another broker gets it through WriteTxnMarkers (marker-sender.ts), retried
 * until its current leader takes it, as Kafka retries NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS
 * and unreachable brokers until the coordinator itself is no longer the coordinator. A partition
 * that no longer exists gets none; one that refuses the marker (a newer producer epoch or
 * coordinator epoch there) is logged and skipped. Markers are written as Kafka writes them, with
 * acks=all: a partition counts once its in-sync replicas have the marker.
 *
 * Listeners hear of each marker written to their topic on this broker: the group coordinator
 * completes its pending transactional offsets on the markers in `__consumer_offsets`.
 */
import type { Logger } from 'pino';
import { StrandError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { MarkerSender, type WritableMarker } from './marker-sender.js';
import type { TxnMetadata } from './metadata.js';

/** A single broker's coordinator epoch, which never changes (in a cluster: the state partition's leader epoch). */
export const COORDINATOR_EPOCH = 0;

/** Told about each marker written to a partition of the topic it listens to. */
export type MarkerListener = (partition: number, producerId: number, producerEpoch: number, commit: boolean) => void;

/** Fault injection for crash tests: called after each marker is written. */
export const txnFaults: { afterMarker: ((topic: string, partition: number) => void) | null } = { afterMarker: null };

/** Kafka's request.timeout.ms default: how long a marker waits for the partition's in-sync replicas. */
const ISR_TIMEOUT_MS = 30_000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;
/** A leader could not be reached (no Kafka code): retried like NOT_LEADER_OR_FOLLOWER. */
const UNREACHABLE = -2;

/** Errors after which the marker is sent again (Kafka's TransactionMarkerRequestCompletionHandler). */
const RETRIABLE = new Set<number>([
  UNREACHABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
]);

export interface Marker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export class MarkerWriter {
  private readonly listeners = new Map<string, MarkerListener>();
  private readonly sender: MarkerSender | null;

  constructor(private readonly core: BrokerCore, private readonly logger: Logger) {
    this.sender = core.replication.clustered ? new MarkerSender(core, logger) : null;
  }

  /** Be told of the markers written to `topic` (one listener per topic; null removes it). */
  listen(topic: string, listener: MarkerListener | null): void {
    if (listener === null) this.listeners.delete(topic);
    else this.listeners.set(topic, listener);
  }

  async close(): Promise<void> {
    await this.sender?.close();
  }

  /**
   * Append the marker to `topic`-`partition` here (this broker's coordinator, or a WriteTxnMarkers
   * from another's). Resolves with 0 once the partition's flush policy is met and, in a cluster,
   * its in-sync replicas have it; else with the Kafka error code (NOT_LEADER_OR_FOLLOWER when
   * this broker does not lead it, INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED when
   * the partition knows a newer producer or coordinator epoch).
   */
  async appendLocal(topic: string, partition: number, marker: Marker): Promise<number> {
    const core = this.core;
    const described = core.topics.get(topic);
    if (described === undefined || partition < 0 || partition >= described.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const log = core.topics.log(topic, partition);
    const leadership = core.replication.leaderCheck(topic, partition, -1);
    if (log === null || leadership !== ErrorCode.NONE) return log === null ? ErrorCode.NOT_LEADER_OR_FOLLOWER : leadership;
    const clustered = core.replication.clustered;
    const minIsr = Number(described.configs.get('min.insync.replicas') ?? core.config.raw('min.insync.replicas') ?? '1');
    if (clustered) {
      const enough = core.replication.checkEnoughReplicas(topic, partition, minIsr);
      if (enough !== ErrorCode.NONE) return enough;
    }
    let lastOffset: number;
    try {
      lastOffset = log.appendControl(marker.producerId, marker.producerEpoch, marker.commit, marker.coordinatorEpoch).lastOffset;
    } catch (err) {
      this.logger.error({ topic, partition, producerId: marker.producerId, err: (err as Error).message }, 'cannot write a transaction marker');
      return err instanceof StrandError ? err.kafkaCode : ErrorCode.KAFKA_STORAGE_ERROR;
    }
    core.notifyAppend(topic, partition);
    if (clustered) core.replication.leaderAppended(topic, partition, log);
    try {
      this.listeners.get(topic)?.(partition, marker.producerId, marker.producerEpoch, marker.commit);
    } catch (err) {
      this.logger.error({ topic, partition, err }, 'transaction marker listener failed');
    }
    txnFaults.afterMarker?.(topic, partition);
    const durable = log.durable();
    if (!clustered) {
      await durable;
      return ErrorCode.NONE;
    }
    const timeoutMs = Number(core.config.raw('request.timeout.ms') ?? ISR_TIMEOUT_MS);
    const [, code] = await Promise.all([durable, core.replication.waitForIsr(topic, partition, lastOffset + 1, minIsr, timeoutMs)]);
    return code;
  }

  /**
   * A marker in every partition of the transaction. Resolves once each partition has it (or was
   * skipped); rejects with NOT_COORDINATOR when `current()` turns false first (this broker is no
   * longer the transaction's coordinator: the new one sends the markers again), or with the
   * storage error of a local partition that could not make its marker durable.
   */
  async write(m: TxnMetadata, commit: boolean, coordinatorEpoch: number, current: () => boolean): Promise<void> {
    const marker: Marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, commit, coordinatorEpoch };
    let pending: Array<[string, number]> = [];
    for (const [topic, partitions] of m.partitions) for (const p of partitions) pending.push([topic, p]);
    let delay = RETRY_MIN_MS;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) {
        await sleep(delay);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
      if (!current()) {
        throw new StrandError(`no longer the coordinator of transactional id ${m.transactionalId}: its markers are left to the new one`, 'ERR_STRAND_COORDINATOR', ErrorCode.NOT_COORDINATOR);
      }
      const results = await this.round(m, marker, pending);
      const retry: Array<[string, number]> = [];
      for (const [topic, p] of pending) {
        const code = results.get(key(topic, p)) ?? ErrorCode.NONE;
        if (code === ErrorCode.NONE) continue;
        if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && this.core.topics.get(topic) === undefined) {
          this.logger.warn({ transactionalId: m.transactionalId, topic, partition: p }, 'no transaction marker for a partition that no longer exists');
        } else if (RETRIABLE.has(code) && this.sender !== null) {
          retry.push([topic, p]);
        } else {
          this.logger.error({ transactionalId: m.transactionalId, topic, partition: p, errorCode: code }, 'a partition refused the transaction marker; skipped');
        }
      }
      if (retry.length > 0 && round % 20 === 19) this.logger.warn({ transactionalId: m.transactionalId, partitions: retry.map(([t, p]) => `${t}-${p}`) }, 'still sending transaction markers');
      pending = retry;
    }
  }

  /** One attempt at every pending partition: here for those this broker leads, one request per other leader. */
  private async round(m: TxnMetadata, marker: Marker, pending: ReadonlyArray<[string, number]>): Promise<Map<string, number>> {
    const results = new Map<string, number>();
    const remote = new Map<number, Array<[string, number]>>();
    const local: Array<Promise<void>> = [];
    for (const [topic, p] of pending) {
      const leader = this.sender === null ? this.core.nodeId : this.core.replication.view(topic, p)?.leader ?? -1;
      if (this.core.topics.get(topic) === undefined) {
        results.set(key(topic, p), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } else if (leader === this.core.nodeId) {
        local.push(this.appendLocal(topic, p, marker).then((code) => void results.set(key(topic, p), code)));
      } else if (leader < 0) {
        results.set(key(topic, p), ErrorCode.LEADER_NOT_AVAILABLE);
      } else {
        let list = remote.get(leader);
        if (list === undefined) remote.set(leader, (list = []));
        list.push([topic, p]);
      }
    }
    const sends = [...remote].map(async ([leader, parts]) => {
      const byTopic = new Map<string, number[]>();
      for (const [t, p] of parts) byTopic.set(t, [...(byTopic.get(t) ?? []), p]);
      const req: WritableMarker = {
        producerId: BigInt(marker.producerId), producerEpoch: marker.producerEpoch, transactionResult: marker.commit, coordinatorEpoch: marker.coordinatorEpoch,
        topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      };
      try {
        const answered = await this.sender!.send(leader, req);
        for (const [t, p] of parts) results.set(key(t, p), answered.get(key(t, p)) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
      } catch (err) {
        this.logger.debug({ transactionalId: m.transactionalId, broker: leader, err: (err as Error).message }, 'cannot send transaction markers; retrying');
        for (const [t, p] of parts) results.set(key(t, p), UNREACHABLE);
      }
    });
    await Promise.all([...local, ...sends]);
    return results;
  }
}
