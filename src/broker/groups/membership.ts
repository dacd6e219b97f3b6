/**
 * Group membership, as Kafka's classic GroupCoordinator does it: JoinGroup, SyncGroup,
 * Heartbeat and LeaveGroup, and the timers that drive rebalances.
 *
 * - A JoinGroup is parked (its promise stays pending) until the rebalance completes: when
 *   every member has rejoined, or the rebalance timeout (the longest of the members') ends,
 *   when members that did not rejoin are dropped. A new group first waits
 *   `group.initial.rebalance.delay.ms`, extended while new members keep arriving.
 * - Dynamic members joining with JoinGroup v4+ and no member id get MEMBER_ID_REQUIRED and an
 *   id to rejoin with (a "pending" member, expired after its session timeout).
 * - The leader's SyncGroup carries the assignment; it is written to `__consumer_offsets`, then
 *   every parked SyncGroup is answered and the group is Stable. Members that do not send
 *   SyncGroup within the rebalance timeout are dropped and the group rebalances.
 * - Each member has a heartbeat timer of its session timeout (5 minutes for a member joining
 *   for the first time); when it fires, the member is removed and the group rebalances.
 *   Members waiting in a JoinGroup or SyncGroup need no heartbeats.
 * - Static members (group.instance.id) keep their place across restarts: one rejoining with
 *   an unknown member id takes over the old member's id and assignment without a rebalance
 *   (unless the group's protocol would change); a request with a stale member id for a known
 *   instance gets FENCED_INSTANCE_ID.
 *
 * Everything here runs synchronously on the event loop (Kafka's group lock is the loop).
 * Timers are unref'd so a broker never stays alive for a group.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { StrandError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { type GroupConfig, NEW_MEMBER_JOIN_TIMEOUT_MS } from './config.js';
import { ClassicGroup } from './group.js';
import { EMPTY_BYTES, type JoinResult, Member, type Protocol, type SyncResult, joinError, syncError } from './member.js';
import type { OffsetsTopic } from './offsets-topic.js';
import { type GroupMetadataValue, encodeGroupMetadataKey, encodeGroupMetadataValue } from './records.js';

export interface JoinGroupInput {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+: an unknown dynamic member first gets MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9 can tell a rejoining static leader to skip the assignment (KIP-814). */
  supportsSkipAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  reason: string | null;
}

export interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  reason?: string | null;
}

export interface LeaveResult {
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

/** setTimeout's longest delay. */
const MAX_DELAY = 2 ** 31 - 1;
const clampDelay = (ms: number) => Math.min(Math.max(0, ms), MAX_DELAY);

/** Kafka's mapping of a failed group metadata write to what the member is told. */
export function groupStoreError(err: unknown): number {
  const code = err instanceof StrandError ? (err.kafkaCode as number) : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

export abstract class GroupMembership {
  readonly groups = new Map<string, ClassicGroup>();
  protected active = true;

  protected constructor(readonly core: BrokerCore, readonly config: GroupConfig, readonly topic: OffsetsTopic, readonly logger: Logger) {}

  // ---- validation ------------------------------------------------------------------------

  /**
   * COORDINATOR_NOT_AVAILABLE once shut down; INVALID_GROUP_ID for an empty id, except where
   * Kafka accepts it (OffsetCommit, OffsetFetch, DescribeGroups, DeleteGroups, for old
   * clients that commit under the empty group id).
   */
  protected validateGroupId(groupId: string | null, allowEmpty: boolean): number {
    if (groupId === null || (!allowEmpty && groupId === '')) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return ErrorCode.NONE;
  }

  /** A known static instance must present its current member id; the member must exist. */
  protected validateCurrentMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = group.staticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) {
        this.logger.info({ group: group.groupId, memberId, groupInstanceId, current }, 'fenced a duplicate static member');
        return ErrorCode.FENCED_INSTANCE_ID;
      }
      return ErrorCode.NONE;
    }
    return group.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * Forget a group that holds nothing (no members, pending members, offsets or history). Kafka
   * keeps such a group (e.g. left by a JoinGroup that failed) until its next retention pass;
   * strand drops it at once, so bad requests leave no phantom groups in ListGroups.
   */
  protected dropIfUnused(group: ClassicGroup): void {
    if (group.is('Empty') && group.size === 0 && group.pendingMembers.size === 0 && !group.hasOffsets() && group.generationId === 0 && this.groups.get(group.groupId) === group) {
      this.groups.delete(group.groupId);
    }
  }

