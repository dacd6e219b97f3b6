/**
 * The consumer group protocol of KIP-848 (ConsumerGroupHeartbeat), as Kafka's
 * GroupMetadataManager.consumerGroupHeartbeat does it, step by step:
 *
 * 1. Find or create the group (a member joining with epoch 0 may create it; an empty classic
 *    group with that id is replaced, keeping its offsets; a live classic group of the consumer
 *    protocol type is converted with its members when group.consumer.migration.policy allows
 *    the upgrade (migration.ts; its members then keep speaking the classic protocol, classic.ts);
 *    any other refuses with GROUP_ID_NOT_FOUND "Group X is not a consumer group.", as Kafka
 *    does when it cannot upgrade). Find or create the member; a known member must present its current epoch, or
 *    the previous one with owned partitions inside its assignment (the answer with the new
 *    epoch may have been lost), else FENCED_MEMBER_EPOCH; an unknown one UNKNOWN_MEMBER_ID.
 * 2. Apply what the heartbeat changed (subscription, assignor, timeouts). A new subscription
 *    or a change in the subscribed topics' partitions bumps the group epoch.
 * 3. When the group epoch is ahead of the target assignment, the group's assignor (the one
 *    most members ask for, else the first of `group.consumer.assignors`) computes a new target
 *    assignment at the group epoch.
 * 4. The member moves one step towards its target (reconcile.ts): partitions it must give up
 *    are revoked first, and partitions another member still owns are held back until released.
 * 5. Every change becomes a record in `__consumer_offsets` (persist.ts); the answer waits until
 *    they are durable, as Kafka's waits for the records to be committed.
 *
 * A member that sends no heartbeat for `group.consumer.session.timeout.ms` (a classic member:
 * its own session timeout), or that does not revoke within its rebalance timeout, is fenced:
 * removed, and the group epoch bumped so its partitions are reassigned; when it was the last
 * member of the consumer protocol and classic members remain, the group turns classic instead
 * (the online downgrade). Leaving is a heartbeat with epoch -1; a static member (instance
 * id) leaving with -2 keeps its place and assignment for a successor with the same instance id
 * until its session times out.
 */
import { randomUUID } from 'node:crypto';
import type { RecordInput } from '../../../format/record.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { GroupCoordinator } from '../coordinator.js';
import { encodeGroupMetadataKey } from '../records.js';
import { ClassicMembers } from './classic.js';
import { GroupMigrator } from './migrator.js';
import { MemberTimers } from './timers.js';
import { type Assignment, assignmentsEqual, emptyAssignment, fromTopicPartitions, toTopicPartitions } from './assignment.js';
import { ASSIGNORS, type AssignorMember } from './assignors.js';
import { ConsumerGroup, ConsumerMember, JOIN_GROUP_MEMBER_EPOCH, LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH, MemberState } from './group.js';
import { currentAssignmentRecord, epochRecord, groupTombstones, memberRecord, memberTombstones, subscriptionMetadataRecord, targetEpochRecord, targetMemberRecord } from './persist.js';
import { reconcile } from './reconcile.js';
import { compileRegex, Refusal, throwIfMemberEpochIsInvalid, validateHeartbeat } from './validate.js';

export interface HeartbeatInput {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: Array<{ topicId: string; partitions: number[] }> | null;
  clientId: string;
  clientHost: string;
  /** The request version: from v1 (KIP-1082) the member picks its own id. */
  apiVersion: number;
}

export interface HeartbeatOutput {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: Array<{ topicId: string; partitions: number[] }> } | null;
}


export class ConsumerGroups {
  readonly groups = new Map<string, ConsumerGroup>();
  /** JoinGroup, SyncGroup, Heartbeat and LeaveGroup of classic members in these groups. */
  readonly classic: ClassicMembers;
  readonly timers: MemberTimers;
  /** Conversions of live groups between the protocols (group.consumer.migration.policy). */
  readonly migrator: GroupMigrator;

