/** Transactions over the raw protocol, for tests that check exact requests and error codes. */
import { ATTRIBUTES, BATCH_LENGTH, CONTROL_MASK, LOG_OVERHEAD, PRODUCER_ID, TRANSACTIONAL_MASK } from '../../src/format/batch-header.js';
import { encodeBatch, readBatchRecords } from '../../src/format/record-batch.js';
import type { StoredRecord } from '../../src/format/record.js';
import {
  AddOffsetsToTxnApi, AddPartitionsToTxnApi, EndTxnApi, FetchApi, InitProducerIdApi, ListOffsetsApi, ProduceApi, TxnOffsetCommitApi,
} from '../../src/protocol/messages/index.js';
import type { FetchResponsePartitionData } from '../../src/protocol/messages/fetch.js';
import { RawClient } from './raw-client.js';

export interface TxnProducer {
  id: string;
  producerId: number;
  epoch: number;
  /** Next sequence per "topic-partition". */
  seq: Map<string, number>;
}

export interface FetchedRecord extends StoredRecord {
  producerId: number;
  transactional: boolean;
  control: boolean;
}

/** Every record of the batches in `records` (control records included), with its batch's producer and flags. */
export function decodeRecords(records: Buffer | null | undefined): FetchedRecord[] {
  const out: FetchedRecord[] = [];
  if (!records) return out;
  for (let pos = 0; pos + 61 <= records.length;) {
    const size = records.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    if (pos + size > records.length) break;
    const attributes = records.readInt16BE(pos + ATTRIBUTES);
    const producerId = Number(records.readBigInt64BE(pos + PRODUCER_ID));
    const rs: StoredRecord[] = [];
    readBatchRecords(records, pos, size, rs);
    for (const r of rs) out.push({ ...r, producerId, transactional: (attributes & TRANSACTIONAL_MASK) !== 0, control: (attributes & CONTROL_MASK) !== 0 });
    pos += size;
  }
  return out;
}

/** What a read_committed client hands to the application from one fetched partition (Kafka's consumer logic). */
export function committedValues(p: FetchResponsePartitionData): string[] {
  const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => Number(a.firstOffset - b.firstOffset));
  const abortedProducers = new Set<number>();
  const out: string[] = [];
  for (const r of decodeRecords(p.records)) {
    while (aborted.length > 0 && Number(aborted[0]!.firstOffset) <= r.offset) abortedProducers.add(Number(aborted.shift()!.producerId));
    if (r.control) {
      // The marker ends the producer's aborted transaction.
      abortedProducers.delete(r.producerId);
      continue;
    }
    if (r.transactional && abortedProducers.has(r.producerId)) continue;
    out.push(r.value!.toString());
  }
  return out;
}

export class TxnClient {
  private constructor(readonly raw: RawClient) {}

  static async open(bootstrap: string): Promise<TxnClient> {
    return new TxnClient(await RawClient.open(bootstrap));
  }

  close(): void {
    this.raw.close();
  }

  async init(id: string, options: { timeoutMs?: number; version?: number; producerId?: number; epoch?: number } = {}): Promise<{ errorCode: number; producer: TxnProducer }> {
    const r = await this.raw.request(InitProducerIdApi, options.version ?? 3, { transactionalId: id, transactionTimeoutMs: options.timeoutMs ?? 60_000, producerId: BigInt(options.producerId ?? -1), producerEpoch: options.epoch ?? -1 });
    return { errorCode: r.errorCode, producer: { id, producerId: Number(r.producerId), epoch: r.producerEpoch, seq: new Map() } };
  }

  async addPartitions(p: TxnProducer, topic: string, partitions: number[], version = 1): Promise<number[]> {
    const r = await this.raw.request(AddPartitionsToTxnApi, version, { v3AndBelowTransactionalId: p.id, v3AndBelowProducerId: BigInt(p.producerId), v3AndBelowProducerEpoch: p.epoch, v3AndBelowTopics: [{ name: topic, partitions }] });
    return r.resultsByTopicV3AndBelow![0]!.resultsByPartition.map((x) => x.partitionErrorCode);
  }

  async addOffsets(p: TxnProducer, groupId: string, version = 1): Promise<number> {
    return (await this.raw.request(AddOffsetsToTxnApi, version, { transactionalId: p.id, producerId: BigInt(p.producerId), producerEpoch: p.epoch, groupId })).errorCode;
  }

  async txnOffsetCommit(p: TxnProducer, groupId: string, topic: string, partition: number, offset: number, version = 1): Promise<number> {
    const r = await this.raw.request(TxnOffsetCommitApi, version, {
      transactionalId: p.id, groupId, producerId: BigInt(p.producerId), producerEpoch: p.epoch, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
    return r.topics[0]!.partitions[0]!.errorCode;
  }

  /** A transactional (or, with `transactional: false`, plain idempotent) batch; sequences advance on success. */
  async produce(p: TxnProducer, topic: string, partition: number, values: string[], options: { transactional?: boolean; transactionalId?: string | null; epoch?: number } = {}): Promise<{ errorCode: number; baseOffset: bigint }> {
    const key = `${topic}-${partition}`;
    const seq = p.seq.get(key) ?? 0;
    const records = encodeBatch(values.map((value) => ({ value })), { producerId: p.producerId, producerEpoch: options.epoch ?? p.epoch, baseSequence: seq, attributes: options.transactional === false ? 0 : TRANSACTIONAL_MASK });
    const r = await this.raw.request(ProduceApi, 7, { transactionalId: options.transactionalId === undefined ? p.id : options.transactionalId, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    const res = r.responses[0]!.partitionResponses[0]!;
    if (res.errorCode === 0) p.seq.set(key, seq + values.length);
    return { errorCode: res.errorCode, baseOffset: res.baseOffset };
  }

  async end(p: TxnProducer, commit: boolean, version = 1): Promise<number> {
    return (await this.raw.request(EndTxnApi, version, { transactionalId: p.id, producerId: BigInt(p.producerId), producerEpoch: p.epoch, committed: commit })).errorCode;
  }

  async fetch(topic: string, partition: number, offset: number, isolationLevel: 0 | 1): Promise<FetchResponsePartitionData> {
    const r = await this.raw.request(FetchApi, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [], rackId: '',
      topics: [{ topic, partitions: [{ partition, fetchOffset: BigInt(offset), partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    });
    return r.responses[0]!.partitions[0]!;
  }

  /** Values a read_committed (1) or read_uncommitted (0) client would hand to the application, reading from 0 to the end. */
  async values(topic: string, partition: number, isolationLevel: 0 | 1): Promise<string[]> {
    const p = await this.fetch(topic, partition, 0, isolationLevel);
    return isolationLevel === 1 ? committedValues(p) : decodeRecords(p.records).filter((r) => !r.control).map((r) => r.value!.toString());
  }

  async latest(topic: string, partition: number, isolationLevel: 0 | 1): Promise<number> {
    const r = await this.raw.request(ListOffsetsApi, 5, { replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    return Number(r.topics[0]!.partitions[0]!.offset);
  }
}