  // ---- JoinGroup -------------------------------------------------------------------------

  join(req: JoinGroupInput): Promise<JoinResult> {
    return new Promise((resolve) => {
      try {
        this.doJoin(req, resolve);
      } catch (err) {
        this.logger.error({ err, group: req.groupId }, 'JoinGroup failed');
        resolve(joinError(req.memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      }
    });
  }

  private doJoin(req: JoinGroupInput, cb: (r: JoinResult) => void): void {
    const invalid = this.validateGroupId(req.groupId, false);
    if (invalid !== ErrorCode.NONE) return cb(joinError(req.memberId, invalid));
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return cb(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknown = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      // Only a member without an id may create a group.
      if (!isUnknown) return cb(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = new ClassicGroup(req.groupId, Date.now());
      this.groups.set(req.groupId, group);
    }
    const existing = group.get(req.memberId);
    if ((group.size > this.config.maxSize && existing !== undefined && !existing.isAwaitingJoin) || (isUnknown && group.size >= this.config.maxSize)) {
      if (existing !== undefined) this.removeMemberAndUpdateGroup(group, existing, 'group over group.max.size');
      cb(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknown) {
      this.doNewMemberJoin(group, req, cb);
    } else {
      this.doCurrentMemberJoin(group, req, cb);
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
    this.dropIfUnused(group);
  }

  private doNewMemberJoin(group: ClassicGroup, req: JoinGroupInput, cb: (r: JoinResult) => void): void {
    if (!group.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) return cb(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const oldMemberId = group.staticMemberId(req.groupInstanceId);
      if (oldMemberId !== undefined) {
        this.logger.info({ group: group.groupId, groupInstanceId: req.groupInstanceId, oldMemberId, newMemberId, state: group.state }, 'static member rejoined without a member id; it takes over its old place');
        return this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, req, cb);
      }
      // Static members never get MEMBER_ID_REQUIRED.
      return this.addMemberAndRebalance(group, newMemberId, req, cb);
    }
    if (req.requireKnownMemberId) {
      // KIP-394: hand out the id first, so a client that times out and retries is one member.
      this.addPendingMember(group, newMemberId, req.sessionTimeoutMs);
      return cb(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    this.addMemberAndRebalance(group, newMemberId, req, cb);
  }

  private doCurrentMemberJoin(group: ClassicGroup, req: JoinGroupInput, cb: (r: JoinResult) => void): void {
    if (!group.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) return cb(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.pendingMembers.has(req.memberId)) {
      // A member that was given its id with MEMBER_ID_REQUIRED joins for real.
      if (req.groupInstanceId !== null) return cb(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return this.addMemberAndRebalance(group, req.memberId, req, cb);
    }
    const error = this.validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return cb(joinError(req.memberId, error));
    const member = group.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, cb, 'member joined during the rebalance');
      case 'CompletingRebalance':
        if (member.matches(req.protocols)) {
          // It missed the JoinGroup answer: give it again.
          return cb(this.joinResult(group, member.memberId, group.isLeader(member.memberId)));
        }
        return this.updateMemberAndRebalance(group, member, req, cb, 'member changed its metadata while the group waited for the assignment');
      case 'Stable':
        if (group.isLeader(member.memberId)) {
          // The leader rejoining forces a rebalance (e.g. the topics it watches changed).
          return this.updateMemberAndRebalance(group, member, req, cb, 'the leader rejoined');
        }
        if (!member.matches(req.protocols)) return this.updateMemberAndRebalance(group, member, req, cb, 'member changed its metadata');
        return cb(this.joinResult(group, member.memberId, false));
      default:
        this.logger.warn({ group: group.groupId, memberId: req.memberId, state: group.state }, 'rejoin in an unexpected group state');
        return cb(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private joinResult(group: ClassicGroup, memberId: string, withMembers: boolean): JoinResult {
    return {
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      skipAssignment: false,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, req: JoinGroupInput, cb: (r: JoinResult) => void): void {
    const member = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols);
    member.isNew = true;
    // A new member during the initial delay extends it.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    this.removePendingMember(group, memberId, false);
    group.add(member, cb);
    // A new member cannot heartbeat until it has its generation; its JoinGroup may wait this
    // long before the member is given up (it is expected to retry).
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    if (req.groupInstanceId !== null) group.staticMembers.set(req.groupInstanceId, memberId);
    this.maybePrepareRebalance(group, `new member ${memberId} joined${req.reason ? ` (${req.reason})` : ''}`);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: Member, req: JoinGroupInput, cb: (r: JoinResult) => void, reason: string): void {
    // A second JoinGroup from the same member while one is parked: Kafka drops the first
    // answer; strand answers it (REBALANCE_IN_PROGRESS, so a client still listening rejoins).
    if (member.joinCallback !== null) group.maybeInvokeJoinCallback(member, joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, cb);
    this.maybePrepareRebalance(group, `${reason}: ${member.memberId}${req.reason ? ` (${req.reason})` : ''}`);
  }

  private updateStaticMemberAndRebalance(group: ClassicGroup, oldMemberId: string, newMemberId: string, req: JoinGroupInput, cb: (r: JoinResult) => void): void {
    const instanceId = req.groupInstanceId!;
    const currentLeader = group.leaderId ?? '';
    const fenced = { join: joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID), sync: syncError(ErrorCode.FENCED_INSTANCE_ID) };
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId, fenced);
    this.scheduleHeartbeat(group, member);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, cb);
    switch (group.state) {
      case 'Stable': {
        if (group.selectProtocol() !== group.protocolName) {
          this.maybePrepareRebalance(group, `static member ${instanceId} rejoined with protocols that change the group's protocol`);
          return;
        }
        // Same protocol: keep the generation and assignment, persist the new member id.
        const error = this.storeGroup(group);
        if (error !== ErrorCode.NONE) {
          group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
          const back = group.replaceStaticMember(instanceId, newMemberId, oldMemberId, fenced);
          this.scheduleHeartbeat(group, back);
          cb({ ...this.joinResult(group, '', false), leaderId: currentLeader, errorCode: error });
          return;
        }
        const isLeader = group.isLeader(newMemberId);
        const result: JoinResult = req.supportsSkipAssignment
          // KIP-814: the leader learns the members but keeps the current assignment.
          ? { ...this.joinResult(group, newMemberId, isLeader), skipAssignment: isLeader }
          // Older clients cannot be told to skip the assignment: they are told the old leader
          // id, so they act as followers and fetch their assignment with SyncGroup.
          : { ...this.joinResult(group, newMemberId, false), leaderId: currentLeader };
        group.maybeInvokeJoinCallback(member, result);
        return;
      }
      case 'CompletingRebalance':
        // The leader may be assigning to the old member id: start over.
        this.prepareRebalance(group, `static member ${instanceId} rejoined while the group waited for the assignment`);
        return;
      default:
        // PreparingRebalance: it answers with everyone when the rebalance completes.
        return;
    }
  }

  // ---- SyncGroup -------------------------------------------------------------------------

  sync(req: SyncGroupInput): Promise<SyncResult> {
    return new Promise((resolve) => {
      try {
        this.doSync(req, resolve);
      } catch (err) {
        this.logger.error({ err, group: req.groupId }, 'SyncGroup failed');
        resolve(syncError(ErrorCode.UNKNOWN_SERVER_ERROR));
      }
    });
  }

  private doSync(req: SyncGroupInput, cb: (r: SyncResult) => void): void {
    const invalid = this.validateGroupId(req.groupId, false);
    if (invalid !== ErrorCode.NONE) return cb(syncError(invalid));
    const group = this.groups.get(req.groupId);
    if (group === undefined) return cb(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    const error = this.validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (error !== ErrorCode.NONE) return cb(syncError(error));
    if (req.generationId !== group.generationId) return cb(syncError(ErrorCode.ILLEGAL_GENERATION));
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return cb(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = group.get(req.memberId)!;
    switch (group.state) {
      case 'Empty':
        return cb(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return cb(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        if (member.syncCallback !== null) group.maybeInvokeSyncCallback(member, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.syncCallback = cb;
        this.removePendingSyncMember(group, member.memberId);
        if (!group.isLeader(member.memberId)) return;
        // The leader's assignment: members it left out get an empty one; unknown ids are ignored.
        const assignment = new Map<string, Buffer>();
        for (const a of req.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, Buffer.from(a.assignment));
        for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_BYTES);
        const stored = this.storeGroup(group, assignment);
        if (stored !== ErrorCode.NONE) {
          this.resetAndPropagateAssignmentError(group, stored);
          this.maybePrepareRebalance(group, 'the assignment could not be stored');
          return;
        }
        for (const m of group.members.values()) m.assignment = assignment.get(m.memberId)!;
        this.propagateAssignment(group, ErrorCode.NONE);
        group.transitionTo('Stable');
        this.logger.info({ group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName }, 'group is stable');
        return;
      }
      case 'Stable':
        this.removePendingSyncMember(group, member.memberId);
        cb({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
        this.scheduleHeartbeat(group, member);
        return;
      default:
        return cb(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private propagateAssignment(group: ClassicGroup, error: number): void {
    const ok = error === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const answered = group.maybeInvokeSyncCallback(m, { errorCode: error, protocolType: ok ? group.protocolType : null, protocolName: ok ? group.protocolName : null, assignment: m.assignment });
      // Heartbeats were not expected while it waited: expect them again from now.
      if (answered) this.scheduleHeartbeat(group, m);
    }
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, error: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, error);
  }

  // ---- Heartbeat -------------------------------------------------------------------------

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    const invalid = this.validateGroupId(groupId, false);
    if (invalid !== ErrorCode.NONE) return invalid;
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    const error = this.validateCurrentMember(group, memberId, groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.get(memberId)!;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
      case 'Stable':
        // Members may heartbeat between their JoinGroup answer and SyncGroup.
        this.scheduleHeartbeat(group, member);
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  // ---- LeaveGroup ------------------------------------------------------------------------

  leave(groupId: string, members: readonly MemberIdentity[]): LeaveResult {
    const invalid = this.validateGroupId(groupId, false);
    if (invalid !== ErrorCode.NONE) return { errorCode: invalid, members: [] };
    const group = this.groups.get(groupId);
    const answer = (m: MemberIdentity, errorCode: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    if (group === undefined) return { errorCode: ErrorCode.NONE, members: members.map((m) => answer(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    const out = members.map((m) => {
      const reason = `left the group${m.reason ? ` (${m.reason})` : ''}`;
      if (m.memberId === '') {
        // Removal by group.instance.id alone (an administrator removing a static member).
        const current = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
        if (current === undefined) return answer(m, ErrorCode.UNKNOWN_MEMBER_ID);
        this.removeMemberAndUpdateGroup(group, group.get(current)!, reason);
        return answer(m, ErrorCode.NONE);
      }
      if (group.pendingMembers.has(m.memberId)) {
        this.removePendingMember(group, m.memberId, true);
        return answer(m, ErrorCode.NONE);
      }
      const error = this.validateCurrentMember(group, m.memberId, m.groupInstanceId);
      if (error !== ErrorCode.NONE) return answer(m, error);
      this.logger.info({ group: groupId, memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason }, 'member left the group');
      this.removeMemberAndUpdateGroup(group, group.get(m.memberId)!, reason);
      return answer(m, ErrorCode.NONE);
    });
    return { errorCode: ErrorCode.NONE, members: out };
  }

  // ---- rebalance mechanics ---------------------------------------------------------------

  protected maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
  }

  protected prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for an assignment are told to rejoin.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.cancelSyncTimer(group);
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance');
    this.logger.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance');
    if (initial) {
      const delay = this.config.initialRebalanceDelayMs;
      this.scheduleJoin(group, true, delay, Math.max(group.rebalanceTimeoutMs() - delay, 0));
    } else {
      this.scheduleJoin(group, false, group.rebalanceTimeoutMs(), 0);
      this.tryCompleteJoin(group);
    }
  }

  private scheduleJoin(group: ClassicGroup, initial: boolean, delayMs: number, remainingMs: number): void {
    if (group.joinTimer !== null) clearTimeout(group.joinTimer.timer);
    const timer = setTimeout(() => this.onJoinTimer(group, t, delayMs), clampDelay(delayMs));
    timer.unref();
    const t = { timer, initial, remainingMs };
    group.joinTimer = t;
  }

  private onJoinTimer(group: ClassicGroup, t: ClassicGroup['joinTimer'], delayMs: number): void {
    if (group.joinTimer !== t || t === null) return;
    group.joinTimer = null;
    if (!this.active || this.groups.get(group.groupId) !== group || !group.is('PreparingRebalance')) return;
    try {
      if (t.initial && group.newMemberAdded && t.remainingMs !== 0) {
        // New members arrived during the initial delay: wait a little longer for more.
        group.newMemberAdded = false;
        const delay = Math.min(this.config.initialRebalanceDelayMs, t.remainingMs);
        this.scheduleJoin(group, true, delay, Math.max(t.remainingMs - delayMs, 0));
        return;
      }
      this.completeJoin(group);
    } catch (err) {
      this.logger.error({ err, group: group.groupId }, 'completing the rebalance failed');
    }
  }

  /** Complete the join phase now if every member has rejoined (never during the initial delay). */
  protected tryCompleteJoin(group: ClassicGroup): void {
    const t = group.joinTimer;
    if (t === null || t.initial || !group.hasAllMembersJoined()) return;
    clearTimeout(t.timer);
    group.joinTimer = null;
    this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    // Dynamic members that did not rejoin in time are gone; static ones keep their place.
    for (const m of group.notYetRejoinedMembers()) {
      if (m.isStatic) continue;
      this.logger.info({ group: group.groupId, memberId: m.memberId }, 'member did not rejoin in time; removed');
      this.cancelHeartbeat(m);
      group.maybeInvokeSyncCallback(m, syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      group.remove(m.memberId);
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined: wait another rebalance timeout for them
      // (or for their session timeouts to remove them).
      this.logger.warn({ group: group.groupId }, 'no member rejoined; waiting another rebalance timeout');
      this.scheduleJoin(group, false, group.rebalanceTimeoutMs(), 0);
      return;
    }
    group.initNextGeneration();
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is empty');
      const error = this.storeGroup(group);
      if (error !== ErrorCode.NONE) this.logger.warn({ group: group.groupId, error }, 'could not write the empty group metadata');
      return;
    }
    this.logger.info({ group: group.groupId, generation: group.generationId, members: group.size, leader: group.leaderId, protocol: group.protocolName }, 'rebalance: members joined');
    for (const m of [...group.members.values()]) {
      group.maybeInvokeJoinCallback(m, this.joinResult(group, m.memberId, group.isLeader(m.memberId)));
      this.scheduleHeartbeat(group, m);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    this.schedulePendingSync(group);
  }

  /** Members that do not send SyncGroup within the rebalance timeout are removed. */
  private schedulePendingSync(group: ClassicGroup): void {
    this.cancelSyncTimer(group);
    const generation = group.generationId;
    group.syncTimer = setTimeout(() => this.onExpirePendingSync(group, generation), clampDelay(group.rebalanceTimeoutMs()));
    group.syncTimer.unref();
  }

  private onExpirePendingSync(group: ClassicGroup, generation: number): void {
    group.syncTimer = null;
    if (!this.active || this.groups.get(group.groupId) !== group || generation !== group.generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    this.logger.info({ group: group.groupId, generation, members: missing }, 'members did not send SyncGroup in time; removed');
    for (const id of missing) {
      const m = group.get(id);
      if (m === undefined) continue;
      this.cancelHeartbeat(m);
      group.remove(id);
    }
    this.prepareRebalance(group, 'members did not send SyncGroup in time');
  }

  protected cancelSyncTimer(group: ClassicGroup): void {
    if (group.syncTimer !== null) clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.cancelSyncTimer(group);
  }

  protected removeMemberAndUpdateGroup(group: ClassicGroup, member: Member, reason: string): void {
    // A member removed while its JoinGroup waits (e.g. a new member timing out) is told to
    // rejoin without an id. Kafka leaves a parked SyncGroup of a removed member unanswered
    // (the client times out); strand answers it the same way, so no request hangs.
    group.maybeInvokeJoinCallback(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.maybeInvokeSyncCallback(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    this.cancelHeartbeat(member);
    group.remove(member.memberId);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, `${member.memberId} ${reason}`);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  // ---- timers ----------------------------------------------------------------------------

  protected scheduleHeartbeat(group: ClassicGroup, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    if (member.heartbeatTimer !== null) clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = setTimeout(() => this.onExpireHeartbeat(group, member), clampDelay(timeoutMs));
    member.heartbeatTimer.unref();
  }

  protected cancelHeartbeat(member: Member): void {
    if (member.heartbeatTimer !== null) clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = null;
  }

  private onExpireHeartbeat(group: ClassicGroup, member: Member): void {
    member.heartbeatTimer = null;
    if (!this.active || this.groups.get(group.groupId) !== group || group.get(member.memberId) !== member) return;
    // Waiting in JoinGroup or SyncGroup counts as alive (a new member's wait is bounded by
    // the new-member timeout instead); the rebalance answer restarts the timer.
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) return;
    try {
      this.logger.info({ group: group.groupId, memberId: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs }, 'member session expired; removing it from the group');
      this.removeMemberAndUpdateGroup(group, member, 'session timed out');
    } catch (err) {
      this.logger.error({ err, group: group.groupId }, 'removing an expired member failed');
    }
  }

  private addPendingMember(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    const timer = setTimeout(() => {
      if (group.pendingMembers.get(memberId) !== timer) return;
      this.logger.debug({ group: group.groupId, memberId }, 'pending member did not rejoin within its session timeout');
      this.removePendingMember(group, memberId, true);
      this.dropIfUnused(group);
    }, clampDelay(timeoutMs));
    timer.unref();
    group.pendingMembers.set(memberId, timer);
  }

  private removePendingMember(group: ClassicGroup, memberId: string, completeJoin: boolean): void {
    const timer = group.pendingMembers.get(memberId);
    if (timer === undefined) return;
    clearTimeout(timer);
    group.pendingMembers.delete(memberId);
    if (completeJoin && group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  /** Stop every timer of a group and answer everything parked in it with `error`. */
  protected unload(group: ClassicGroup, error: number): void {
    if (group.joinTimer !== null) clearTimeout(group.joinTimer.timer);
    group.joinTimer = null;
    this.cancelSyncTimer(group);
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    group.pendingMembers.clear();
    for (const m of group.members.values()) {
      this.cancelHeartbeat(m);
      group.maybeInvokeJoinCallback(m, joinError(m.memberId, error));
      group.maybeInvokeSyncCallback(m, syncError(error));
    }
  }

  // ---- persistence -----------------------------------------------------------------------

  /**
   * Write the group's metadata (members with their subscription for the chosen protocol, and
   * `assignment` or their current assignment). Returns the error code for the members.
   */
  protected storeGroup(group: ClassicGroup, assignment?: ReadonlyMap<string, Buffer>): number {
    const protocol = group.protocolName;
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY_BYTES : m.metadata(protocol),
        assignment: assignment?.get(m.memberId) ?? m.assignment,
      })),
    };
    try {
      this.topic.append(group.groupId, [{ key: encodeGroupMetadataKey(group.groupId), value: encodeGroupMetadataValue(value) }])
        .catch((err: unknown) => this.logger.error({ err, group: group.groupId }, 'flushing group metadata failed'));
      return ErrorCode.NONE;
    } catch (err) {
      this.logger.error({ err, group: group.groupId }, 'writing group metadata failed');
      return groupStoreError(err);
    }
  }
}
