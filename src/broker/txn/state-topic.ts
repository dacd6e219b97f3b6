/**
 * `__transaction_state`: where the transaction coordinator keeps each transactional id's state,
 * as Kafka does. An internal topic, `cleanup.policy=compact`, `transaction.state.log.num.partitions`
 * partitions (50 by default), created on first use. A transactional id's records all go to
 * partition `abs(hash(transactionalId)) % partitions` (Java's String.hashCode, as in Kafka), keyed
 * by the id so the latest record is the state.
 *
 * Every state change is one uncompressed batch of one record, appended synchronously so the
 * in-memory state follows the log exactly; callers wait for the partition's flush policy and, in a
 * cluster, for the in-sync replicas before acting on the change (Kafka writes this topic with
 * acks=-1, and creates it with min.insync.replicas = transaction.state.log.min.isr). Only the
 * partition's leader writes it.
 *
 * Loading replays partitions from their start: the last value of a key wins, a null value
 * (tombstone) removes the id.
 */
import type { Logger } from 'pino';
import { KafkaErrorCode, StrandError } from '../../errors.js';
import { encodeBatch } from '../../format/record-batch.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { partitionForKey } from '../../java-hash.js';
import { type TxnMetadata, fromLogValue, toLogValue } from './metadata.js';
import { decodeTxnLogKey, decodeTxnLogValue, encodeTxnLogKey, encodeTxnLogValue } from './records.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';
const LOAD_READ_BYTES = 4 * 1024 * 1024;
/** Kafka's request.timeout.ms default: how long a state write waits for the in-sync replicas (TransactionConfig.requestTimeoutMs). */
const WRITE_TIMEOUT_MS = 30_000;

export interface TxnStateTopicConfig {
  /** transaction.state.log.num.partitions */
  partitions: number;
  /** transaction.state.log.segment.bytes */
  segmentBytes: number;
}

export interface TxnLoadStats {
  partitions: number;
  records: number;
  skipped: number;
  transactionalIds: number;
  ms: number;
}

export class TransactionStateTopic {
  constructor(private readonly core: BrokerCore, private readonly config: TxnStateTopicConfig, private readonly logger: Logger) {}

  get exists(): boolean {
    return this.core.topics.get(TRANSACTION_STATE_TOPIC) !== undefined;
  }

  /** The existing topic's partition count (a changed setting never moves an id away from its records), else the setting. */
  get partitions(): number {
    return this.core.topics.get(TRANSACTION_STATE_TOPIC)?.partitions ?? this.config.partitions;
  }

  partitionFor(transactionalId: string): number {
    return partitionForKey(transactionalId, this.partitions);
  }

  /** Create the topic if it does not exist yet. Throws StrandError if it cannot be created. */
  ensure(): void {
    if (this.exists) return;
    const configs = new Map<string, string>([
      ['cleanup.policy', 'compact'],
      ['compression.type', 'uncompressed'],
      ['segment.bytes', String(this.config.segmentBytes)],
      // strand's retention acts on time whatever the cleanup policy; the latest state of an id
      // must never be lost to age.
      ['retention.ms', '-1'],
    ]);
    if (this.core.replication.clustered) configs.set('min.insync.replicas', String(this.minIsr()));
    const t = this.core.topics.create(TRANSACTION_STATE_TOPIC, this.config.partitions, configs, { internal: true });
    this.logger.info({ topic: TRANSACTION_STATE_TOPIC, partitions: t.partitions }, 'created the transaction state topic');
  }

  /**
   * transaction.state.log.min.isr, capped at the replication factor the topic gets (Kafka would
   * instead refuse to create the topic until enough brokers are up).
   */
  private minIsr(): number {
    const c = this.core.config;
    const rf = Math.min(c.int('transaction.state.log.replication.factor'), Math.max(1, this.core.replication.brokers().length));
    return Math.min(c.int('transaction.state.log.min.isr'), rf);
  }

