/**
 * The machinery under group membership (Kafka's rebalance purgatories, as timers): the join
 * phase and its timeouts, including `group.initial.rebalance.delay.ms` for a new group; the
 * pending-sync timeout after it; member session timers and pending member ids; writing group
 * metadata; and the checks every group API shares. membership.ts drives it from the requests.
 *
 * - The join phase ends when every member has rejoined (never early during an initial delay)
 *   or when the rebalance timeout (the longest of the members') ends; dynamic members that
 *   did not rejoin are dropped, static ones keep their place.
 * - Members that do not send SyncGroup within the rebalance timeout after it are dropped and
 *   the group rebalances again.
 * - A member's heartbeat timer is its session timeout (the new-member timeout while it first
 *   joins); waiting in a JoinGroup or SyncGroup counts as alive.
 *
 * Timers are unref'd so a broker never stays alive for a group.
 */
import type { Logger } from 'pino';
import { StrandError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import type { GroupConfig } from './config.js';
import type { ClassicGroup } from './group.js';
import { EMPTY_BYTES, type JoinResult, type Member, joinError, syncError } from './member.js';
import type { OffsetsTopic } from './offsets-topic.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue } from './records.js';

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

export abstract class GroupRebalancer {
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

  // ---- answers ---------------------------------------------------------------------------

  protected joinResult(group: ClassicGroup, memberId: string, withMembers: boolean): JoinResult {
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

  protected propagateAssignment(group: ClassicGroup, error: number): void {
    const ok = error === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const answered = group.maybeInvokeSyncCallback(m, { errorCode: error, protocolType: ok ? group.protocolType : null, protocolName: ok ? group.protocolName : null, assignment: m.assignment });
      // Heartbeats were not expected while it waited: expect them again from now.
      if (answered) this.scheduleHeartbeat(group, m);
    }
  }

  protected resetAndPropagateAssignmentError(group: ClassicGroup, error: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, error);
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

  protected removePendingSyncMember(group: ClassicGroup, memberId: string): void {
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

  protected addPendingMember(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    const timer = setTimeout(() => {
      if (group.pendingMembers.get(memberId) !== timer) return;
      this.logger.debug({ group: group.groupId, memberId }, 'pending member did not rejoin within its session timeout');
      this.removePendingMember(group, memberId, true);
      this.dropIfUnused(group);
    }, clampDelay(timeoutMs));
    timer.unref();
    group.pendingMembers.set(memberId, timer);
  }

  protected removePendingMember(group: ClassicGroup, memberId: string, completeJoin: boolean): void {
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
    const value = group.metadataValue(assignment);
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
