/**
 * `__consumer_offsets`: where committed offsets and group metadata live, as Kafka keeps them.
 * An internal topic (hidden from all-topics Metadata), `cleanup.policy=compact`,
 * `offsets.topic.num.partitions` partitions, created on first use (as Kafka does on the first
 * FindCoordinator for a group). A group's records all go to partition
 * `abs(hash(groupId)) % partitions`, keyed so the latest record per key is the state.
 *
 * Writes are synchronous appends of one uncompressed batch per request (Kafka writes one batch
 * per commit too), so the in-memory state can follow the log exactly; callers wait for the
 * partition's flush policy before answering where Kafka would wait for acks=-1.
 *
 * Loading reads every partition from its start and replays the records in order: the last
 * value of a key wins, a null value (tombstone) deletes it.
 */
import type { Logger } from 'pino';
import { StrandError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { encodeBatch } from '../../format/record-batch.js';
import type { RecordInput, StoredRecord } from '../../format/record.js';
import type { BrokerCore } from '../context.js';
import type { GroupConfig } from './config.js';
import { partitionForGroup } from './hash.js';
import { type GroupMetadataValue, type OffsetCommitValue, decodeGroupMetadataValue, decodeKey, decodeOffsetCommitValue } from './records.js';
import { DecidedRecordReader } from './txn-offsets.js';

/** Kafka's offsets.commit.timeout.ms default: how long a group write waits for the in-sync replicas. */
const COMMIT_TIMEOUT_MS = 5000;
import { emptyLoadedConsumerGroup, type LoadedConsumerGroup, replayConsumerRecord } from './consumer/persist.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

/** A group as the log describes it after replay. */
export interface LoadedGroup {
  /** The last group metadata value; null if there is none or it was deleted. */
  metadata: GroupMetadataValue | null;
  /** Offsets whose last record is a value. */
  offsets: Map<string, Map<number, OffsetCommitValue>>;
  /** Timestamp of the group's last metadata record (to age groups from old formats). */
  metadataTimestamp: number;
  /** The records of a consumer-protocol group (KIP-848), if any. */
  consumer: LoadedConsumerGroup | null;
}

export interface LoadStats {
  partitions: number;
  records: number;
  skipped: number;
  groups: number;
  offsets: number;
  ms: number;
}

const LOAD_READ_BYTES = 4 * 1024 * 1024;

export class OffsetsTopic {
  constructor(private readonly core: BrokerCore, private readonly config: GroupConfig, private readonly logger: Logger) {}

  get exists(): boolean {
    return this.core.topics.get(OFFSETS_TOPIC) !== undefined;
  }

  /**
   * Partitions of the topic: the existing topic's count if it exists. Kafka assumes the
   * configured count matches the topic; strand trusts the topic, so changing
   * offsets.topic.num.partitions later never moves a group away from its records.
   */
  get partitions(): number {
    return this.core.topics.get(OFFSETS_TOPIC)?.partitions ?? this.config.offsetsTopicPartitions;
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitions);
  }

  /** Create the topic if it does not exist yet. Throws StrandError if it cannot be created. */
  ensure(): void {
    if (this.exists) return;
    const configs = new Map<string, string>([
      ['cleanup.policy', 'compact'],
      ['segment.bytes', String(this.config.offsetsTopicSegmentBytes)],
      // strand's retention acts on time whatever the cleanup policy; a compacted topic must
      // never lose its latest values to age, so time retention is off here.
      ['retention.ms', '-1'],
    ]);
    const t = this.core.topics.create(OFFSETS_TOPIC, this.config.offsetsTopicPartitions, configs, { internal: true });
    this.logger.info({ topic: OFFSETS_TOPIC, partitions: t.partitions }, 'created the group metadata topic');
  }

  /**
   * Append `records` (one batch) to the group's partition, creating the topic if needed.
   * Throws a StrandError if the append fails (nothing was written then); the returned promise
   * settles when the partition's flush policy is met and, in a cluster, when the in-sync
   * replicas have the batch (Kafka writes group metadata with acks=all), and rejects with
   * NOT_COORDINATOR when they cannot get it (leadership moved).
   */
  append(groupId: string, records: RecordInput[]): Promise<void> {
    this.ensure();
    const partition = this.partitionFor(groupId);
    const log = this.core.topics.log(OFFSETS_TOPIC, partition);
    if (log === null) throw new StrandError(`${OFFSETS_TOPIC}-${partition} is not available`, 'ERR_STRAND_COORDINATOR', ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Only the partition's leader writes it: a follower's log takes only its leader's batches.
    if (this.core.replication.leaderCheck(OFFSETS_TOPIC, partition, -1) !== ErrorCode.NONE) {
      throw new StrandError(`this broker does not lead ${OFFSETS_TOPIC}-${partition}, which holds group ${groupId}`, 'ERR_STRAND_COORDINATOR', ErrorCode.NOT_COORDINATOR);
    }
    const { lastOffset } = log.appendValidated(encodeBatch(records));
    this.core.notifyAppend(OFFSETS_TOPIC, partition);
    this.core.replication.leaderAppended(OFFSETS_TOPIC, partition, log);
    const durable = log.durable();
    if (!this.core.replication.clustered) return durable;
    const replicated = this.core.replication.waitForIsr(OFFSETS_TOPIC, partition, lastOffset + 1, 1, Number(this.core.config.raw('offsets.commit.timeout.ms') ?? COMMIT_TIMEOUT_MS)).then((code) => {
      if (code === ErrorCode.NONE) return;
      // Kafka's GroupMetadataManager maps a failed append so: the client finds its coordinator again.
      throw new StrandError(`${OFFSETS_TOPIC}-${partition}: the in-sync replicas did not take group ${groupId}'s records (error ${code})`, 'ERR_STRAND_COORDINATOR', code === ErrorCode.REQUEST_TIMED_OUT ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.NOT_COORDINATOR);
    });
    return Promise.all([durable, replicated]).then(() => undefined);
  }

  /**
   * Replay every partition; groups by id. Transactional offsets count once their transaction
   * committed; those of transactions still open go to `onOpenTxn` (see txn-offsets.ts).
   */
  async load(onOpenTxn?: (producerId: number, records: StoredRecord[]) => void, only?: readonly number[]): Promise<{ groups: Map<string, LoadedGroup>; stats: LoadStats }> {
    const started = Date.now();
    const groups = new Map<string, LoadedGroup>();
    const stats: LoadStats = { partitions: 0, records: 0, skipped: 0, groups: 0, offsets: 0, ms: 0 };
    if (!this.exists) return { groups, stats };
    const entry = (id: string): LoadedGroup => {
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { metadata: null, offsets: new Map(), metadataTimestamp: -1, consumer: null }));
      return g;
    };
    for (let p = 0; p < this.partitions; p++) {
      if (only !== undefined && !only.includes(p)) continue;
      const log = this.core.topics.log(OFFSETS_TOPIC, p);
      if (log === null) continue;
      stats.partitions++;
      let offset = log.startOffset;
      const reader = new DecidedRecordReader(log);
      while (offset < log.endOffset) {
        const { records, nextOffset } = await reader.read(offset, LOAD_READ_BYTES);
        for (const rec of records) {
          stats.records++;
          try {
            if (rec.key === null) throw new Error('record without a key');
            const key = decodeKey(rec.key);
            if (key === null) {
              stats.skipped++;
              continue;
            }
            const g = entry(key.group);
            if (key.kind === 'offset') {
              if (rec.value === null) {
                const byPartition = g.offsets.get(key.topic);
                byPartition?.delete(key.partition);
                if (byPartition?.size === 0) g.offsets.delete(key.topic);
              } else {
                let byPartition = g.offsets.get(key.topic);
                if (byPartition === undefined) g.offsets.set(key.topic, (byPartition = new Map()));
                byPartition.set(key.partition, decodeOffsetCommitValue(rec.value));
              }
            } else if (key.kind === 'group') {
              g.metadata = rec.value === null ? null : decodeGroupMetadataValue(rec.value);
              g.metadataTimestamp = rec.timestamp;
            } else {
              replayConsumerRecord((g.consumer ??= emptyLoadedConsumerGroup()), key, rec.value);
              // The group record written last decides the type: a consumer group replaces a classic one and back.
              if (key.kind === 'consumer-group' && rec.value !== null) g.metadata = null;
            }
          } catch (err) {
            stats.skipped++;
            this.logger.warn({ topic: OFFSETS_TOPIC, partition: p, offset: rec.offset, err: (err as Error).message }, 'skipped an unreadable group metadata record');
          }
        }
        if (nextOffset <= offset) break;
        offset = nextOffset;
      }
      for (const [producerId, records] of reader.open()) onOpenTxn?.(producerId, records);
    }
    for (const [id, g] of groups) {
      if (g.consumer !== null && g.consumer.groupEpoch === null) g.consumer = null;
      if (g.metadata === null && g.offsets.size === 0 && g.consumer === null) groups.delete(id);
      else for (const byPartition of g.offsets.values()) stats.offsets += byPartition.size;
    }
    stats.groups = groups.size;
    stats.ms = Date.now() - started;
    return { groups, stats };
  }
}
