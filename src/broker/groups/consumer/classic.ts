/**
 * Members of the classic protocol inside a consumer group (KIP-848's online migration, Kafka
 * 4.0's classicGroupJoinToConsumerGroup, classicGroupSyncToConsumerGroup,
 * classicGroupHeartbeatToConsumerGroup and classicGroupLeaveToConsumerGroup). Such a member
 * keeps speaking JoinGroup / SyncGroup / Heartbeat / LeaveGroup, and the consumer group
 * answers them with its own state machine:
 *
 * - JoinGroup is the member's heartbeat of the consumer protocol: its subscription (topics,
 *   rack, owned partitions) is read from its ConsumerProtocolSubscription, the group epoch and
 *   target assignment move as for any member, and the member takes one reconciliation step.
 *   The answer comes at once, with the member epoch as the generation, no leader and no
 *   member list (the coordinator assigns; every classic member is a follower).
 * - SyncGroup answers the member's current assignment as a ConsumerProtocolAssignment in the
 *   version of its subscription, or REBALANCE_IN_PROGRESS when the group has moved on.
 * - Heartbeat answers REBALANCE_IN_PROGRESS when the member must join again: the group epoch
 *   is past its epoch, it has partitions to revoke, or the partitions it waited for are free.
 *   A member told to rejoin must do so within its rebalance timeout, and one that joined must
 *   sync within it, or it is fenced.
 * - LeaveGroup removes the member and bumps the group epoch.
 */
import { randomUUID } from 'node:crypto';
import type { RecordInput } from '../../../format/record.js';
import { decodeSubscription, encodeAssignment } from '../../../protocol/consumer-protocol.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { CONSUMER_PROTOCOL_TYPE } from '../group.js';
import { EMPTY_BYTES, type JoinResult, joinError, type SyncResult, syncError } from '../member.js';
import type { JoinGroupInput, LeaveResult, MemberIdentity, SyncGroupInput } from '../membership.js';
import { type Assignment, addPartition, emptyAssignment } from './assignment.js';
import { type ConsumerGroup, ConsumerMember, MemberState } from './group.js';
import type { ConsumerGroups } from './manager.js';
import { epochRecord, memberTombstones, subscriptionMetadataRecord } from './persist.js';
import { Refusal } from './validate.js';

export class ClassicMembers {
  constructor(private readonly m: ConsumerGroups) {}

  // ---- JoinGroup -------------------------------------------------------------------------

