/**
 * The control plane of `strand perf`, through the project's client (standard Kafka APIs only, so
 * it works against any Kafka broker): find or create the topic, learn each partition's leader and
 * the API versions that leader speaks, and the partitions' offsets. The data plane (./wire.ts)
 * then opens its own sockets to those leaders.
 */
import { KafkaClient } from '../client/client.js';
import { KafkaResponseError } from '../client/errors.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ApiKey } from '../protocol/messages/index.js';
import { PerfError } from './wire.js';

export interface TargetOptions {
  bootstrap: string;
  topic: string;
  /** Partitions to create the topic with when it does not exist (broker default when omitted). */
  partitions?: number;
  /** Replication factor for a created topic (broker default when omitted). */
  replicationFactor?: number;
  /** Topic configs for a created topic (`flush.messages`, `retention.ms`, ...). */
  topicConfigs?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  /** Create the topic when it is missing (default true). */
  create?: boolean;
}

export interface LeaderTarget {
  nodeId: number;
  host: string;
  port: number;
  /** Partition indexes this broker leads. */
  partitions: number[];
  /** Negotiated versions of the APIs the data plane sends. */
  produceVersion: number;
  fetchVersion: number;
}

export interface Target {
  client: KafkaClient;
  topic: string;
  topicId: string;
  partitions: number[];
  leaders: LeaderTarget[];
  /** Whether this run created the topic. */
  created: boolean;
}

/** Connect, make sure the topic exists (creating it if asked), and map its partitions to leaders. */
export async function openTarget(options: TargetOptions): Promise<Target> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = new KafkaClient({ bootstrap: options.bootstrap, clientId: 'strand-perf', connectTimeoutMs: Math.min(timeoutMs, 10_000), requestTimeoutMs: timeoutMs, allowAutoTopicCreation: false });
  try {
    await client.connect();
    let created = false;
    let info = (await client.metadata([options.topic])).topics.find((t) => t.name === options.topic);
    if (info === undefined || info.error?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      if (options.create === false) throw new PerfError(`topic ${options.topic} does not exist`);
      const [res] = await client.createTopics([{ name: options.topic, partitions: options.partitions, replicationFactor: options.replicationFactor, configs: options.topicConfigs }], { timeoutMs });
      if (res?.error && res.error.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw res.error;
      created = res?.error === null;
    } else if (info.error !== null) throw info.error;
    // Wait until every partition has a leader (a new topic may take a moment on a real cluster).
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      info = (await client.metadata([options.topic])).topics.find((t) => t.name === options.topic);
      const ready = info !== undefined && info.error === null && info.partitions.length > 0 && info.partitions.every((p) => p.leader >= 0);
      if (ready) break;
      if (Date.now() > deadline) {
        throw info?.error ?? new KafkaResponseError(ErrorCode.LEADER_NOT_AVAILABLE, { api: 'Metadata', topic: options.topic }, 'partitions have no leader yet');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const md = await client.metadata([]);
    const byNode = new Map<number, number[]>();
    for (const p of info!.partitions) {
      let list = byNode.get(p.leader);
      if (list === undefined) byNode.set(p.leader, (list = []));
      list.push(p.partition);
    }
    const leaders: LeaderTarget[] = [];
    for (const [nodeId, partitions] of byNode) {
      const broker = md.brokers.find((b) => b.nodeId === nodeId);
      if (broker === undefined) throw new PerfError(`the leader of ${options.topic} partitions ${partitions.join(',')} (node ${nodeId}) is not in the metadata`);
      const conn = await client.connectionTo(nodeId);
      const produceVersion = conn.versions.get(ApiKey.Produce);
      const fetchVersion = conn.versions.get(ApiKey.Fetch);
      if (produceVersion === undefined || fetchVersion === undefined) throw new PerfError(`broker ${nodeId} at ${broker.host}:${broker.port} does not speak Produce v3+ and Fetch v4+ (record batches v2)`);
      leaders.push({ nodeId, host: broker.host, port: broker.port, partitions, produceVersion, fetchVersion });
    }
    return { client, topic: options.topic, topicId: info!.topicId, partitions: info!.partitions.map((p) => p.partition), leaders, created };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** Earliest and latest offsets of each partition. */
export async function partitionOffsets(target: Target): Promise<Map<number, { start: number; end: number }>> {
  const out = new Map<number, { start: number; end: number }>();
  await Promise.all(target.partitions.map(async (p) => {
    const [start, end] = await Promise.all([target.client.listOffsets(target.topic, p, 'earliest'), target.client.listOffsets(target.topic, p, 'latest')]);
    out.set(p, { start: start.offset, end: end.offset });
  }));
  return out;
}