  /**
   * Append the state of `m` (or a tombstone when null) to its partition. Throws a StrandError if
   * the append fails (nothing was written then); the promise settles when the partition's flush
   * policy is met and, in a cluster, once the in-sync replicas have the record, and rejects with
   * NOT_COORDINATOR (leadership moved) or COORDINATOR_NOT_AVAILABLE (too few in-sync replicas,
   * or none answered in time) as Kafka's TransactionStateManager maps a failed append.
   */
  write(transactionalId: string, m: TxnMetadata | null): Promise<void> {
    this.ensure();
    const partition = this.partitionFor(transactionalId);
    const log = this.core.topics.log(TRANSACTION_STATE_TOPIC, partition);
    const where = `${TRANSACTION_STATE_TOPIC}-${partition}`;
    if (log === null) throw new StrandError(`${where} is not available`, 'ERR_STRAND_COORDINATOR', KafkaErrorCode.COORDINATOR_NOT_AVAILABLE);
    const clustered = this.core.replication.clustered;
    const topicMinIsr = Number(this.core.topics.get(TRANSACTION_STATE_TOPIC)?.configs.get('min.insync.replicas') ?? '1');
    if (clustered) {
      // Only the partition's leader writes it: a follower's log takes only its leader's batches.
      if (this.core.replication.leaderCheck(TRANSACTION_STATE_TOPIC, partition, -1) !== ErrorCode.NONE) {
        throw new StrandError(`this broker does not lead ${where}, which holds transactional id ${transactionalId}`, 'ERR_STRAND_COORDINATOR', KafkaErrorCode.NOT_COORDINATOR);
      }
      if (this.core.replication.checkEnoughReplicas(TRANSACTION_STATE_TOPIC, partition, topicMinIsr) !== ErrorCode.NONE) {
        throw new StrandError(`${where}: fewer in-sync replicas than min.insync.replicas=${topicMinIsr}`, 'ERR_STRAND_COORDINATOR', KafkaErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
    }
    const value = m === null ? null : encodeTxnLogValue(toLogValue(m));
    const { lastOffset } = log.appendValidated(encodeBatch([{ key: encodeTxnLogKey(transactionalId), value }]));
    this.core.notifyAppend(TRANSACTION_STATE_TOPIC, partition);
    if (!clustered) return log.durable();
    this.core.replication.leaderAppended(TRANSACTION_STATE_TOPIC, partition, log);
    const timeoutMs = Number(this.core.config.raw('request.timeout.ms') ?? WRITE_TIMEOUT_MS);
    const replicated = this.core.replication.waitForIsr(TRANSACTION_STATE_TOPIC, partition, lastOffset + 1, topicMinIsr, timeoutMs).then((code) => {
      if (code === ErrorCode.NONE) return;
      const mapped = code === ErrorCode.NOT_LEADER_OR_FOLLOWER ? KafkaErrorCode.NOT_COORDINATOR : KafkaErrorCode.COORDINATOR_NOT_AVAILABLE;
      throw new StrandError(`${where}: the in-sync replicas did not take the state of transactional id ${transactionalId} (error ${code})`, 'ERR_STRAND_COORDINATOR', mapped);
    });
    return Promise.all([log.durable(), replicated]).then(() => undefined);
  }

  /** Replay the partitions `only` (every partition when omitted): the state of their transactional ids, by id. */
  async load(only?: readonly number[]): Promise<{ txns: Map<string, TxnMetadata>; stats: TxnLoadStats }> {
    const started = Date.now();
    const txns = new Map<string, TxnMetadata>();
    const stats: TxnLoadStats = { partitions: 0, records: 0, skipped: 0, transactionalIds: 0, ms: 0 };
    if (!this.exists) return { txns, stats };
    for (let p = 0; p < this.partitions; p++) {
      if (only !== undefined && !only.includes(p)) continue;
      const log = this.core.topics.log(TRANSACTION_STATE_TOPIC, p);
      if (log === null) continue;
      stats.partitions++;
      let offset = log.startOffset;
      while (offset < log.endOffset) {
        const { records, nextOffset } = await log.read(offset, { maxBytes: LOAD_READ_BYTES });
        for (const rec of records) {
          stats.records++;
          try {
            if (rec.key === null) throw new Error('record without a key');
            const id = decodeTxnLogKey(rec.key);
            if (id === null) {
              stats.skipped++;
              continue;
            }
            if (rec.value === null) txns.delete(id);
            else txns.set(id, fromLogValue(id, decodeTxnLogValue(rec.value)));
          } catch (err) {
            stats.skipped++;
            this.logger.warn({ topic: TRANSACTION_STATE_TOPIC, partition: p, offset: rec.offset, err: (err as Error).message }, 'skipped an unreadable transaction state record');
          }
        }
        if (nextOffset <= offset) break;
        offset = nextOffset;
      }
    }
    stats.transactionalIds = txns.size;
    stats.ms = Date.now() - started;
    return { txns, stats };
  }
}
