/**
 * Transactional offset commits (TxnOffsetCommit, KIP-98/KIP-447) for the group coordinator:
 * offsets a transactional producer commits for a group are written to the group's
 * `__consumer_offsets` partition as a transactional batch (the producer's id and epoch), and
 * held pending per producer. When the transaction coordinator writes the transaction's marker
 * to that partition, COMMIT makes them the group's committed offsets and ABORT drops them, as
 * Kafka's GroupMetadata.completePendingTxnOffsetCommit does.
 *
 * On load, `DecidedRecordReader` replays a `__consumer_offsets` partition the same way: plain
 * records in log order, a transaction's records at its COMMIT marker, none of an aborted one;
 * those of transactions still open are handed back so they stay pending until their marker.
 *
 * Simplification: a committed transactional offset replaces the group's offset when its
 * marker is written, even if a plain OffsetCommit of the same partition came between the
 * transactional write and the marker (Kafka keeps whichever was appended later).
 */
import { StrandError } from '../../errors.js';
import { ATTRIBUTES, BATCH_LENGTH, CONTROL_MASK, LOG_OVERHEAD, PRODUCER_ID, TRANSACTIONAL_MASK, readInt64 } from '../../format/batch-header.js';
import { readEndTxnMarker } from '../../format/control-record.js';
import { encodeBatch, readBatchRecords } from '../../format/record-batch.js';
import type { RecordInput, StoredRecord } from '../../format/record.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Log, ReadResult } from '../../storage/log.js';
import { ClassicGroup } from './group.js';
import { type CommitResult, offsetStoreError } from './offsets.js';
import { OFFSETS_TOPIC } from './offsets-topic.js';
import { type OffsetCommitValue, decodeKey, decodeOffsetCommitValue, encodeOffsetCommitKey, encodeOffsetCommitValue } from './records.js';
import type { GroupCoordinator } from './coordinator.js';
import { validateOffsetCommit as validateConsumerOffsetCommit } from './consumer/validate.js';

export interface TxnCommitInput {
  groupId: string;
  producerId: number;
  producerEpoch: number;
  /** v3+: -1, '' and null when not sent (no member checks then). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }> }>;
}

interface Pending {
  topic: string;
  partition: number;
  value: OffsetCommitValue;
}

export class TransactionalOffsets {
  /** producer id -> group id -> "topic\0partition" -> pending offset. */
  private readonly pending = new Map<number, Map<string, Map<string, Pending>>>();

  constructor(private readonly groups: GroupCoordinator) {}

  /** Whether the group has an offset of this partition waiting for its transaction (OffsetFetch's UNSTABLE_OFFSET_COMMIT). */
  isPending(groupId: string, topic: string, partition: number): boolean {
    const key = `${topic}\u0000${partition}`;
    for (const byGroup of this.pending.values()) if (byGroup.get(groupId)?.has(key)) return true;
    return false;
  }