  constructor(readonly c: GroupCoordinator) {
    this.classic = new ClassicMembers(this);
    this.timers = new MemberTimers(this);
    this.migrator = new GroupMigrator(this);
  }

  get(groupId: string): ConsumerGroup | undefined {
    return this.groups.get(groupId);
  }

  // ---- ConsumerGroupHeartbeat --------------------------------------------------------------

  async heartbeat(req: HeartbeatInput): Promise<HeartbeatOutput> {
    const records: RecordInput[] = [];
    let out: HeartbeatOutput;
    try {
      validateHeartbeat(req, this.c.isActive, this.c.config.consumerAssignors);
      out = req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? this.leave(req, records) : this.join(req, records);
    } catch (err) {
      if (err instanceof Refusal) {
        // What changed before the refusal (a converted group) is kept, so it is written too.
        await this.write(req.groupId, records);
        return { errorCode: err.errorCode, errorMessage: err.message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
      }
      this.c.logger.error({ err, group: req.groupId }, 'ConsumerGroupHeartbeat failed');
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (err as Error).message, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    }
    const code = await this.write(req.groupId, records);
    if (code !== ErrorCode.NONE) return { errorCode: code, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    return out;
  }


  private join(req: HeartbeatInput, records: RecordInput[]): HeartbeatOutput {
    const now = Date.now();
    const group = this.getOrMaybeCreate(req.groupId, req.memberEpoch === JOIN_GROUP_MEMBER_EPOCH, records, now);
    // v0 members are given an id by the coordinator.
    const memberId = req.memberId === '' ? randomUUID() : req.memberId;
    const owned = req.topicPartitions === null ? null : fromTopicPartitions(req.topicPartitions);
    const member = req.instanceId === null ? this.dynamicMember(group, memberId, req.memberEpoch, owned) : this.staticMember(group, memberId, req.instanceId, req.memberEpoch, owned, records, now);
    const assignedBefore = member.assigned;
    const epochBefore = member.memberEpoch;

    // 1-2. The member's metadata, the group epoch and the target assignment.
    this.updateMember(group, member, records, now, (m) => {
      if (req.instanceId !== null) m.instanceId = req.instanceId;
      if (req.rackId !== null) m.rackId = req.rackId;
      if (req.rebalanceTimeoutMs !== -1) m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      if (req.serverAssignor !== null) m.serverAssignor = req.serverAssignor;
      if (req.subscribedTopicNames !== null) m.subscribedTopicNames = [...req.subscribedTopicNames].sort();
      // An empty regex is how Kafka 4.0 clients say "no regex" (librdkafka sends it beside a topic list).
      if (req.subscribedTopicRegex !== null) m.subscribedTopicRegex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
      m.clientId = req.clientId;
      m.clientHost = req.clientHost;
      // A heartbeat of the consumer protocol makes it a member of that protocol (setClassicMemberMetadata(null)).
      m.classic = null;
    });
    // 3. One reconciliation step.
    this.maybeReconcile(group, member, owned, records, now);
    this.timers.session(group, member);

    const fullRequest = req.memberEpoch === JOIN_GROUP_MEMBER_EPOCH || (req.rebalanceTimeoutMs !== -1 && req.subscribedTopicNames !== null && req.topicPartitions !== null);
    const changed = epochBefore !== member.memberEpoch || !assignmentsEqual(assignedBefore, member.assigned);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.c.config.consumerHeartbeatIntervalMs,
      assignment: fullRequest || changed ? { topicPartitions: toTopicPartitions(member.assigned) } : null,
    };
  }

  /**
   * Steps 1 and 2 of a heartbeat or of a classic member's JoinGroup: apply `change` to the
   * member; a new or changed member is written, a changed subscription (or subscribed topics
   * that changed) bumps the group epoch (Kafka's hasMemberSubscriptionChanged), and a group
   * epoch ahead of the target assignment gets a new one.
   */
  updateMember(group: ConsumerGroup, member: ConsumerMember, records: RecordInput[], now: number, change: (m: ConsumerMember) => void): void {
    const isNew = !group.members.has(member.memberId);
    const snapshot = (m: ConsumerMember) => JSON.stringify([m.instanceId, m.rackId, m.clientId, m.clientHost, m.subscribedTopicNames, m.subscribedTopicRegex, m.serverAssignor, m.rebalanceTimeoutMs, m.classic === null ? null : [m.classic.sessionTimeoutMs, m.classic.protocols.map((p) => [p.name, p.metadata.toString('base64')])]]);
    const before = isNew ? null : snapshot(member);
    const subscriptionBefore = isNew ? '[[],null]' : JSON.stringify([member.subscribedTopicNames, member.subscribedTopicRegex]);
    change(member);
    if (isNew) group.putMember(member);
    let bump = false;
    if (before !== snapshot(member)) {
      records.push(memberRecord(group, member, now));
      if (subscriptionBefore !== JSON.stringify([member.subscribedTopicNames, member.subscribedTopicRegex])) bump = true;
    }
    // The subscribed topics' metadata: strand looks at every heartbeat (Kafka refreshes it on
    // a timer and on metadata changes), so new topics and partitions are seen at once.
    if (this.refreshSubscriptionMetadata(group)) {
      bump = true;
      records.push(subscriptionMetadataRecord(group, now));
    }
    if (bump) {
      group.groupEpoch++;
      records.push(epochRecord(group, now));
    }
    if (group.groupEpoch > group.assignmentEpoch) this.updateTargetAssignment(group, records, now);
  }

  /**
   * Kafka's getOrMaybeCreateConsumerGroup: an empty classic group is replaced (its offsets
   * stay); a non-empty one using the consumer protocol type is converted when
   * group.consumer.migration.policy allows the upgrade (migrator.ts); any other refuses.
   */
  private getOrMaybeCreate(groupId: string, create: boolean, records: RecordInput[], now: number): ConsumerGroup {
    const existing = this.groups.get(groupId);
    if (existing !== undefined) return existing;
    if (!create) throw new Refusal(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    const classic = this.c.groups.get(groupId);
    const group = new ConsumerGroup(groupId, now);
    if (classic !== undefined && !(classic.is('Empty') && classic.size === 0 && classic.pendingMembers.size === 0)) return this.migrator.upgrade(classic, records, now);
    if (classic !== undefined) {
      // An empty classic group is replaced (Kafka's maybeDeleteEmptyClassicGroup): its metadata goes, its offsets stay.
      for (const { topic, partition, value } of classic.allOffsets()) group.offsets.setOffset(topic, partition, value);
      if (classic.generationId > 0) records.push({ key: encodeGroupMetadataKey(groupId), value: null, timestamp: now });
      this.c.groups.delete(groupId);
      this.c.logger.info({ group: groupId }, 'upgraded an empty classic group to the consumer protocol');
    }
    this.groups.set(groupId, group);
    records.push(epochRecord(group, now));
    return group;
  }

  /** Kafka's getOrMaybeSubscribeDynamicConsumerGroupMember. */
  private dynamicMember(group: ConsumerGroup, memberId: string, memberEpoch: number, owned: Assignment | null): ConsumerMember {
    const member = group.members.get(memberId);
    if (member === undefined) {
      if (memberEpoch !== JOIN_GROUP_MEMBER_EPOCH) throw new Refusal(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`);
      this.throwIfFull(group);
      return new ConsumerMember(memberId);
    }
    if (memberEpoch !== JOIN_GROUP_MEMBER_EPOCH) throwIfMemberEpochIsInvalid(member, memberEpoch, owned);
    return member;
  }

  /** Kafka's getOrMaybeSubscribeStaticConsumerGroupMember: a new instance with a released id takes over its predecessor's place. */
  staticMember(group: ConsumerGroup, memberId: string, instanceId: string, memberEpoch: number, owned: Assignment | null, records: RecordInput[], now: number): ConsumerMember {
    const existing = group.staticMember(instanceId);
    if (memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
      if (existing === undefined) {
        const known = group.members.get(memberId);
        if (known !== undefined) return known;
        this.throwIfFull(group);
        return new ConsumerMember(memberId);
      }
      if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new Refusal(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} cannot join the group because the instance id is owned by ${existing.memberId} member.`);
      }
      return this.replaceStaticMember(group, existing, memberId, records, now);
    }
    if (existing === undefined) throw new Refusal(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
    if (existing.memberId !== memberId) throw new Refusal(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`);
    throwIfMemberEpochIsInvalid(existing, memberEpoch, owned);
    return existing;
  }

  /**
   * Kafka's replaceMember: a new instance takes its predecessor's place with the epoch and
   * assignment it had before leaving (the previous epoch for one that left with -2), so no
   * rebalance happens.
   */
  replaceStaticMember(group: ConsumerGroup, existing: ConsumerMember, memberId: string, records: RecordInput[], now: number): ConsumerMember {
    const successor = new ConsumerMember(memberId);
    Object.assign(successor, { ...existing, memberId, sessionTimer: null, rebalanceTimer: null, joinTimer: null, syncTimer: null });
    if (existing.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) successor.memberEpoch = existing.previousMemberEpoch;
    const target = group.targetAssignment.get(existing.memberId) ?? emptyAssignment();
    this.timers.clear(existing);
    group.removeMember(existing.memberId);
    records.push(...memberTombstones(group, existing.memberId, now));
    group.putMember(successor);
    group.targetAssignment.set(memberId, target);
    records.push(memberRecord(group, successor, now), targetMemberRecord(group, memberId, target, now), currentAssignmentRecord(group, successor, now));
    this.c.logger.info({ group: group.groupId, memberId, instanceId: existing.instanceId, replaced: existing.memberId }, 'static member rejoined in its predecessor\'s place');
    return successor;
  }

  throwIfFull(group: ConsumerGroup): void {
    if (group.members.size >= this.c.config.consumerMaxSize) {
      throw new Refusal(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${this.c.config.consumerMaxSize} members.`);
    }
  }

  /** Recompute which subscribed topics exist and their sizes; true if that changed. */
  refreshSubscriptionMetadata(group: ConsumerGroup): boolean {
    this.resolveRegexes(group);
    const next = new Map<string, { name: string; numPartitions: number }>();
    for (const name of [...group.subscribedTopicNames()].sort()) {
      const t = this.c.core.topics.get(name);
      if (t !== undefined) next.set(t.topicId, { name, numPartitions: t.partitions });
    }
    const prev = group.subscriptionMetadata;
    const same = prev.size === next.size && [...next].every(([id, t]) => prev.get(id)?.name === t.name && prev.get(id)?.numPartitions === t.numPartitions);
    if (same) return false;
    group.subscriptionMetadata = next;
    return true;
  }

  /**
   * The topics each member's regex matches now: every topic but the internal ones, as Kafka
   * 4.0 resolves them (it does so in the background and persists the result; strand resolves
   * at each heartbeat, so a new matching topic is picked up by the next one).
   */
  private resolveRegexes(group: ConsumerGroup): void {
    let topics: string[] | null = null;
    for (const m of group.members.values()) {
      if (m.subscribedTopicRegex === null) {
        m.regexTopics = [];
        continue;
      }
      topics ??= this.c.core.topics.list().filter((t) => !t.internal).map((t) => t.name).sort();
      const re = compileRegex(m.subscribedTopicRegex);
      m.regexTopics = topics.filter((t) => re.test(t));
    }
  }

  /** Kafka's updateTargetAssignment: run the group's assignor; write the members whose target changed, then the new epoch. */
  updateTargetAssignment(group: ConsumerGroup, records: RecordInput[], now: number): void {
    const assignorName = group.preferredAssignor(this.c.config.consumerAssignors[0]!, this.c.config.consumerAssignors);
    const idByName = new Map([...group.subscriptionMetadata].map(([id, t]) => [t.name, id]));
    const members: AssignorMember[] = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      topicIds: new Set(m.topics().flatMap((n) => (idByName.has(n) ? [idByName.get(n)!] : []))),
      previous: group.targetAssignment.get(m.memberId) ?? emptyAssignment(),
    }));
    const topics = new Map([...group.subscriptionMetadata].map(([topicId, t]) => [topicId, { topicId, numPartitions: t.numPartitions }]));
    const result = ASSIGNORS[assignorName]!(members, topics);
    for (const [memberId, a] of result) {
      const prev = group.targetAssignment.get(memberId);
      if (prev === undefined || !assignmentsEqual(prev, a)) records.push(targetMemberRecord(group, memberId, a, now));
      group.targetAssignment.set(memberId, a);
    }
    group.assignmentEpoch = group.groupEpoch;
    records.push(targetEpochRecord(group, now));
    this.c.logger.info({ group: group.groupId, epoch: group.assignmentEpoch, assignor: assignorName, members: result.size }, 'computed a new target assignment');
  }

  /** Kafka's maybeReconcile. */
  maybeReconcile(group: ConsumerGroup, member: ConsumerMember, owned: Assignment | null, records: RecordInput[], now: number): void {
    if (member.isReconciledTo(group.assignmentEpoch)) return;
    const next = reconcile(group, member, group.assignmentEpoch, group.targetAssignment.get(member.memberId) ?? emptyAssignment(), owned);
    if (next === null) return;
    // Kafka's updateMemberEpoch: the previous epoch is always the one before this step.
    member.previousMemberEpoch = member.memberEpoch;
    member.memberEpoch = next.memberEpoch;
    member.state = next.state;
    group.reassign(member, next.assigned, next.pendingRevocation);
    records.push(currentAssignmentRecord(group, member, now));
    if (member.state === MemberState.UnrevokedPartitions) this.timers.rebalance(group, member);
    else this.timers.cancelRebalance(member);
  }

  /** Kafka's consumerGroupLeave: -1 removes the member; a static member's -2 keeps its place for a successor. */
  private leave(req: HeartbeatInput, records: RecordInput[]): HeartbeatOutput {
    const now = Date.now();
    const group = this.groups.get(req.groupId);
    if (group === undefined) throw new Refusal(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${req.groupId} not found.`);
    let member: ConsumerMember | undefined;
    if (req.instanceId === null) {
      member = group.members.get(req.memberId);
      if (member === undefined) throw new Refusal(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
    } else {
      member = group.staticMember(req.instanceId);
      if (member === undefined) throw new Refusal(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${req.instanceId} is unknown.`);
      if (member.memberId !== req.memberId) throw new Refusal(ErrorCode.FENCED_INSTANCE_ID, `Static member ${req.memberId} with instance id ${req.instanceId} was fenced by member ${member.memberId}.`);
      if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        member.previousMemberEpoch = member.memberEpoch;
        member.memberEpoch = LEAVE_GROUP_STATIC_MEMBER_EPOCH;
        this.timers.cancelRebalance(member);
        records.push(currentAssignmentRecord(group, member, now));
        this.c.logger.info({ group: req.groupId, memberId: member.memberId, instanceId: req.instanceId }, 'static member left temporarily');
        return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, heartbeatIntervalMs: 0, assignment: null };
      }
    }
    records.push(...this.fenceOrDowngrade(group, member, 'left the group', now));
    return { errorCode: ErrorCode.NONE, errorMessage: null, memberId: member.memberId, memberEpoch: LEAVE_GROUP_MEMBER_EPOCH, heartbeatIntervalMs: 0, assignment: null };
  }

  /**
   * Kafka's consumerGroupFenceMember: when the member is the last one of the consumer
   * protocol and the others are classic members, the group turns classic (the online
   * downgrade, if group.consumer.migration.policy allows it; migrator.ts); otherwise the
   * member is removed and the group epoch bumped so its partitions move.
   */
  fenceOrDowngrade(group: ConsumerGroup, member: ConsumerMember, why: string, now: number): RecordInput[] {
    return this.migrator.downgradeWithout(group, member, why, now) ?? this.fence(group, member, why, now);
  }

  /** Remove the member and bump the group epoch so its partitions move. */
  private fence(group: ConsumerGroup, member: ConsumerMember, why: string, now: number): RecordInput[] {
    this.timers.clear(member);
    const records = memberTombstones(group, member.memberId, now);
    group.removeMember(member.memberId);
    if (this.refreshSubscriptionMetadata(group)) records.push(subscriptionMetadataRecord(group, now));
    group.groupEpoch++;
    records.push(epochRecord(group, now));
    this.c.logger.info({ group: group.groupId, memberId: member.memberId, groupEpoch: group.groupEpoch }, `member ${why}`);
    return records;
  }

  /** Loaded members get a full session to come back, as Kafka schedules on load. */
  scheduleLoaded(group: ConsumerGroup): void {
    this.timers.loaded(group);
  }

  shutdown(): void {
    for (const g of this.groups.values()) for (const m of g.members.values()) this.timers.clear(m);
  }

  /** Forget the groups `mine` names (their coordinator moved to another broker): timers stop, nothing is written. */
  dropGroups(mine: (groupId: string) => boolean): void {
    for (const g of [...this.groups.values()]) {
      if (!mine(g.groupId)) continue;
      for (const m of g.members.values()) this.timers.clear(m);
      this.groups.delete(g.groupId);
    }
  }

  // ---- other protocols, offsets ------------------------------------------------------------

  /**
   * A classic JoinGroup for `groupId` while it names an empty consumer group: the group becomes
   * a classic group with its offsets (Kafka's classicGroupJoinToClassicGroup replaces an empty
   * consumer group whatever group.consumer.migration.policy says). A non-empty one hosts the
   * classic member instead (classic.ts). NONE when the id is free.
   */
  downgradeForClassicJoin(groupId: string): number {
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.NONE;
    if (group.members.size > 0) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    const now = Date.now();
    const offsets = [...group.offsets.allOffsets()];
    const code = this.writeNow(groupId, groupTombstones(groupId, now));
    if (code !== ErrorCode.NONE) return code;
    this.groups.delete(groupId);
    this.c.adoptOffsets(groupId, offsets);
    this.c.logger.info({ group: groupId }, 'converted an empty consumer group to a classic group');
    return ErrorCode.NONE;
  }

  /** DeleteGroups for a consumer group: only an empty one goes, with tombstones for its offsets too. */
  deleteGroup(group: ConsumerGroup, offsetTombstones: RecordInput[]): number {
    if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    const code = this.writeNow(group.groupId, [...offsetTombstones, ...groupTombstones(group.groupId, Date.now())]);
    if (code !== ErrorCode.NONE) return code;
    group.dead = true;
    this.groups.delete(group.groupId);
    return ErrorCode.NONE;
  }

  // ---- writing -----------------------------------------------------------------------------

  private writeNow(groupId: string, records: RecordInput[]): number {
    if (records.length === 0) return ErrorCode.NONE;
    try {
      void this.c.topic.append(groupId, records).catch((err: unknown) => this.c.logger.error({ err, group: groupId }, 'flushing consumer group records failed'));
      return ErrorCode.NONE;
    } catch (err) {
      this.c.logger.error({ err, group: groupId }, 'writing consumer group records failed');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /**
   * Append the records of one change as one batch and wait for the partition's flush policy.
   * The in-memory state already moved; if the write fails the member is told
   * COORDINATOR_NOT_AVAILABLE and retries (Kafka would also roll its state back).
   */
  async write(groupId: string, records: RecordInput[]): Promise<number> {
    if (records.length === 0) return ErrorCode.NONE;
    try {
      await this.c.topic.append(groupId, records);
      return ErrorCode.NONE;
    } catch (err) {
      this.c.logger.error({ err, group: groupId }, 'writing consumer group records failed');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }
}
