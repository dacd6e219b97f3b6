/**
 * `strand top --bootstrap-server`: a cluster's figures read over the Kafka protocol alone, as
 * Kafka's own tools read them, so it works against any Kafka broker and needs no admin HTTP
 * listener: DescribeCluster (brokers, controller; Metadata's when the broker has no
 * DescribeCluster), Metadata (topics, partitions, under-replicated and offline ones),
 * ListOffsets latest at each leader (log end offsets; two samples make the message rate),
 * DescribeLogDirs at each broker (partition sizes; the leader's growth is the byte rate), and
 * ListGroups with OffsetFetch at each group's coordinator (committed offsets: the lag, and the
 * rate a group consumes). What a request is refused (an ACL, an old broker) is named in the frame.
 */
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { fetchOffsets, listGroups } from '../../client/groups.js';
import { DescribeClusterApi, DescribeLogDirsApi, ListOffsetsApi } from '../../protocol/messages/index.js';

export interface TopicSample {
  name: string;
  internal: boolean;
  partitions: number;
  underReplicated: number;
  offline: number;
}

export interface Committed {
  group: string;
  state: string;
  topic: string;
  partition: number;
  offset: number;
}

export interface KafkaSample {
  at: number;
  clusterId: string | null;
  controller: number;
  brokers: number[];
  topics: TopicSample[];
  /** Log end offset by `topic\0partition`. */
  end: Map<string, number>;
  /** The leader replica's size in bytes by `topic\0partition`. */
  size: Map<string, number>;
  groups: Array<{ group: string; state: string }>;
  committed: Committed[];
  /** What could not be read, e.g. "DescribeLogDirs at broker 2: CLUSTER_AUTHORIZATION_FAILED". */
  problems: string[];
}

export const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

const why = (err: unknown) => (err instanceof KafkaResponseError ? err.message : (err as Error).message);

export async function sampleKafka(client: KafkaClient): Promise<KafkaSample> {
  const problems: string[] = [];
  const md = await client.metadata(null);
  let clusterId = md.clusterId;
  let controller = md.controllerId;
  let brokers = md.brokers.map((b) => b.nodeId);
  try {
    const dc = await client.request(DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    KafkaResponseError.check(dc.errorCode, { api: 'DescribeCluster' });
    clusterId = dc.clusterId;
    controller = dc.controllerId;
    brokers = dc.brokers.map((b) => b.brokerId);
  } catch (err) {
    // Brokers before Kafka 2.8 have no DescribeCluster; Metadata said the same.
    if (!(err instanceof Error && /UNSUPPORTED_VERSION|not support/i.test(err.message))) problems.push(`DescribeCluster: ${why(err)}`);
  }
  brokers.sort((a, b) => a - b);

  const topics: TopicSample[] = [];
  const byLeader = new Map<number, Map<string, number[]>>();
  for (const t of md.topics) {
    if (t.error !== null) {
      problems.push(`Metadata ${t.name}: ${t.error.message}`);
      continue;
    }
    topics.push({
      name: t.name,
      internal: t.internal,
      partitions: t.partitions.length,
      underReplicated: t.partitions.filter((p) => p.isr.length < p.replicas.length).length,
      offline: t.partitions.filter((p) => p.leader < 0).length,
    });
    for (const p of t.partitions) {
      if (p.leader < 0) continue;
      const mine = byLeader.get(p.leader) ?? new Map<string, number[]>();
      byLeader.set(p.leader, mine);
      mine.set(t.name, [...(mine.get(t.name) ?? []), p.partition]);
    }
  }
  topics.sort((a, b) => a.name.localeCompare(b.name));

  const end = new Map<string, number>();
  const size = new Map<string, number>();
  await Promise.all([...byLeader].map(async ([leader, wanted]) => {
    try {
      const res = await client.request(ListOffsetsApi, {
        replicaId: -1, isolationLevel: 0,
        topics: [...wanted].map(([name, partitions]) => ({ name, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })),
      }, { nodeId: leader });
      for (const t of res.topics) for (const p of t.partitions) if (p.errorCode === 0) end.set(key(t.name, p.partitionIndex), Number(p.offset));
    } catch (err) {
      problems.push(`ListOffsets at broker ${leader}: ${why(err)}`);
    }
    try {
      const res = await client.request(DescribeLogDirsApi, { topics: [...wanted].map(([topic, partitions]) => ({ topic, partitions })) }, { nodeId: leader });
      KafkaResponseError.check(res.errorCode ?? 0, { api: 'DescribeLogDirs', resource: `broker ${leader}` });
      for (const dir of res.results) for (const t of dir.errorCode === 0 ? dir.topics : []) for (const p of t.partitions) if (!p.isFutureKey) size.set(key(t.name, p.partitionIndex), Number(p.partitionSize));
    } catch (err) {
      problems.push(`DescribeLogDirs at broker ${leader}: ${why(err)}`);
    }
  }));

  const groups: Array<{ group: string; state: string }> = [];
  const committed: Committed[] = [];
  try {
    for (const g of await listGroups(client)) groups.push({ group: g.groupId, state: g.state });
  } catch (err) {
    problems.push(`ListGroups: ${why(err)}`);
  }
  for (const g of groups) {
    try {
      for (const c of await fetchOffsets(client, g.group)) {
        if (c.error === null && c.offset >= 0) committed.push({ group: g.group, state: g.state, topic: c.topic, partition: c.partition, offset: c.offset });
      }
    } catch (err) {
      problems.push(`OffsetFetch ${g.group}: ${why(err)}`);
    }
  }
  return { at: Date.now(), clusterId, controller, brokers, topics, end, size, groups, committed, problems };
}