  /**
   * TxnOffsetCommit: check the member (when the request names one), write the offsets as the
   * producer's transactional batch, hold them pending. Errors per partition.
   */
  async commit(req: TxnCommitInput): Promise<CommitResult> {
    const g = this.groups;
    const now = Date.now();
    const result: CommitResult = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE })) }));
    const valid: Array<{ topic: string; p: TxnCommitInput['topics'][number]['partitions'][number]; slot: { errorCode: number } }> = [];
    req.topics.forEach((t, i) => {
      const desc = g.core.topics.get(t.name);
      t.partitions.forEach((p, j) => {
        const slot = result[i]!.partitions[j]!;
        if (desc === undefined || p.partitionIndex < 0 || p.partitionIndex >= desc.partitions) slot.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else valid.push({ topic: t.name, p, slot });
      });
    });
    const setAll = (code: number) => {
      for (const v of valid) v.slot.errorCode = code;
      return result;
    };
    if (valid.length === 0) return result;
    if (!g.isActive) return setAll(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (req.groupId === '') return setAll(ErrorCode.INVALID_GROUP_ID);
    // Kafka's doTxnCommitOffsets: the member and generation are checked only when given.
    const consumerGroup = g.consumer.get(req.groupId);
    const group = g.groups.get(req.groupId);
    if (consumerGroup !== undefined) {
      // A consumer-protocol member sends its member epoch as the generation.
      const error = validateConsumerOffsetCommit(consumerGroup, req.memberId, req.generationId, undefined, true, req.groupInstanceId);
      if (error !== ErrorCode.NONE) return setAll(error);
    } else if (group !== undefined) {
      if (req.groupInstanceId !== null) {
        const current = group.staticMemberId(req.groupInstanceId);
        if (current !== undefined && current !== req.memberId) return setAll(ErrorCode.FENCED_INSTANCE_ID);
      }
      if (req.memberId !== '' && !group.has(req.memberId)) return setAll(ErrorCode.UNKNOWN_MEMBER_ID);
      if (req.generationId >= 0 && req.generationId !== group.generationId) return setAll(ErrorCode.ILLEGAL_GENERATION);
    } else if (req.memberId !== '') return setAll(ErrorCode.UNKNOWN_MEMBER_ID);
    else if (req.generationId >= 0) return setAll(ErrorCode.ILLEGAL_GENERATION);

    const records: RecordInput[] = [];
    const entries: Array<Pending & { slot: { errorCode: number } }> = [];
    for (const v of valid) {
      const metadata = v.p.committedMetadata ?? '';
      if (metadata.length > g.config.offsetMetadataMaxBytes) {
        v.slot.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        continue;
      }
      const value: OffsetCommitValue = { offset: v.p.committedOffset, leaderEpoch: v.p.committedLeaderEpoch, metadata, commitTimestamp: now, expireTimestamp: null };
      records.push({ key: encodeOffsetCommitKey(req.groupId, v.topic, v.p.partitionIndex), value: encodeOffsetCommitValue(value), timestamp: now });
      entries.push({ topic: v.topic, partition: v.p.partitionIndex, value, slot: v.slot });
    }
    if (records.length === 0) return result;
    let durable: Promise<void>;
    try {
      durable = this.append(req, records);
    } catch (err) {
      const code = offsetStoreError(err);
      if (code !== ErrorCode.INVALID_PRODUCER_EPOCH) g.logger.error({ err, group: req.groupId }, 'writing transactional offsets failed');
      for (const e of entries) e.slot.errorCode = code;
      return result;
    }
    let byGroup = this.pending.get(req.producerId);
    if (byGroup === undefined) this.pending.set(req.producerId, (byGroup = new Map()));
    let offsets = byGroup.get(req.groupId);
    if (offsets === undefined) byGroup.set(req.groupId, (offsets = new Map()));
    for (const e of entries) offsets.set(`${e.topic}\u0000${e.partition}`, { topic: e.topic, partition: e.partition, value: e.value });
    await durable.catch((err: unknown) => {
      g.logger.error({ err, group: req.groupId }, 'flushing transactional offsets failed');
      const code = offsetStoreError(err);
      for (const e of entries) e.slot.errorCode = code;
    });
    return result;
  }

  /**
   * A transaction marker was written to `__consumer_offsets-partition`: the producer's pending
   * offsets of the groups in that partition become committed (COMMIT) or are dropped (ABORT).
   */
  complete(partition: number, producerId: number, commit: boolean): void {
    const byGroup = this.pending.get(producerId);
    if (byGroup === undefined) return;
    for (const [groupId, offsets] of byGroup) {
      if (this.groups.topic.partitionFor(groupId) !== partition) continue;
      byGroup.delete(groupId);
      if (!commit) continue;
      const consumerGroup = this.groups.consumer.get(groupId);
      if (consumerGroup !== undefined) {
        for (const o of offsets.values()) consumerGroup.offsets.setOffset(o.topic, o.partition, o.value);
        continue;
      }
      let group = this.groups.groups.get(groupId);
      if (group === undefined) {
        group = new ClassicGroup(groupId, Date.now());
        this.groups.groups.set(groupId, group);
      }
      for (const o of offsets.values()) group.setOffset(o.topic, o.partition, o.value);
    }
    if (byGroup.size === 0) this.pending.delete(producerId);
  }

  /** After a load: the records of a transaction still open in `__consumer_offsets`, pending again. */
  restore(producerId: number, records: readonly StoredRecord[]): void {
    for (const rec of records) {
      if (rec.key === null || rec.value === null) continue;
      const key = decodeKey(rec.key);
      if (key === null || key.kind !== 'offset') continue;
      let byGroup = this.pending.get(producerId);
      if (byGroup === undefined) this.pending.set(producerId, (byGroup = new Map()));
      let offsets = byGroup.get(key.group);
      if (offsets === undefined) byGroup.set(key.group, (offsets = new Map()));
      offsets.set(`${key.topic}\u0000${key.partition}`, { topic: key.topic, partition: key.partition, value: decodeOffsetCommitValue(rec.value) });
    }
  }

  /** One transactional batch in the group's partition, checked by the producer's epoch only (a coordinator write). */
  private append(req: TxnCommitInput, records: RecordInput[]): Promise<void> {
    const topic = this.groups.topic;
    topic.ensure();
    const partition = topic.partitionFor(req.groupId);
    const log = this.groups.core.topics.log(OFFSETS_TOPIC, partition);
    if (log === null) throw new StrandError(`${OFFSETS_TOPIC}-${partition} is not available`, 'ERR_STRAND_COORDINATOR', ErrorCode.COORDINATOR_NOT_AVAILABLE);
    log.appendValidated(encodeBatch(records, { producerId: req.producerId, producerEpoch: req.producerEpoch, baseSequence: 0, attributes: TRANSACTIONAL_MASK }), { coordinator: true });
    this.groups.core.notifyAppend(OFFSETS_TOPIC, partition);
    return log.durable();
  }
}

