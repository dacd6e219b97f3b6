/**
 * `max.request.partition.size.limit`: the most partitions one request may name. Kafka bounds
 * DescribeTopicPartitions with it (KIP-966); strand applies it to every request that lists
 * partitions by topic (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords,
 * OffsetCommit, TxnOffsetCommit), so no single request can make the broker walk, and answer
 * for, an unbounded number of partitions. Counting is one pass over the topics, never over
 * records. A request above the limit closes its connection, as a frame above
 * socket.request.max.bytes does.
 */
import { StrandError } from '../../errors.js';
import { ApiKey } from '../../protocol/messages/index.js';

export class TooManyPartitionsError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_TOO_MANY_PARTITIONS');
  }
}

/** API key -> [the topics field, each topic's partitions field]. */
const LISTS: Readonly<Record<number, readonly [string, string]>> = {
  [ApiKey.Produce]: ['topicData', 'partitionData'],
  [ApiKey.Fetch]: ['topics', 'partitions'],
  [ApiKey.ListOffsets]: ['topics', 'partitions'],
  [ApiKey.OffsetForLeaderEpoch]: ['topics', 'partitions'],
  [ApiKey.DeleteRecords]: ['topics', 'partitions'],
  [ApiKey.OffsetCommit]: ['topics', 'partitions'],
  [ApiKey.TxnOffsetCommit]: ['topics', 'partitions'],
};

/** The partitions `body` names, or -1 for an API not counted. */
export function partitionsInRequest(apiKey: number, body: unknown): number {
  const fields = LISTS[apiKey];
  if (fields === undefined) return -1;
  const topics = (body as Record<string, unknown>)[fields[0]] as ReadonlyArray<Record<string, unknown>> | undefined;
  let n = 0;
  for (const t of topics ?? []) n += (t[fields[1]] as unknown[] | undefined)?.length ?? 0;
  return n;
}

/** Throws TooManyPartitionsError when `body` names more than `limit` partitions. */
export function checkRequestPartitions(apiKey: number, apiName: string, body: unknown, limit: number): void {
  const n = partitionsInRequest(apiKey, body);
  if (n > limit) throw new TooManyPartitionsError(`${apiName} request names ${n} partitions, above max.request.partition.size.limit=${limit}`);
}
