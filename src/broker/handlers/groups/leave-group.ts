/**
 * LeaveGroup (13), v0-5. v0-2 name one member and answer with one error code; v3+ (KIP-345)
 * name a batch of members, by member id and/or group.instance.id, each answered on its own.
 * For v0-2 the member's error becomes the top-level error, as Kafka does. Classic members of a
 * consumer-protocol group (KIP-848) leave that group (groups/consumer/classic.ts).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../../protocol/messages/leave-group.js';
import type { Handler } from '../../context.js';
import { coordinator, unavailable } from './common.js';

export const handleLeaveGroup: Handler<LeaveGroupRequest, LeaveGroupResponse> = async (req, ctx) => {
  const v = ctx.apiVersion;
  const members = v >= 3 ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: m.reason })) : [{ memberId: req.memberId, groupInstanceId: null }];
  const c = coordinator(ctx, req.groupId);
  if (c === undefined) return { throttleTimeMs: 0, errorCode: unavailable(ctx, req.groupId), members: [] };
  // Classic members hosted by a consumer-protocol group (KIP-848) leave it as members of that group.
  const r = c.consumer.get(req.groupId) !== undefined ? await c.consumer.classic.leave(req.groupId, members) : c.leave(req.groupId, members);
  if (v >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  const first = r.members.find((m) => m.errorCode !== ErrorCode.NONE);
  return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : (first?.errorCode ?? ErrorCode.NONE), members: [] };
};
