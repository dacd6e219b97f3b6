/**
 * Online migration of a live group between the two protocols (KIP-848), as Kafka 4.0 does it
 * (GroupMetadataManager.convertToConsumerGroup / convertToClassicGroup, ConsumerGroup.fromClassicGroup,
 * ClassicGroup.fromConsumerGroup):
 *
 * - Upgrade, when the first consumer-protocol member joins a classic group of the "consumer"
 *   protocol type: each classic member becomes a member at the classic generation (member
 *   epoch, group epoch and target epoch all equal it), subscribed to the topics of its
 *   ConsumerProtocolSubscription, owning (and targeted with) the partitions of its
 *   ConsumerProtocolAssignment, and keeping its session timeout and protocols as its classic
 *   metadata. The classic group's metadata record is deleted; the consumer group's records are
 *   written in Kafka's order (members, epoch, targets, target epoch, current assignments).
 * - Downgrade, when the last consumer-protocol member leaves and only classic members remain:
 *   a Stable classic group at the group epoch with those members, each holding its target
 *   assignment encoded in the ConsumerProtocolAssignment version of its subscription; the
 *   consumer group's records are deleted and the classic group's metadata written. The caller
 *   then starts a rebalance (the leaving member's partitions have no owner yet). The same,
 *   without a rebalance, when a classic static member replaced the last consumer-protocol one.
 *
 * Committed offsets belong to the group id and move with it.
 */
import type { RecordInput } from '../../../format/record.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { decodeAssignment, decodeSubscription, encodeAssignment } from '../../../protocol/consumer-protocol.js';
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE } from '../group.js';
import { EMPTY_BYTES, Member } from '../member.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue } from '../records.js';
import { type Assignment, addPartition, cloneAssignment, emptyAssignment } from './assignment.js';
import { ConsumerGroup, ConsumerMember, MemberState } from './group.js';
import { currentAssignmentRecord, epochRecord, groupTombstonesWithMembers, memberRecord, targetEpochRecord, targetMemberRecord } from './persist.js';
import { Refusal } from './validate.js';

/** Kafka's ConsumerGroup.fromClassicGroup and createConsumerGroupRecords. `topicId` resolves a topic name (undefined: no such topic). */
export function consumerGroupFromClassic(classic: ClassicGroup, topicId: (name: string) => string | undefined, now: number): { group: ConsumerGroup; records: RecordInput[] } {
  const group = new ConsumerGroup(classic.groupId, now);
  group.groupEpoch = classic.generationId;
  group.assignmentEpoch = classic.generationId;
  try {
    for (const cm of classic.members.values()) {
      // Before the first generation no protocol is chosen yet (and a member that joined the
      // rebalance under way may not list the current one): the member's first one stands in.
      const chosen = classic.protocolName !== null ? cm.metadata(classic.protocolName) : EMPTY_BYTES;
      const metadata = chosen.length > 0 ? chosen : (cm.protocols[0]?.metadata ?? EMPTY_BYTES);
      const { subscription } = decodeSubscription(metadata);
      const assigned: Assignment = emptyAssignment();
      // A member that has not synced yet holds no assignment (an empty buffer).
      if (cm.assignment.length > 0) {
        for (const tp of decodeAssignment(cm.assignment).assignment.assignedPartitions) {
          const id = topicId(tp.topic);
          if (id !== undefined) for (const p of tp.partitions) addPartition(assigned, id, p);
        }
      }
      const m = new ConsumerMember(cm.memberId);
      m.memberEpoch = classic.generationId;
      m.previousMemberEpoch = classic.generationId;
      m.state = MemberState.Stable;
      m.instanceId = cm.groupInstanceId;
      m.rackId = subscription.rackId ?? null;
      m.rebalanceTimeoutMs = cm.rebalanceTimeoutMs;
      m.clientId = cm.clientId;
      m.clientHost = cm.clientHost;
      m.subscribedTopicNames = [...subscription.topics].sort();
      m.assigned = assigned;
      m.classic = { sessionTimeoutMs: cm.sessionTimeoutMs, protocols: cm.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) };
      group.targetAssignment.set(m.memberId, cloneAssignment(assigned));
      group.putMember(m);
    }
  } catch (err) {
    if (err instanceof Refusal) throw err;
    throw new Refusal(ErrorCode.GROUP_ID_NOT_FOUND, `Cannot upgrade the classic group ${classic.groupId} to consumer group because the embedded consumer protocol is malformed.`);
  }
  for (const { topic, partition, value } of classic.allOffsets()) group.offsets.setOffset(topic, partition, value);

  const members = [...group.members.values()];
  const records: RecordInput[] = [
    // Kafka's ClassicGroup.createGroupTombstoneRecords.
    { key: encodeGroupMetadataKey(classic.groupId), value: null, timestamp: now },
    ...members.map((m) => memberRecord(group, m, now)),
    epochRecord(group, now),
    ...members.map((m) => targetMemberRecord(group, m.memberId, group.targetAssignment.get(m.memberId)!, now)),
    targetEpochRecord(group, now),
    ...members.map((m) => currentAssignmentRecord(group, m, now)),
  ];
  return { group, records };
}

/**
 * Kafka's ClassicGroup.fromConsumerGroup and createClassicGroupRecords: the classic group of
 * every member but `leavingMemberId` (all of them classic members; null: every member). `topicName` resolves a
 * topic id (undefined: deleted meanwhile).
 */
export function classicGroupFromConsumer(group: ConsumerGroup, leavingMemberId: string | null, topicName: (id: string) => string | undefined, now: number): { classic: ClassicGroup; records: RecordInput[] } {
  const records = groupTombstonesWithMembers(group, now);
  const classic = new ClassicGroup(group.groupId, now);
  classic.generationId = group.groupEpoch;
  classic.protocolType = CONSUMER_PROTOCOL_TYPE;
  for (const m of group.members.values()) {
    if (m.memberId === leavingMemberId || m.classic === null) continue;
    const member = new Member(m.memberId, m.instanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.classic.sessionTimeoutMs, CONSUMER_PROTOCOL_TYPE, m.classic.protocols.map((p) => ({ name: p.name, metadata: p.metadata })));
    classic.add(member, null);
    if (m.instanceId !== null) classic.staticMembers.set(m.instanceId, m.memberId);
  }
  classic.protocolName = classic.selectProtocol() ?? classic.members.values().next().value?.protocols[0]?.name ?? null;
  for (const member of classic.members.values()) {
    const target = group.targetAssignment.get(member.memberId) ?? emptyAssignment();
    const assignedPartitions = [...target].flatMap(([id, ps]) => {
      const topic = topicName(id);
      return topic === undefined ? [] : [{ topic, partitions: [...ps].sort((a, b) => a - b) }];
    }).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    let version = 0;
    try {
      version = decodeSubscription(member.metadata(classic.protocolName ?? '')).version;
    } catch {
      // The subscription was read when the member joined; an unreadable one cannot occur here.
    }
    member.assignment = encodeAssignment({ assignedPartitions, userData: null }, version);
  }
  classic.state = 'Stable';
  classic.stateTimestamp = now;
  for (const { topic, partition, value } of group.offsets.allOffsets()) classic.setOffset(topic, partition, value);
  records.push({ key: encodeGroupMetadataKey(group.groupId), value: encodeGroupMetadataValue(classic.metadataValue()), timestamp: now });
  return { classic, records };
}
