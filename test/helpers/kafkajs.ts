/**
 * kafkajs as a real client in-process. kafkajs only consumes through consumer groups, so for
 * reading a partition directly (manual assignment) this reaches its own Cluster and Broker
 * objects and issues a Fetch with its own encoder and decoder.
 */
import { type ITopicConfig, Kafka, logLevel } from 'kafkajs';

export function kafkajs(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'strand-test', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 3, initialRetryTime: 50 } });
}

/** Create `topics` through a kafkajs admin client of its own (connect, create, disconnect). */
export async function createTopics(bootstrap: string, topics: ITopicConfig[]): Promise<void> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[] | undefined>;
  timestamp: string;
}

/**
 * Every message of a partition from `from` to the end, fetched and decoded by kafkajs: read
 * committed (isolation level 1) by default, up to the last stable offset; `isolationLevel: 0`
 * reads uncommitted, up to the high watermark. Control records (transaction markers) are
 * included: filtering them is kafkajs's consumer's job, not its fetch decoder's.
 */
export async function fetchAll(kafka: Kafka, topic: string, partition: number, from = 0, options: { isolationLevel?: 0 | 1 } = {}): Promise<FetchedMessage[]> {
  const isolationLevel = options.isolationLevel ?? 1;
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')!;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cluster = (kafka as any)[sym]({ allowAutoTopicCreation: false });
  await cluster.connect();
  try {
    await cluster.addTargetTopic(topic);
    await cluster.refreshMetadata();
    const leaders = cluster.findLeaderForPartitions(topic, [partition]);
    const nodeId = Object.keys(leaders)[0]!;
    const broker = await cluster.findBroker({ nodeId });
    const out: FetchedMessage[] = [];
    let offset = from;
    for (let i = 0; i < 10_000; i++) {
      const res = await broker.fetch({ maxWaitTime: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel, topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: 1 << 20 }] }] });
      const p = res.responses[0].partitions[0];
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode}`);
      const messages = (p.messages as FetchedMessage[]).filter((m) => Number(m.offset) >= offset);
      out.push(...messages);
      if (messages.length > 0) offset = Number(messages[messages.length - 1]!.offset) + 1;
      if (offset >= Number(isolationLevel === 1 ? p.lastStableOffset : p.highWatermark)) break;
    }
    return out;
  } finally {
    await cluster.disconnect();
  }
}
