/**
 * When a live group changes protocol, under group.consumer.migration.policy, as Kafka 4.0's
 * GroupMetadataManager decides it (the conversions themselves are in migration.ts):
 *
 * - upgrade (validateOnlineUpgrade): a consumer-protocol member joins a live classic group that
 *   uses the consumer protocol type, is no larger than group.consumer.max.size, and the policy
 *   allows upgrades; otherwise GROUP_ID_NOT_FOUND "Group X is not a consumer group.";
 * - downgrade (validateOnlineDowngradeWithFencedMember): the last consumer-protocol member
 *   leaves or is fenced while classic members remain, no more than group.max.size, and the
 *   policy allows downgrades; the classic group then rebalances;
 * - downgrade without a rebalance (validateOnlineDowngradeWithReplacedMemberId): a classic
 *   static member took the place of the last consumer-protocol member.
 */
import type { RecordInput } from '../../../format/record.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { type ClassicGroup, CONSUMER_PROTOCOL_TYPE } from '../group.js';
import type { ConsumerGroup, ConsumerMember } from './group.js';
import type { ConsumerGroups } from './manager.js';
import { classicGroupFromConsumer, consumerGroupFromClassic } from './migration.js';
import { Refusal } from './validate.js';

export class GroupMigrator {
  constructor(private readonly m: ConsumerGroups) {}

  /** Kafka's convertToConsumerGroup: the consumer group that replaces the live classic group `classic`, its records appended to `records`. */
  upgrade(classic: ClassicGroup, records: RecordInput[], now: number): ConsumerGroup {
    const c = this.m.c;
    const why = !c.config.consumerMigration.upgrade ? 'the online upgrade is disabled'
      : classic.protocolType !== CONSUMER_PROTOCOL_TYPE ? 'the group does not use the consumer embedded protocol'
      : classic.size > c.config.consumerMaxSize ? 'the group size exceeds the consumer group maximum size'
      : null;
    if (why !== null) {
      c.logger.info({ group: classic.groupId }, `cannot upgrade the classic group to a consumer group because ${why}`);
      throw new Refusal(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${classic.groupId} is not a consumer group.`);
    }
    const converted = consumerGroupFromClassic(classic, (name) => c.core.topics.get(name)?.topicId, now);
    records.push(...converted.records);
    c.releaseClassicGroup(classic.groupId);
    this.m.groups.set(classic.groupId, converted.group);
    for (const member of converted.group.members.values()) this.m.timers.session(converted.group, member);
    c.logger.info({ group: classic.groupId, members: converted.group.members.size, groupEpoch: converted.group.groupEpoch }, 'converted the classic group to a consumer group');
    return converted.group;
  }

  /** When `member` is the last consumer-protocol member and may go this way, the group turns classic without it: the records; else null. */
  downgradeWithout(group: ConsumerGroup, member: ConsumerMember, why: string, now: number): RecordInput[] | null {
    if (!group.allMembersUseClassicProtocolExcept(member.memberId) || group.members.size <= 1 || !this.allowed(group, group.members.size - 1)) return null;
    this.m.c.logger.info({ group: group.groupId, memberId: member.memberId }, `member ${why}; only classic members remain`);
    return this.toClassic(group, member.memberId, now);
  }

  /** A classic static member replaced `replaced`: when that was the last consumer-protocol member, the group turns classic (no rebalance): the records; else null. */
  downgradeAfterReplacement(group: ConsumerGroup, replaced: ConsumerMember, now: number): RecordInput[] | null {
    if (replaced.classic !== null || group.classicMemberCount() !== group.members.size || !this.allowed(group, group.members.size)) return null;
    this.m.c.logger.info({ group: group.groupId, replaced: replaced.memberId }, 'a classic static member replaced the last consumer-protocol member');
    return this.toClassic(group, null, now);
  }

  private allowed(group: ConsumerGroup, classicSize: number): boolean {
    const c = this.m.c;
    const why = !c.config.consumerMigration.downgrade ? 'the online downgrade is disabled'
      : classicSize > c.config.maxSize ? 'its group size is greater than the classic group max size'
      : null;
    if (why !== null) c.logger.info({ group: group.groupId }, `cannot downgrade the consumer group to a classic group because ${why}`);
    return why === null;
  }

  /** Kafka's convertToClassicGroup: the group's records go, the classic group's are written, and it rebalances when a member left. */
  private toClassic(group: ConsumerGroup, leavingMemberId: string | null, now: number): RecordInput[] {
    const c = this.m.c;
    for (const member of group.members.values()) this.m.timers.clear(member);
    const { classic, records } = classicGroupFromConsumer(group, leavingMemberId, (id) => c.core.topics.byId(id)?.name, now);
    this.m.groups.delete(group.groupId);
    group.dead = true;
    c.adoptDowngradedGroup(classic, leavingMemberId !== null);
    c.logger.info({ group: group.groupId, members: classic.size, generation: classic.generationId }, 'converted the consumer group to a classic group');
    return records;
  }
}
