/**
 * The records a consumer group change writes to `__consumer_offsets` (Kafka's
 * GroupCoordinatorRecordHelpers for consumer groups), and rebuilding groups from them on load.
 * Replay is last-value-wins per key, tombstones delete, exactly as Kafka's
 * GroupMetadataManager.replay does for these record types.
 */
import type { RecordInput } from '../../../format/record.js';
import type { OffsetCommitValue } from '../records.js';
import type { Assignment } from './assignment.js';
import { ConsumerGroup, ConsumerMember, type MemberState } from './group.js';
import {
  type ConsumerRecordKey,
  ConsumerKeyVersion,
  type CurrentAssignmentValue,
  type MemberMetadataValue,
  type TopicMetadataValue,
  decodeCurrentAssignmentValue,
  decodeEpochValue,
  decodeMemberMetadataValue,
  decodePartitionMetadataValue,
  decodeTargetMemberValue,
  encodeConsumerKey,
  encodeCurrentAssignmentValue,
  encodeEpochValue,
  encodeMemberMetadataValue,
  encodePartitionMetadataValue,
  encodeTargetMemberValue,
} from './records.js';

const rec = (key: Buffer, value: Buffer | null, now: number): RecordInput => ({ key, value, timestamp: now });

export const epochRecord = (g: ConsumerGroup, now: number) => rec(encodeConsumerKey(ConsumerKeyVersion.GroupMetadata, g.groupId), encodeEpochValue(g.groupEpoch), now);

export const subscriptionMetadataRecord = (g: ConsumerGroup, now: number) =>
  rec(
    encodeConsumerKey(ConsumerKeyVersion.PartitionMetadata, g.groupId),
    encodePartitionMetadataValue([...g.subscriptionMetadata].map(([topicId, t]) => ({ topicId, topicName: t.name, numPartitions: t.numPartitions }))),
    now,
  );

export const memberRecord = (g: ConsumerGroup, m: ConsumerMember, now: number) =>
  rec(
    encodeConsumerKey(ConsumerKeyVersion.MemberMetadata, g.groupId, m.memberId),
    encodeMemberMetadataValue({
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: m.serverAssignor,
      classic: m.classic,
    }),
    now,
  );

export const targetEpochRecord = (g: ConsumerGroup, now: number) => rec(encodeConsumerKey(ConsumerKeyVersion.TargetAssignmentMetadata, g.groupId), encodeEpochValue(g.assignmentEpoch), now);

export const targetMemberRecord = (g: ConsumerGroup, memberId: string, a: Assignment, now: number) => rec(encodeConsumerKey(ConsumerKeyVersion.TargetAssignmentMember, g.groupId, memberId), encodeTargetMemberValue(a), now);

export const currentAssignmentRecord = (g: ConsumerGroup, m: ConsumerMember, now: number) =>
  rec(
    encodeConsumerKey(ConsumerKeyVersion.CurrentMemberAssignment, g.groupId, m.memberId),
    encodeCurrentAssignmentValue({ memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state, assigned: m.assigned, pendingRevocation: m.pendingRevocation }),
    now,
  );

/** A member leaves: its current assignment, target and metadata go (Kafka writes them in this order). */
export function memberTombstones(g: ConsumerGroup, memberId: string, now: number): RecordInput[] {
  return [
    rec(encodeConsumerKey(ConsumerKeyVersion.CurrentMemberAssignment, g.groupId, memberId), null, now),
    rec(encodeConsumerKey(ConsumerKeyVersion.TargetAssignmentMember, g.groupId, memberId), null, now),
    rec(encodeConsumerKey(ConsumerKeyVersion.MemberMetadata, g.groupId, memberId), null, now),
  ];
}

/** The group goes (deleted, or downgraded to a classic group). */
export function groupTombstones(groupId: string, now: number): RecordInput[] {
  return [
    rec(encodeConsumerKey(ConsumerKeyVersion.TargetAssignmentMetadata, groupId), null, now),
    rec(encodeConsumerKey(ConsumerKeyVersion.PartitionMetadata, groupId), null, now),
    rec(encodeConsumerKey(ConsumerKeyVersion.GroupMetadata, groupId), null, now),
  ];
}

/**
 * The whole group goes with its members, as Kafka's ConsumerGroup.createGroupTombstoneRecords
 * orders them: current assignments, targets, the target epoch, members, the subscription
 * metadata, the group epoch (when it is converted to a classic group).
 */
