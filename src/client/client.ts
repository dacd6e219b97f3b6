/**
 * KafkaClient: a small Kafka client on strand's own codecs, for the `strand` CLI and tools
 * (`strand perf`, tests). Metadata, admin (topics, partitions, configs), produce of raw
 * record batches, fetch of raw record sets, and ListOffsets; no consumer groups.
 *
 * @example
 * ```ts
 * const client = new KafkaClient({ bootstrap: '127.0.0.1:9092' });
 * await client.createTopics([{ name: 'orders', partitions: 3 }]);
 * const { baseOffset } = await client.produce('orders', 0, encodeBatch([{ value: 'hi' }]));
 * const { records } = await client.fetch('orders', 0, baseOffset);
 * await client.close();
 * ```
 */
import * as admin from './admin.js';
import { ClientCore } from './core.js';
import * as data from './data.js';

export class KafkaClient extends ClientCore {
  createTopics(topics: readonly admin.NewTopic[], options?: admin.AdminOptions): Promise<admin.TopicResult[]> {
    return admin.createTopics(this, topics, options);
  }

  deleteTopics(names: readonly string[], options?: admin.AdminOptions): Promise<admin.NamedResult[]> {
    return admin.deleteTopics(this, names, options);
  }

  /** Grow topics to `count` partitions each. */
  createPartitions(topics: ReadonlyArray<{ topic: string; count: number }>, options?: admin.AdminOptions): Promise<admin.NamedResult[]> {
    return admin.createPartitions(this, topics, options);
  }

  describeConfigs(resources: readonly admin.ConfigResource[]): Promise<admin.ConfigResult[]> {
    return admin.describeConfigs(this, resources);
  }

  alterConfigs(resources: Parameters<typeof admin.alterConfigs>[1], options?: admin.AdminOptions): Promise<admin.ResourceResult[]> {
    return admin.alterConfigs(this, resources, options);
  }

  incrementalAlterConfigs(resources: Parameters<typeof admin.incrementalAlterConfigs>[1], options?: admin.AdminOptions): Promise<admin.ResourceResult[]> {
    return admin.incrementalAlterConfigs(this, resources, options);
  }

  /**
   * Append one encoded record batch (or several, concatenated) to a partition, through its
   * leader. Throws KafkaResponseError when the broker refuses it.
   */
  produce(topic: string, partition: number, batch: Buffer, options?: data.ProduceOptions): Promise<data.ProduceResult> {
    return data.produce(this, topic, partition, batch, options);
  }

  /**
   * Fetch from one partition starting at `offset`. Returns the raw record set (decode it with
   * `decodeRecords`) and the high watermark. Throws KafkaResponseError for a partition error.
   */
  async fetch(topic: string, partition: number, offset: number, options?: data.FetchOptions): Promise<data.FetchResult> {
    const [result] = await data.fetchMany(this, [{ topic, partition, offset }], options);
    if (result!.error !== null) throw result!.error;
    return result!;
  }

  /** Fetch several partitions, one request per leader; partition errors are in the results. */
  fetchMany(entries: readonly data.FetchRequestEntry[], options?: data.FetchOptions): Promise<data.FetchResult[]> {
    return data.fetchMany(this, entries, options);
  }

  /** The earliest or latest offset of a partition, or the first offset at or after a timestamp. */
  listOffsets(topic: string, partition: number, spec: data.OffsetSpec): Promise<data.ListOffsetsResult> {
    return data.listOffsets(this, topic, partition, spec);
  }
}
