/**
 * Produce, Fetch and ListOffsets, routed to each partition's leader. Record data stays raw: a
 * produce sends the caller's encoded batch bytes, a fetch returns the broker's record-set bytes
 * (decode them with `decodeRecords` from ./records.js).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { FetchApi, ListOffsetsApi, ProduceApi } from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/reader.js';
import type { ClientCore } from './core.js';
import { KafkaResponseError } from './errors.js';

export type Acks = -1 | 0 | 1;

export interface ProduceOptions {
  /** -1 (all in-sync replicas, the default), 1 (leader) or 0 (no answer). */
  acks?: Acks;
  /** How long the broker may wait for acks. Default 30 s. */
  timeoutMs?: number;
}

export interface ProduceResult {
  /** Offset of the first record; -1 with acks=0. */
  baseOffset: number;
  /** Broker append time with LogAppendTime topics, else -1. */
  logAppendTime: number;
  logStartOffset: number;
}

export interface FetchOptions {
  /** Upper bound on the response's record bytes (per partition and per request). Default 1 MiB. */
  maxBytes?: number;
  /** Long-poll: how long the broker may wait for `minBytes`. Default 500 ms. */
  maxWaitMs?: number;
  /** Default 1. */
  minBytes?: number;
  /** 0 READ_UNCOMMITTED (default), 1 READ_COMMITTED. */
  isolationLevel?: 0 | 1;
}

export interface FetchRequestEntry {
  topic: string;
  partition: number;
  offset: number;
}

export interface FetchResult {
  topic: string;
  partition: number;
  /** The record set as the broker sent it: zero or more batches, the last possibly partial. */
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  error: KafkaResponseError | null;
}

/** `earliest` (-2), `latest` (-1), or a timestamp in ms: the first offset whose timestamp is at or after it. */
export type OffsetSpec = 'earliest' | 'latest' | number;

export interface ListOffsetsResult {
  /** -1 when a timestamp lies after every record. */
  offset: number;
  timestamp: number;
}

const EMPTY = Buffer.alloc(0);

function notInResponse(api: string, topic: string, partition: number): KafkaResponseError {
  return new KafkaResponseError(ErrorCode.UNKNOWN_SERVER_ERROR, { api, topic, partition }, 'the response does not mention this partition');
}

export async function produce(core: ClientCore, topic: string, partition: number, batch: Buffer, options: ProduceOptions = {}): Promise<ProduceResult> {
  const acks = options.acks ?? -1;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return core.retrying(false, async () => {
    const conn = await core.connectionTo(await core.leaderOf(topic, partition));
    const body = { acks, timeoutMs, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] };
    if (acks === 0) {
      await conn.sendNoResponse(ProduceApi, body);
      return { baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
    }
    const res = await conn.send(ProduceApi, body, { timeoutMs: timeoutMs + 5000 });
    const p = res.responses.find((t) => t.name === topic)?.partitionResponses.find((x) => x.index === partition);
    if (p === undefined) throw notInResponse('Produce', topic, partition);
    KafkaResponseError.check(p.errorCode, { api: 'Produce', topic, partition }, p.errorMessage);
    return { baseOffset: Number(p.baseOffset), logAppendTime: Number(p.logAppendTimeMs), logStartOffset: Number(p.logStartOffset) };
  });
}

/**
 * Fetch several partitions at once: one Fetch request per leader. Partition errors are returned
 * in the results (in the order of `entries`), not thrown.
 */
export async function fetchMany(core: ClientCore, entries: readonly FetchRequestEntry[], options: FetchOptions = {}): Promise<FetchResult[]> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const maxWaitMs = options.maxWaitMs ?? 500;
  const byLeader = new Map<number, FetchRequestEntry[]>();
  for (const e of entries) {
    const leader = await core.leaderOf(e.topic, e.partition);
    let list = byLeader.get(leader);
    if (list === undefined) byLeader.set(leader, (list = []));
    list.push(e);
  }
  const results = new Map<string, FetchResult>();
  await Promise.all([...byLeader].map(([leader, list]) => core.retrying(true, async () => {
    const conn = await core.connectionTo(leader);
    let version = conn.versionOf(FetchApi);
    const ids = new Map<string, string>();
    for (const e of list) ids.set(e.topic, core.cachedTopic(e.topic)?.topicId ?? ZERO_UUID);
    // v13+ names topics by id only; without ids, stay at v12.
    if (version >= 13 && [...ids.values()].some((id) => id === ZERO_UUID)) version = 12;
    const names = new Map([...ids].map(([name, id]) => [id, name]));
    const topics = [...ids.keys()].map((topic) => ({
      topic,
      topicId: ids.get(topic)!,
      partitions: list.filter((e) => e.topic === topic).map((e) => ({ partition: e.partition, fetchOffset: BigInt(e.offset), partitionMaxBytes: maxBytes })),
    }));
    const res = await conn.send(FetchApi, {
      maxWaitMs, minBytes: options.minBytes ?? 1, maxBytes, isolationLevel: options.isolationLevel ?? 0, topics,
    }, { version, timeoutMs: core.requestTimeoutMs + maxWaitMs });
    KafkaResponseError.check(res.errorCode, { api: 'Fetch' });
    for (const t of res.responses) {
      const topic = version >= 13 ? names.get(t.topicId) ?? t.topicId : t.topic;
      for (const p of t.partitions) {
        results.set(`${topic}\0${p.partitionIndex}`, {
          topic,
          partition: p.partitionIndex,
          records: p.records ?? EMPTY,
          highWatermark: Number(p.highWatermark),
          lastStableOffset: Number(p.lastStableOffset),
          logStartOffset: Number(p.logStartOffset),
          error: KafkaResponseError.of(p.errorCode, { api: 'Fetch', topic, partition: p.partitionIndex }),
        });
      }
    }
  })));
  return entries.map((e) => results.get(`${e.topic}\0${e.partition}`) ?? {
    topic: e.topic, partition: e.partition, records: EMPTY, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1,
    error: notInResponse('Fetch', e.topic, e.partition),
  });
}

export async function listOffsets(core: ClientCore, topic: string, partition: number, spec: OffsetSpec): Promise<ListOffsetsResult> {
  const timestamp = spec === 'earliest' ? -2n : spec === 'latest' ? -1n : BigInt(spec);
  return core.retrying(true, async () => {
    const conn = await core.connectionTo(await core.leaderOf(topic, partition));
    const res = await conn.send(ListOffsetsApi, {
      replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }],
    });
    const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
    if (p === undefined) throw notInResponse('ListOffsets', topic, partition);
    KafkaResponseError.check(p.errorCode, { api: 'ListOffsets', topic, partition });
    return { offset: Number(p.offset), timestamp: Number(p.timestamp) };
  });
}
