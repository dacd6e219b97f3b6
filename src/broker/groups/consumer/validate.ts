/**
 * What a ConsumerGroupHeartbeat must satisfy before it touches a group, and the member epoch
 * checks, with Kafka's error codes and messages (GroupMetadataManager's
 * throwIfConsumerGroupHeartbeatRequestIsInvalid, throwIfConsumerGroupMemberEpochIsInvalid,
 * and ConsumerGroup.validateMemberEpoch).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import { type Assignment, isSubset } from './assignment.js';
import { type ConsumerGroup, type ConsumerMember, JOIN_GROUP_MEMBER_EPOCH, LEAVE_GROUP_MEMBER_EPOCH, LEAVE_GROUP_STATIC_MEMBER_EPOCH } from './group.js';
import type { HeartbeatInput } from './manager.js';

/** A refusal with Kafka's error code and message. */
export class Refusal {
  constructor(readonly errorCode: number, readonly message: string) {}
}

/** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid. */
export function validateHeartbeat(req: HeartbeatInput, active: boolean, assignors: readonly string[]): void {
  const invalid = (m: string) => new Refusal(ErrorCode.INVALID_REQUEST, m);
  if (!active) throw new Refusal(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group coordinator is shutting down');
  if (req.groupId.trim() === '') throw invalid("GroupId can't be empty.");
  if (req.instanceId !== null && req.instanceId.trim() === '') throw invalid("InstanceId can't be empty.");
  if (req.rackId !== null && req.rackId.trim() === '') throw invalid("RackId can't be empty.");
  if (req.apiVersion >= 1 && req.memberId.trim() === '') throw invalid("MemberId can't be empty.");
  if (req.memberEpoch > 0 || req.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
    if (req.memberId.trim() === '') throw invalid("MemberId can't be empty.");
  } else if (req.memberEpoch === JOIN_GROUP_MEMBER_EPOCH) {
    if (req.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
    if (req.topicPartitions === null || req.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
    if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) throw invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
  } else if (req.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
    if (req.memberId.trim() === '') throw invalid("MemberId can't be empty.");
    if (req.instanceId === null) throw invalid("InstanceId can't be null.");
  } else throw invalid('MemberEpoch is invalid.');
  if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '') compileRegex(req.subscribedTopicRegex);
  if (req.serverAssignor !== null && !assignors.includes(req.serverAssignor)) {
    throw new Refusal(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${assignors.join(', ')}.`);
  }
}

/** Kafka 4.0's INVALID_REGULAR_EXPRESSION (not in Kafka 3.9's error table). */
const INVALID_REGULAR_EXPRESSION = 128;
const compiled = new Map<string, RegExp>();

/**
 * A subscription regex, matched against whole topic names as Kafka's RE2J Pattern.matches does
 * (JavaScript's syntax is a superset of RE2's for what clients send). Invalid: INVALID_REGULAR_EXPRESSION.
 */
export function compileRegex(source: string): RegExp {
  let re = compiled.get(source);
  if (re !== undefined) return re;
  try {
    re = new RegExp(`^(?:${source})$`, 'u');
  } catch (err) {
    throw new Refusal(INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${source}\` is not a valid regular expression: ${(err as Error).message}.`);
  }
  if (compiled.size > 1000) compiled.clear();
  compiled.set(source, re);
  return re;
}

/** Kafka's validateMemberEpoch for offset commits: newer than known is fenced, older is stale. */
export function memberEpochError(received: number, expected: number): number {
  if (received > expected) return ErrorCode.FENCED_MEMBER_EPOCH;
  if (received < expected) return ErrorCode.STALE_MEMBER_EPOCH;
  return ErrorCode.NONE;
}

/**
 * Kafka's throwIfConsumerGroupMemberEpochIsInvalid: a newer epoch than known, or an older one
 * that is not the previous epoch with owned partitions inside the current assignment, fences
 * the member (it must give up its partitions and rejoin with epoch 0).
 */
export function throwIfMemberEpochIsInvalid(member: ConsumerMember, received: number, owned: Assignment | null): void {
  if (received > member.memberEpoch) {
    throw new Refusal(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
  if (received < member.memberEpoch && (received !== member.previousMemberEpoch || owned === null || !isSubset(owned, member.assigned))) {
    throw new Refusal(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
}

/** Kafka's ConsumerGroup.validateOffsetCommit (and, for transactional commits, its member epoch check). */
export function validateOffsetCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, apiVersion: number | undefined, transactional = false, groupInstanceId: string | null = null): number {
  if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
  // TxnOffsetCommit need not name a member; its fields are checked only when given.
  if (transactional && memberEpoch === -1 && memberId === '' && groupInstanceId === null) return ErrorCode.NONE;
  const member = group.members.get(memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  // A classic member commits with its generation, which is its member epoch: any other is ILLEGAL_GENERATION.
  if (member.classic !== null) return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  if (!transactional && apiVersion !== undefined && apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
  return memberEpochError(memberEpoch, member.memberEpoch);
}

/** Kafka's ConsumerGroup.validateOffsetFetch: an admin (epoch < 0) may always read. */
export function validateOffsetFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): number {
  if (memberEpoch < 0) return ErrorCode.NONE;
  const member = memberId === null ? undefined : group.members.get(memberId);
  if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (memberEpoch === member.memberEpoch) return ErrorCode.NONE;
  return member.classic !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
}
