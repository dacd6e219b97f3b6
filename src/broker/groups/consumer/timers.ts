/**
 * The timers of consumer group members, as Kafka's GroupMetadataManager schedules them; each
 * fences the member when it fires (which may turn the group classic: ConsumerGroups.fenceOrDowngrade):
 *
 * - session: a member that sends nothing for `group.consumer.session.timeout.ms` (a classic
 *   member: the session timeout it joined with);
 * - rebalance: a member that does not revoke within its rebalance timeout;
 * - join and sync (classic members): one told to rejoin that does not within its rebalance
 *   timeout, and one that joined and does not send SyncGroup within it.
 *
 * Timers are unref'd so a broker never stays alive for a group.
 */
import { type ConsumerGroup, type ConsumerMember, MemberState } from './group.js';
import type { ConsumerGroups } from './manager.js';

const MAX_DELAY = 2 ** 31 - 1;

export type ClassicTimer = 'joinTimer' | 'syncTimer';

export class MemberTimers {
  constructor(private readonly m: ConsumerGroups) {}

  session(group: ConsumerGroup, member: ConsumerMember): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      member.sessionTimer = null;
      this.fence(group, member, 'fenced: session timed out');
    }, Math.min(member.classic?.sessionTimeoutMs ?? this.m.c.config.consumerSessionTimeoutMs, MAX_DELAY));
    member.sessionTimer.unref();
  }

  rebalance(group: ConsumerGroup, member: ConsumerMember): void {
    this.cancelRebalance(member);
    const epoch = member.memberEpoch;
    member.rebalanceTimer = setTimeout(() => {
      member.rebalanceTimer = null;
      if (member.memberEpoch !== epoch || member.state !== MemberState.UnrevokedPartitions) return;
      this.fence(group, member, 'fenced: did not revoke its partitions within its rebalance timeout');
    }, Math.min(Math.max(0, member.rebalanceTimeoutMs), MAX_DELAY));
    member.rebalanceTimer.unref();
  }

  cancelRebalance(member: ConsumerMember): void {
    if (member.rebalanceTimer !== null) clearTimeout(member.rebalanceTimer);
    member.rebalanceTimer = null;
  }

  /**
   * A classic member's join timeout (it was told to rejoin; kept if already running) or sync
   * timeout (it joined and must sync), each its rebalance timeout long (Kafka's
   * scheduleConsumerGroupJoinTimeoutIfAbsent / scheduleConsumerGroupSyncTimeout).
   */
  classic(group: ConsumerGroup, member: ConsumerMember, which: ClassicTimer, ifAbsent: boolean): void {
    if (ifAbsent && member[which] !== null) return;
    this.cancelClassic(member, which);
    const why = which === 'joinTimer' ? 'fenced: the classic member failed to join within the rebalance timeout' : 'fenced: the member failed to sync within timeout';
    member[which] = setTimeout(() => {
      member[which] = null;
      this.fence(group, member, why);
    }, Math.min(Math.max(0, member.rebalanceTimeoutMs), MAX_DELAY));
    member[which].unref();
  }

  cancelClassic(member: ConsumerMember, which: ClassicTimer): void {
    if (member[which] !== null) clearTimeout(member[which]);
    member[which] = null;
  }

  clear(member: ConsumerMember): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    this.cancelRebalance(member);
    this.cancelClassic(member, 'joinTimer');
    this.cancelClassic(member, 'syncTimer');
  }

  /** Loaded members get a full session to come back, as Kafka schedules on load. */
  loaded(group: ConsumerGroup): void {
    for (const m of group.members.values()) {
      this.session(group, m);
      if (m.state === MemberState.UnrevokedPartitions) this.rebalance(group, m);
    }
  }

  /** Only a member still in its group (the group still this broker's) is fenced. */
  private fence(group: ConsumerGroup, member: ConsumerMember, why: string): void {
    if (group.members.get(member.memberId) !== member || this.m.groups.get(group.groupId) !== group || !this.m.c.isActive) return;
    void this.m.write(group.groupId, this.m.fenceOrDowngrade(group, member, why, Date.now()));
  }
}
