/**
 * Heartbeat (12), v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
 * rejoin. v3+ carries group.instance.id. Classic members of a consumer-protocol group
 * (KIP-848) are answered by that group (groups/consumer/classic.ts).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../../protocol/messages/heartbeat.js';
import type { Handler } from '../../context.js';
import { coordinator, unavailable } from './common.js';

export const handleHeartbeat: Handler<HeartbeatRequest, HeartbeatResponse> = (req, ctx) => {
  const c = coordinator(ctx, req.groupId);
  const errorCode = c === undefined ? unavailable(ctx, req.groupId)
    // A classic member hosted by a consumer-protocol group (KIP-848).
    : c.consumer.get(req.groupId) !== undefined ? c.consumer.classic.heartbeat(req.groupId, req.memberId, req.groupInstanceId, req.generationId)
    : c.heartbeat(req.groupId, req.memberId, req.groupInstanceId, req.generationId);
  return { throttleTimeMs: 0, errorCode };
};