/**
 * Reads a `__consumer_offsets` partition for loading, releasing only decided records: plain
 * ones as they come, a transaction's at its COMMIT marker, none of an aborted one. `open()`
 * is what is left undecided at the end.
 */
export class DecidedRecordReader {
  private readonly undecided = new Map<number, StoredRecord[]>();

  constructor(private readonly log: Log) {}

  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    const slice = this.log.readSlice(offset, maxBytes);
    if (slice === null) return { records: [], nextOffset: offset };
    const out: StoredRecord[] = [];
    const view = slice.view;
    for (let pos = 0; pos < view.length;) {
      const size = view.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
      const attributes = view.readInt16BE(pos + ATTRIBUTES);
      const producerId = readInt64(view, pos + PRODUCER_ID);
      if ((attributes & CONTROL_MASK) !== 0) {
        const marker = readEndTxnMarker(view, pos);
        const held = this.undecided.get(producerId);
        if (marker !== null) {
          this.undecided.delete(producerId);
          if (marker.commit && held !== undefined) out.push(...held);
        }
      } else {
        const records: StoredRecord[] = [];
        readBatchRecords(view, pos, size, records);
        const kept = records.filter((r) => r.offset >= offset);
        if ((attributes & TRANSACTIONAL_MASK) !== 0 && producerId >= 0) {
          const held = this.undecided.get(producerId);
          if (held === undefined) this.undecided.set(producerId, kept);
          else held.push(...kept);
        } else out.push(...kept);
      }
      pos += size;
    }
    return { records: out, nextOffset: slice.nextOffset };
  }

  /** Records of transactions with no marker yet, by producer id. */
  open(): ReadonlyMap<number, StoredRecord[]> {
    return this.undecided;
  }
}