  /** A classic JoinGroup to the non-empty consumer group `req.groupId`. */
  async join(req: JoinGroupInput): Promise<JoinResult> {
    const cfg = this.m.c.config;
    if (!this.m.c.isActive) return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (req.sessionTimeoutMs < cfg.minSessionTimeoutMs || req.sessionTimeoutMs > cfg.maxSessionTimeoutMs) return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT);
    const group = this.m.get(req.groupId);
    if (group === undefined) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID);
    const records: RecordInput[] = [];
    let result: JoinResult;
    let member: ConsumerMember;
    try {
      const joined = this.doJoin(group, req, records);
      if ('errorCode' in joined) return joined;
      member = joined.member;
      result = joined.result;
    } catch (err) {
      // Changes made before a refusal (a replaced static member) are kept, so they are written.
      await this.m.write(req.groupId, records);
      if (err instanceof Refusal) return joinError(req.memberId, err.errorCode);
      this.m.c.logger.error({ err, group: req.groupId }, 'JoinGroup to a consumer group failed');
      return joinError(req.memberId, ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    const code = await this.m.write(req.groupId, records);
    if (code !== ErrorCode.NONE) return joinError(req.memberId, code);
    // Still a member of this consumer group (not turned classic by its join).
    if (this.m.get(req.groupId) === group && group.members.get(member.memberId) === member) {
      this.m.timers.cancelClassic(member, 'joinTimer');
      this.m.timers.session(group, member);
      this.m.timers.classic(group, member, 'syncTimer', false);
    }
    return result;
  }

  private doJoin(group: ConsumerGroup, req: JoinGroupInput, records: RecordInput[]): JoinResult | { member: ConsumerMember; result: JoinResult } {
    const now = Date.now();
    const isUnknown = req.memberId === '';
    const memberId = isUnknown ? randomUUID() : req.memberId;
    // Kafka's throwIfConsumerGroupIsFull.
    if (group.members.size >= this.m.c.config.consumerMaxSize && (isUnknown || !group.members.has(memberId))) return joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED);
    if (!group.supportsClassicProtocols(req.protocolType, req.protocols.map((p) => p.name))) return joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    if (req.requireKnownMemberId && isUnknown && req.groupInstanceId === null) {
      // KIP-394: hand out the id first; the member is created when it joins with it.
      this.m.c.logger.info({ group: group.groupId, memberId }, 'a dynamic classic member with an unknown member id joins the consumer group; it is asked to rejoin with this id');
      return joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED);
    }
    const replaced = isUnknown && req.groupInstanceId !== null ? group.staticMember(req.groupInstanceId) : undefined;
    const member = this.memberFor(group, memberId, isUnknown, req.groupInstanceId, records, now);
    const { subscription } = decodeSubscription(req.protocols[0]!.metadata);
    this.m.updateMember(group, member, records, now, (m) => {
      if (req.groupInstanceId !== null) m.instanceId = req.groupInstanceId;
      if (subscription.rackId != null) m.rackId = subscription.rackId;
      if (req.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      m.subscribedTopicNames = [...subscription.topics].sort();
      m.clientId = req.clientId;
      m.clientHost = req.clientHost;
      m.classic = { sessionTimeoutMs: req.sessionTimeoutMs, protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })) };
    });
    // A classic member's owned partitions are those of its subscription (none before v1: an
    // eager member gives up everything before it joins).
    const owned: Assignment = emptyAssignment();
    for (const tp of subscription.ownedPartitions ?? []) {
      const id = this.m.c.core.topics.get(tp.topic)?.topicId;
      if (id !== undefined) for (const p of tp.partitions) addPartition(owned, id, p);
    }
    this.m.maybeReconcile(group, member, owned, records, now);
    // Kafka's step 4: the member replaced the last consumer-protocol member: the group may turn classic.
    if (replaced !== undefined) {
      const downgrade = this.m.migrator.downgradeAfterReplacement(group, replaced, now);
      if (downgrade !== null) records.push(...downgrade);
    }
    return {
      member,
      result: {
        errorCode: ErrorCode.NONE,
        memberId: member.memberId,
        generationId: member.memberEpoch,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocolName: member.classic!.protocols[0]!.name,
        leaderId: '',
        skipAssignment: false,
        members: [],
      },
    };
  }

  /** Kafka's getOrMaybeSubscribe{Dynamic,Static}ConsumerGroupMember for a classic member. */
  private memberFor(group: ConsumerGroup, memberId: string, isUnknown: boolean, instanceId: string | null, records: RecordInput[], now: number): ConsumerMember {
    if (instanceId === null) return group.members.get(memberId) ?? new ConsumerMember(memberId);
    const existing = group.staticMember(instanceId);
    if (isUnknown) {
      if (existing === undefined) return new ConsumerMember(memberId);
      // A classic static member taking over an instance id needs no release first.
      return this.m.replaceStaticMember(group, existing, memberId, records, now);
    }
    if (existing === undefined) throw new Refusal(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
    if (existing.memberId !== memberId) throw new Refusal(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`);
    return existing;
  }

  // ---- SyncGroup -------------------------------------------------------------------------

  /** Kafka's classicGroupSyncToConsumerGroup: nothing is written; the answer is the member's current assignment. */
  sync(req: SyncGroupInput): SyncResult {
    const group = this.m.get(req.groupId);
    if (group === undefined || group.members.size === 0) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    const found = this.classicMember(group, req.memberId, req.groupInstanceId);
    if (typeof found === 'number') return syncError(found);
    const member = found;
    if (req.generationId !== member.memberEpoch) return syncError(ErrorCode.ILLEGAL_GENERATION);
    const protocolName = member.classic!.protocols[0]!.name;
    if ((req.protocolType !== null && req.protocolType !== CONSUMER_PROTOCOL_TYPE) || (req.protocolName !== null && req.protocolName !== protocolName)) return syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    // Kafka's throwIfRebalanceInProgress: a member that must still revoke finishes that first.
    if (group.groupEpoch > member.memberEpoch && member.state !== MemberState.UnrevokedPartitions) {
      this.m.timers.classic(group, member, 'joinTimer', true);
      return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    this.m.timers.cancelClassic(member, 'syncTimer');
    this.m.timers.session(group, member);
    return { errorCode: ErrorCode.NONE, protocolType: req.protocolType, protocolName: req.protocolName, assignment: this.assignment(member) };
  }

  /** Kafka's prepareAssignment: the member's partitions in the ConsumerProtocolAssignment version of its subscription. */
  private assignment(member: ConsumerMember): Buffer {
    const topics = this.m.c.core.topics;
    const assignedPartitions = [...member.assigned].flatMap(([id, ps]) => {
      const topic = topics.byId(id)?.name;
      return topic === undefined ? [] : [{ topic, partitions: [...ps].sort((a, b) => a - b) }];
    }).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    let version = 0;
    try {
      version = decodeSubscription(member.classic?.protocols[0]?.metadata ?? EMPTY_BYTES).version;
    } catch {
      // Read when the member joined; cannot fail here.
    }
    return encodeAssignment({ assignedPartitions, userData: null }, version);
  }

  // ---- Heartbeat -------------------------------------------------------------------------

  /** Kafka's classicGroupHeartbeatToConsumerGroup. */
  heartbeat(groupId: string, memberId: string, instanceId: string | null, generationId: number): number {
    const group = this.m.get(groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    const member = this.classicMember(group, memberId, instanceId);
    if (typeof member === 'number') return member;
    if (generationId !== member.memberEpoch) return ErrorCode.ILLEGAL_GENERATION;
    this.m.timers.session(group, member);
    if (member.memberEpoch < group.groupEpoch || member.state === MemberState.UnrevokedPartitions || (member.state === MemberState.UnreleasedPartitions && !group.waitingOnUnreleasedPartition(member))) {
      this.m.timers.classic(group, member, 'joinTimer', true);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    }
    return ErrorCode.NONE;
  }

  // ---- LeaveGroup ------------------------------------------------------------------------

  /** Kafka's classicGroupLeaveToConsumerGroup: each member is answered on its own; the group epoch is bumped once. */
  async leave(groupId: string, identities: readonly MemberIdentity[]): Promise<LeaveResult> {
    const group = this.m.get(groupId);
    const answer = (id: MemberIdentity, errorCode: number) => ({ memberId: id.memberId, groupInstanceId: id.groupInstanceId, errorCode });
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: identities.map((id) => answer(id, ErrorCode.UNKNOWN_MEMBER_ID)) };
    const now = Date.now();
    const records: RecordInput[] = [];
    const out = identities.map((id) => {
      let member: ConsumerMember | undefined;
      if (id.groupInstanceId === null) {
        member = group.members.get(id.memberId);
      } else {
        member = group.staticMember(id.groupInstanceId);
        // An administrator may remove a static member by its instance id alone.
        if (member !== undefined && id.memberId !== '' && member.memberId !== id.memberId) return answer(id, ErrorCode.FENCED_INSTANCE_ID);
        if (member !== undefined && id.memberId === '') {
          this.remove(group, member, records, now, id.reason);
          return answer(id, ErrorCode.NONE);
        }
      }
      if (member === undefined || member.classic === null) return answer(id, ErrorCode.UNKNOWN_MEMBER_ID);
      this.remove(group, member, records, now, id.reason);
      return answer(id, ErrorCode.NONE);
    });
    if (records.length > 0) {
      if (this.m.refreshSubscriptionMetadata(group)) records.push(subscriptionMetadataRecord(group, now));
      group.groupEpoch++;
      records.push(epochRecord(group, now));
      const code = await this.m.write(groupId, records);
      if (code !== ErrorCode.NONE) return { errorCode: code, members: [] };
    }
    return { errorCode: ErrorCode.NONE, members: out };
  }

  private remove(group: ConsumerGroup, member: ConsumerMember, records: RecordInput[], now: number, reason: string | null | undefined): void {
    this.m.timers.clear(member);
    records.push(...memberTombstones(group, member.memberId, now));
    group.removeMember(member.memberId);
    this.m.c.logger.info({ group: group.groupId, memberId: member.memberId, instanceId: member.instanceId, reason: reason ?? 'not provided' }, 'classic member left the consumer group');
  }

  /** Kafka's validateConsumerGroupMember and throwIfMemberDoesNotUseClassicProtocol; an error code when it is not one. */
  private classicMember(group: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerMember | number {
    let member: ConsumerMember | undefined;
    if (instanceId === null) member = group.members.get(memberId);
    else {
      member = group.staticMember(instanceId);
      if (member !== undefined && member.memberId !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (member === undefined || member.classic === null) return ErrorCode.UNKNOWN_MEMBER_ID;
    return member;
  }
}
