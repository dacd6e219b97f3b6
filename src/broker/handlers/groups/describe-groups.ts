/**
 * DescribeGroups (15), v0-5: state, protocol and members of each group (member metadata and
 * assignments only while Stable, as in Kafka). An unknown group is "Dead" with no error.
 * v3+ may ask for the authorized operations: without an authorizer, all of a group's
 * (authorized-operations.ts). v4+ shows group.instance.id.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../protocol/messages/describe-groups.js';
import { GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../authorized-operations.js';
import type { Handler } from '../../context.js';
import { coordinator, unavailable } from './common.js';

export const handleDescribeGroups: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      // As Kafka, a group answered with an error keeps the default (no operations).
      if (c === undefined || coordinator(ctx, groupId) === undefined) return { errorCode: unavailable(ctx, groupId), groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
      const group = c.describeGroup(groupId);
      return { ...group, authorizedOperations: group.errorCode === ErrorCode.NONE ? ops : OPERATIONS_NOT_REQUESTED };
    }),
  };
};
