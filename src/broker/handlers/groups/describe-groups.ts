/**
 * DescribeGroups (15), v0-5: state, protocol and members of each group (member metadata and
 * assignments only while Stable, as in Kafka). An unknown group is "Dead" with no error.
 * v3+ may ask for the authorized operations: without an authorizer, all of a group's
 * (READ, DELETE, DESCRIBE). v4+ shows group.instance.id.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../protocol/messages/describe-groups.js';
import type { Handler } from '../../context.js';
import { coordinator } from './common.js';

/** READ(3), DELETE(6), DESCRIBE(8): every operation on a group. */
export const GROUP_OPERATIONS = [3, 6, 8].reduce((bits, op) => bits | (1 << op), 0);
const NOT_REQUESTED = -2147483648;

export const handleDescribeGroups: Handler<DescribeGroupsRequest, DescribeGroupsResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : NOT_REQUESTED;
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      if (c === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: ops };
      return { ...c.describeGroup(groupId), authorizedOperations: ops };
    }),
  };
};
