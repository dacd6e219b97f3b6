/**
 * Group membership, as Kafka's classic GroupCoordinator does it: JoinGroup, SyncGroup,
 * Heartbeat and LeaveGroup (the timers and checks under them are in rebalance.ts).
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
import { ErrorCode } from '../../protocol/error-codes.js';
import { NEW_MEMBER_JOIN_TIMEOUT_MS } from './config.js';
import { ClassicGroup } from './group.js';
import { EMPTY_BYTES, type JoinResult, Member, type Protocol, type SyncResult, joinError, syncError } from './member.js';
import { GroupRebalancer } from './rebalance.js';

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

export abstract class GroupMembership extends GroupRebalancer {
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
}