export function groupTombstonesWithMembers(g: ConsumerGroup, now: number): RecordInput[] {
  const ids = [...g.members.keys()];
  return [
    ...ids.map((id) => rec(encodeConsumerKey(ConsumerKeyVersion.CurrentMemberAssignment, g.groupId, id), null, now)),
    ...ids.map((id) => rec(encodeConsumerKey(ConsumerKeyVersion.TargetAssignmentMember, g.groupId, id), null, now)),
    rec(encodeConsumerKey(ConsumerKeyVersion.TargetAssignmentMetadata, g.groupId), null, now),
    ...ids.map((id) => rec(encodeConsumerKey(ConsumerKeyVersion.MemberMetadata, g.groupId, id), null, now)),
    rec(encodeConsumerKey(ConsumerKeyVersion.PartitionMetadata, g.groupId), null, now),
    rec(encodeConsumerKey(ConsumerKeyVersion.GroupMetadata, g.groupId), null, now),
  ];
}

/** A consumer group as the log describes it after replay. */
export interface LoadedConsumerGroup {
  /** Null when the group record is absent or deleted. */
  groupEpoch: number | null;
  assignmentEpoch: number;
  topics: TopicMetadataValue[];
  members: Map<string, MemberMetadataValue>;
  targets: Map<string, Assignment>;
  current: Map<string, CurrentAssignmentValue>;
}

export const emptyLoadedConsumerGroup = (): LoadedConsumerGroup => ({ groupEpoch: null, assignmentEpoch: 0, topics: [], members: new Map(), targets: new Map(), current: new Map() });

/** Apply one record to `g` (throws on an unreadable value). */
export function replayConsumerRecord(g: LoadedConsumerGroup, key: ConsumerRecordKey, value: Buffer | null): void {
  switch (key.kind) {
    case 'consumer-group':
      g.groupEpoch = value === null ? null : decodeEpochValue(value);
      if (value === null) Object.assign(g, { ...emptyLoadedConsumerGroup() });
      return;
    case 'consumer-partition-metadata':
      g.topics = value === null ? [] : decodePartitionMetadataValue(value).topics;
      return;
    case 'consumer-target-epoch':
      g.assignmentEpoch = value === null ? 0 : decodeEpochValue(value);
      return;
    case 'consumer-member':
      if (value === null) g.members.delete(key.member);
      else g.members.set(key.member, decodeMemberMetadataValue(value));
      return;
    case 'consumer-target-member':
      if (value === null) g.targets.delete(key.member);
      else g.targets.set(key.member, decodeTargetMemberValue(value));
      return;
    case 'consumer-current-assignment':
      if (value === null) g.current.delete(key.member);
      else g.current.set(key.member, decodeCurrentAssignmentValue(value));
  }
}

/** The live group from what was loaded, with its committed offsets. */
export function restoreConsumerGroup(groupId: string, loaded: LoadedConsumerGroup, offsets: Map<string, Map<number, OffsetCommitValue>>, now: number): ConsumerGroup {
  const g = new ConsumerGroup(groupId, now);
  g.groupEpoch = loaded.groupEpoch ?? 0;
  g.assignmentEpoch = loaded.assignmentEpoch;
  g.subscriptionMetadata = new Map(loaded.topics.map((t) => [t.topicId, { name: t.topicName, numPartitions: t.numPartitions }]));
  for (const [memberId, meta] of loaded.members) {
    const m = new ConsumerMember(memberId);
    m.instanceId = meta.instanceId;
    m.rackId = meta.rackId;
    m.clientId = meta.clientId;
    m.clientHost = meta.clientHost;
    m.subscribedTopicNames = meta.subscribedTopicNames;
    m.subscribedTopicRegex = meta.subscribedTopicRegex;
    m.serverAssignor = meta.serverAssignor;
    m.rebalanceTimeoutMs = meta.rebalanceTimeoutMs;
    m.classic = meta.classic;
    const cur = loaded.current.get(memberId);
    if (cur !== undefined) {
      m.memberEpoch = cur.memberEpoch;
      m.previousMemberEpoch = cur.previousMemberEpoch;
      m.state = cur.state as MemberState;
      m.assigned = cur.assigned;
      m.pendingRevocation = cur.pendingRevocation;
    }
    g.putMember(m);
  }
  for (const [memberId, a] of loaded.targets) if (g.members.has(memberId)) g.targetAssignment.set(memberId, a);
  for (const [topic, byPartition] of offsets) for (const [p, v] of byPartition) g.offsets.setOffset(topic, p, v);
  return g;
}
