/**
 * Which broker coordinates a transactional id: in a cluster, the leader of the id's
 * `__transaction_state` partition (Kafka's rule), which loads that partition's transactions when it
 * becomes leader and drops them when it stops; a single broker coordinates every id.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { partitionForKey } from '../../java-hash.js';
import { TRANSACTION_STATE_TOPIC } from './state-topic.js';

export interface TxnPlacement {
  /** -1 when the topic does not exist yet. */
  partition: number;
  /** The coordinating broker, -1 when the partition has no leader (or the topic does not exist yet). */
  leader: number;
}

/** Where transactional id `transactionalId` lives in a cluster; null on a single broker. */
export function placeTransactionalId(core: BrokerCore, transactionalId: string): TxnPlacement | null {
  if (!core.replication.clustered) return null;
  const topic = core.topics.get(TRANSACTION_STATE_TOPIC);
  if (topic === undefined) return { partition: -1, leader: -1 };
  const partition = partitionForKey(transactionalId, topic.partitions);
  return { partition, leader: core.replication.view(TRANSACTION_STATE_TOPIC, partition)?.leader ?? -1 };
}

/**
 * 0 when this broker may serve `transactionalId` now; else Kafka's answer: NOT_COORDINATOR
 * (another broker coordinates it: clients look it up again), COORDINATOR_LOAD_IN_PROGRESS (this
 * broker has just become its coordinator and is loading it), COORDINATOR_NOT_AVAILABLE (no
 * leader, or no topic, yet).
 */
export function txnCoordinationError(core: BrokerCore, transactionalId: string, loading: ReadonlySet<number>): number {
  const place = placeTransactionalId(core, transactionalId);
  if (place === null) return ErrorCode.NONE;
  if (place.leader < 0) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (place.leader !== core.nodeId || core.replication.leaderCheck(TRANSACTION_STATE_TOPIC, place.partition, -1) !== ErrorCode.NONE) return ErrorCode.NOT_COORDINATOR;
  return loading.has(place.partition) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
}
