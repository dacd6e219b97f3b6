/**
 * JoinGroup (11), v0-9. v0 has no rebalance timeout (the session timeout stands in, as in
 * Kafka); v4+ requires a known member id (MEMBER_ID_REQUIRED first); v5+ carries
 * group.instance.id; v7+ answers the protocol type and a nullable protocol name (older
 * versions get "" for none); v9 can tell a rejoining static leader to skip the assignment.
 * The answer comes when the rebalance completes; a member joining a live consumer-protocol
 * group (KIP-848) is answered at once by that group (groups/consumer/classic.ts).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../../protocol/messages/join-group.js';
import type { Handler } from '../../context.js';
import type { JoinResult } from '../../groups/member.js';
import type { JoinGroupInput } from '../../groups/membership.js';
import { clientHost, coordinator, unavailable } from './common.js';

function response(r: JoinResult, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: r.protocolType,
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leaderId,
    skipAssignment: r.skipAssignment,
    memberId: r.memberId,
    members: r.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
}

export const handleJoinGroup: Handler<JoinGroupRequest, JoinGroupResponse> = async (req, ctx) => {
  const v = ctx.apiVersion;
  const c = coordinator(ctx, req.groupId);
  if (c === undefined) {
    return response({ errorCode: unavailable(ctx, req.groupId), memberId: req.memberId, generationId: -1, protocolType: null, protocolName: null, leaderId: '', skipAssignment: false, members: [] }, v);
  }
  const input: JoinGroupInput = {
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    requireKnownMemberId: v >= 4,
    supportsSkipAssignment: v >= 9,
    clientId: ctx.clientId ?? '',
    clientHost: clientHost(ctx),
    rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType,
    // Copies: the request frame's bytes are not kept.
    protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
    reason: req.reason,
  };
  // A consumer-protocol group under this id (KIP-848): a live one hosts the classic member
  // (Kafka's classicGroupJoinToConsumerGroup); an empty one turns classic first.
  const consumerGroup = c.consumer.get(req.groupId);
  if (consumerGroup !== undefined && consumerGroup.members.size > 0) return response(await c.consumer.classic.join(input), v);
  const crossProtocol = c.consumer.downgradeForClassicJoin(req.groupId);
  if (crossProtocol !== ErrorCode.NONE) {
    return response({ errorCode: crossProtocol, memberId: req.memberId, generationId: -1, protocolType: null, protocolName: null, leaderId: '', skipAssignment: false, members: [] }, v);
  }
  return response(await c.join(input), v);
};
