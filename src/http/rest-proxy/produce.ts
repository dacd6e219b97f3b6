/**
 * Producing a request's records: each one's partition (the one asked for, else Kafka's default
 * partitioner: murmur2 of the key, round robin without one), one batch per partition sent with
 * acks=all, and the offsets answered in the order of the request, as Confluent's ProduceResponse.
 */
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { partitionForKey } from '../../client/partitioner.js';
import { encodeBatch } from '../../format/record-batch.js';
import type { RecordInput } from '../../format/record.js';

export interface OutgoingRecord {
  partition: number | null;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Array<{ key: string; value: Buffer | null }>;
  timestamp?: number;
}

export interface ProducedOffset {
  partition: number | null;
  offset: number | null;
  error_code: number | null;
  error: string | null;
}

let roundRobin = 0;

export async function produceRecords(client: KafkaClient, topic: string, partitionCount: number, records: readonly OutgoingRecord[]): Promise<ProducedOffset[]> {
  const byPartition = new Map<number, number[]>();
  const chosen = records.map((r) => r.partition ?? (r.key !== null ? partitionForKey(r.key, partitionCount) : roundRobin++ % partitionCount));
  chosen.forEach((p, i) => byPartition.set(p, [...(byPartition.get(p) ?? []), i]));
  const out: ProducedOffset[] = records.map(() => ({ partition: null, offset: null, error_code: null, error: null }));
  await Promise.all([...byPartition].map(async ([partition, indexes]) => {
    const batch = encodeBatch(indexes.map((i): RecordInput => {
      const r = records[i]!;
      return { key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}), ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}) };
    }));
    try {
      const { baseOffset } = await client.produce(topic, partition, batch, { acks: -1 });
      indexes.forEach((i, n) => {
        out[i] = { partition, offset: baseOffset + n, error_code: null, error: null };
      });
    } catch (err) {
      // Confluent answers a failed record with error_code 1 (retriable) or 2 and the exception's message.
      const retriable = err instanceof KafkaResponseError && err.retriable;
      for (const i of indexes) out[i] = { partition, offset: null, error_code: retriable ? 1 : 2, error: (err as Error).message };
    }
  }));
  return out;
}
