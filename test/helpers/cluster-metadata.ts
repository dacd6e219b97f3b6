/**
 * What one broker of a test cluster says about the cluster, asked with a raw Metadata request
 * (v12) so the answer is exactly that broker's view, not a client's merged and cached one.
 */
import { MetadataApi, type MetadataResponse } from '../../src/protocol/messages/index.js';
import { RawClient } from './raw-client.js';

export interface PartitionState {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  /** Sorted. */
  isr: number[];
}

/** Runs `fn` on a fresh connection to `bootstrap`, closed afterwards. */
export async function withClient<T>(bootstrap: string, fn: (c: RawClient) => Promise<T>): Promise<T> {
  const c = await RawClient.open(bootstrap);
  try {
    return await fn(c);
  } finally {
    c.socket.destroy();
  }
}

/** Metadata of `topics` (all topics when null) as broker `bootstrap` has it; never creates a topic. */
export function metadataOf(bootstrap: string, topics: string[] | null): Promise<MetadataResponse> {
  return withClient(bootstrap, (c) => c.request<MetadataResponse>(MetadataApi, 12, {
    topics: topics === null ? null : topics.map((name) => ({ name, topicId: undefined })),
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  }));
}

/** The partitions of `topic` that broker `bootstrap` knows without error, in partition order. */
export async function partitionStates(bootstrap: string, topic: string): Promise<PartitionState[]> {
  const m = await metadataOf(bootstrap, [topic]);
  return (m.topics.find((t) => t.name === topic)?.partitions ?? [])
    .filter((p) => p.errorCode === 0)
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicaNodes], isr: [...p.isrNodes].sort((a, b) => a - b) }))
    .sort((a, b) => a.partition - b.partition);
}

/** Leader, epoch, replicas and ISR of `topic`-`partition` as broker `bootstrap` says; undefined while it has an error. */
export async function partitionState(bootstrap: string, topic: string, partition = 0): Promise<PartitionState | undefined> {
  return (await partitionStates(bootstrap, topic)).find((p) => p.partition === partition);
}
