/**
 * Committed offsets: what OffsetCommit may write (Kafka's member and generation checks), the
 * answers of OffsetFetch, and which offsets have expired (`offsets.retention.minutes`, with
 * Kafka's rules for when the clock starts).
 */
import { StrandError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { type ClassicGroup, type CommittedOffset, CONSUMER_PROTOCOL_TYPE } from './group.js';

export interface CommitPartitionInput {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  /** OffsetCommit v1 only; -1 means "now". */
  commitTimestamp: bigint;
  committedMetadata: string | null;
}

export interface CommitInput {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  /** OffsetCommit v2-v4; -1 means the broker's offsets.retention.minutes. */
  retentionTimeMs: bigint;
  /** The OffsetCommit version (members of consumer-protocol groups must use v9+); undefined when not from a request. */
  apiVersion?: number;
  topics: Array<{ name: string; partitions: CommitPartitionInput[] }>;
}

export type CommitResult = Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface FetchResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedOffset[] }>;
}

/** Kafka's mapping of a failed offset commit write to the partition's error. */
export function offsetStoreError(err: unknown): number {
  const code = err instanceof StrandError ? (err.kafkaCode as number) : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

/** No committed offset: offset -1, empty metadata, no error (as Kafka answers). */
export function noOffset(partitionIndex: number, errorCode: number = ErrorCode.NONE): FetchedOffset {
  return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode };
}

export function fetched(partitionIndex: number, o: CommittedOffset | undefined): FetchedOffset {
  if (o === undefined) return noOffset(partitionIndex);
  return { partitionIndex, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, metadata: o.metadata, errorCode: ErrorCode.NONE };
}

/**
 * Offsets of `group` that have expired at `now` (Kafka's GroupMetadata.removeExpiredOffsets):
 * - an Empty group with a protocol: all offsets, `retentionMs` after the group became Empty
 *   (or after the commit when that time is unknown);
 * - a Stable consumer group: offsets of topics nobody subscribes to, `retentionMs` after
 *   their commit;
 * - a group that only stores offsets (no protocol): each `retentionMs` after its commit;
 * - other groups keep their offsets.
 * A commit that carried its own retention time (OffsetCommit v2-v4) expires at that time.
 */
export function expiredOffsets(group: ClassicGroup, now: number, retentionMs: number): Array<{ topic: string; partition: number }> {
  let base: (o: CommittedOffset) => number;
  let subscribed: Set<string> | null = null;
  if (group.protocolType !== null && group.is('Empty')) {
    base = (o) => (group.stateTimestamp >= 0 ? group.stateTimestamp : o.commitTimestamp);
  } else if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.is('Stable') && (subscribed = group.subscribedTopics()) !== null) {
    base = (o) => o.commitTimestamp;
  } else if (group.protocolType === null) {
    base = (o) => o.commitTimestamp;
  } else {
    return [];
  }
  const out: Array<{ topic: string; partition: number }> = [];
  for (const { topic, partition, value } of group.allOffsets()) {
    if (subscribed?.has(topic)) continue;
    const expired = value.expireTimestamp !== null ? now >= value.expireTimestamp : now - base(value) >= retentionMs;
    if (expired) out.push({ topic, partition });
  }
  return out;
}
