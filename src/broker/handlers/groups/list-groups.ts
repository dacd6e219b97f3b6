/**
 * ListGroups (16), v0-5: every group this broker coordinates. v4+ filter by state
 * (case-insensitive: Empty, Stable, PreparingRebalance, CompletingRebalance, Dead, and the
 * consumer groups' Assigning, Reconciling) and v5+ by type ("classic", "consumer" for KIP-848).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../../../protocol/messages/list-groups.js';
import type { Handler } from '../../context.js';
import { coordinator } from './common.js';

export const handleListGroups: Handler<ListGroupsRequest, ListGroupsResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  if (c === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  const v = ctx.apiVersion;
  const r = c.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
  return { throttleTimeMs: 0, errorCode: r.errorCode, groups: r.groups };
};
