/**
 * Which broker coordinates a key of a coordinator topic (a group id in `__consumer_offsets`, a
 * transactional id in `__transaction_state`): in a cluster, the leader of the key's partition,
 * `Utils.abs(key.hashCode) % partitions` (Kafka's rule), which loads that partition's state when
 * it becomes leader and drops it when it stops; a single broker coordinates every key.
 */
import { partitionForKey } from '../java-hash.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerCore } from './context.js';

export interface CoordinatorPlacement {
  /** -1 when the topic does not exist yet. */
  partition: number;
  /** The coordinating broker, -1 when the partition has no leader (or the topic does not exist yet). */
  leader: number;
}

/** Where `key` of coordinator topic `topic` lives in a cluster; null on a single broker. */
export function placeKey(core: BrokerCore, topic: string, key: string): CoordinatorPlacement | null {
  if (!core.replication.clustered) return null;
  const t = core.topics.get(topic);
  if (t === undefined) return { partition: -1, leader: -1 };
  const partition = partitionForKey(key, t.partitions);
  return { partition, leader: core.replication.view(topic, partition)?.leader ?? -1 };
}

/**
 * 0 when this broker may serve `key` of `topic` now; else Kafka's answer: NOT_COORDINATOR
 * (another broker coordinates it: clients look it up again), COORDINATOR_LOAD_IN_PROGRESS (this
 * broker has just become its coordinator and is loading `loading`'s partitions),
 * COORDINATOR_NOT_AVAILABLE (no leader, or no topic, yet).
 */
export function coordinationErrorFor(core: BrokerCore, topic: string, key: string, loading: ReadonlySet<number>): number {
  const place = placeKey(core, topic, key);
  if (place === null) return ErrorCode.NONE;
  if (place.leader < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (place.leader !== core.nodeId || core.replication.leaderCheck(topic, place.partition, -1) !== ErrorCode.NONE) return ErrorCode.NOT_COORDINATOR;
  return loading.has(place.partition) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
}
