/**
 * ConsumerGroupHeartbeat and friends over a raw connection, for tests of the KIP-848 state
 * machine with exact epochs and assignments.
 */
import { ConsumerGroupDescribeApi, ListGroupsApi, MetadataApi, OffsetCommitApi, OffsetFetchApi } from '../../../src/protocol/messages/index.js';
import type { ConsumerGroupHeartbeatResponse } from '../../../src/protocol/messages/consumer-group-heartbeat.js';
import { ConsumerGroupHeartbeatV1Api, type ConsumerGroupHeartbeatRequestV1 } from '../../../src/broker/handlers/groups/consumer-group-heartbeat.js';
import { RawClient } from '../../helpers/raw-client.js';

export const E = {
  NONE: 0,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  UNKNOWN_MEMBER_ID: 25,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
  GROUP_ID_NOT_FOUND: 69,
  FENCED_INSTANCE_ID: 82,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
} as const;

export type Heartbeat = Partial<ConsumerGroupHeartbeatRequestV1> & { groupId: string; memberId: string; memberEpoch: number };

/** A join (epoch 0) with the fields Kafka requires in a first request. */
export const joinRequest = (groupId: string, memberId: string, topics: string[], extra: Partial<ConsumerGroupHeartbeatRequestV1> = {}): Heartbeat => ({
  groupId, memberId, memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: topics, topicPartitions: [], ...extra,
});

export async function heartbeat(c: RawClient, req: Heartbeat, version = 1): Promise<ConsumerGroupHeartbeatResponse> {
  return c.request(ConsumerGroupHeartbeatV1Api, version, { instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null, ...req });
}

/** The assignment of a response as `{ topicName: partitions }` (null when the response has none). */
export function named(res: ConsumerGroupHeartbeatResponse, names: Map<string, string>): Record<string, number[]> | null {
  if (res.assignment == null) return null;
  return Object.fromEntries(res.assignment.topicPartitions.map((tp) => [names.get(tp.topicId) ?? tp.topicId, tp.partitions]));
}

export async function topicIds(c: RawClient, topics: string[]): Promise<Map<string, string>> {
  const res = await c.request(MetadataApi, 12, { topics: topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return new Map(res.topics.map((t) => [t.name!, t.topicId!]));
}

/** ConsumerGroupDescribe reduced to what the tests compare: epochs, state, per member epoch, assignment and target by topic name. */
export async function describe(c: RawClient, groupId: string) {
  const res = await c.request(ConsumerGroupDescribeApi, 0, { groupIds: [groupId], includeAuthorizedOperations: false });
  const g = res.groups[0]!;
  const asObj = (a: { topicPartitions: Array<{ topicName: string; partitions: number[] }> }) => Object.fromEntries(a.topicPartitions.map((tp) => [tp.topicName, tp.partitions]));
  return {
    errorCode: g.errorCode,
    state: g.groupState,
    groupEpoch: g.groupEpoch,
    assignmentEpoch: g.assignmentEpoch,
    assignor: g.assignorName,
    members: Object.fromEntries([...g.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1)).map((m) => [m.memberId, { epoch: m.memberEpoch, assigned: asObj(m.assignment), target: asObj(m.targetAssignment), instanceId: m.instanceId ?? null }])),
  };
}

export async function commit(c: RawClient, groupId: string, memberId: string, epoch: number, topic: string, partition: number, offset: bigint, version = 9): Promise<number> {
  const res = await c.request(OffsetCommitApi, version, {
    groupId, generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

/** OffsetFetch v9 for one partition: the group's error code and the offset. */
export async function fetchOffset(c: RawClient, groupId: string, memberId: string | null, epoch: number, topic: string, partition: number): Promise<{ errorCode: number; offset: bigint | null }> {
  const res = await c.request(OffsetFetchApi, 9, { requireStable: false, groups: [{ groupId, memberId, memberEpoch: epoch, topics: [{ name: topic, partitionIndexes: [partition] }] }] });
  const g = res.groups[0]!;
  return { errorCode: g.errorCode, offset: g.topics[0]?.partitions[0]?.committedOffset ?? null };
}

export async function listGroups(c: RawClient, types: string[] = []) {
  const res = await c.request(ListGroupsApi, 5, { statesFilter: [], typesFilter: types });
  return res.groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState, groupType: g.groupType })).sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
}

export { RawClient };
