/**
 * SyncGroup (14), v0-5: members collect their assignment; the leader's request carries
 * everyone's. v3+ carries group.instance.id; v5 the protocol type and name, which must match
 * the group's (INCONSISTENT_GROUP_PROTOCOL otherwise). The answer waits for the leader; in a
 * consumer-protocol group (KIP-848) it is the coordinator's assignment at once.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../../protocol/messages/sync-group.js';
import type { Handler } from '../../context.js';
import { EMPTY_BYTES } from '../../groups/member.js';
import { coordinator, unavailable } from './common.js';

export const handleSyncGroup: Handler<SyncGroupRequest, SyncGroupResponse> = async (req, ctx) => {
  const c = coordinator(ctx, req.groupId);
  if (c === undefined) return { throttleTimeMs: 0, errorCode: unavailable(ctx, req.groupId), protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
  const input = {
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    protocolType: req.protocolType,
    protocolName: req.protocolName,
    assignments: req.assignments,
  };
  // A classic member hosted by a consumer-protocol group (KIP-848) gets the assignment the coordinator computed.
  const r = c.consumer.get(req.groupId) !== undefined ? c.consumer.classic.sync(input) : await c.sync(input);
  return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
};
