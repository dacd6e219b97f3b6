/**
 * ConsumerGroupDescribe (69), v0: consumer-protocol groups (KIP-848) with their epochs, the
 * assignor in use, and each member's current and target assignment, as Kafka's
 * ConsumerGroup.asDescribedGroup answers. An unknown group, or a classic one, gets
 * GROUP_ID_NOT_FOUND for that group only.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse, ConsumerGroupDescribeResponseAssignment } from '../../../protocol/messages/consumer-group-describe.js';
import { GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../authorized-operations.js';
import type { Handler, RequestContext } from '../../context.js';
import { type Assignment, toTopicPartitions } from '../../groups/consumer/assignment.js';
import { coordinator, unavailable } from './common.js';

function described(a: Assignment, ctx: RequestContext): ConsumerGroupDescribeResponseAssignment {
  return { topicPartitions: toTopicPartitions(a).map((tp) => ({ ...tp, topicName: ctx.broker.topics.byId(tp.topicId)?.name ?? '' })) };
}

export const handleConsumerGroupDescribe: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  const ops = req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  const failed = (groupId: string, errorCode: number, errorMessage: string | null) => ({ errorCode, errorMessage, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED });
  return {
    throttleTimeMs: 0,
    groups: req.groupIds.map((groupId) => {
      if (c === undefined || coordinator(ctx, groupId) === undefined) return failed(groupId, unavailable(ctx, groupId), null);
      if (groupId === '') return failed(groupId, ErrorCode.INVALID_GROUP_ID, null);
      const g = c.consumer.get(groupId);
      if (g === undefined) return failed(groupId, ErrorCode.GROUP_ID_NOT_FOUND, c.groups.has(groupId) ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`);
      return {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        groupId,
        groupState: g.state,
        groupEpoch: g.groupEpoch,
        assignmentEpoch: g.assignmentEpoch,
        assignorName: g.preferredAssignor(c.config.consumerAssignors[0]!, c.config.consumerAssignors),
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          instanceId: m.instanceId,
          rackId: m.rackId,
          memberEpoch: m.memberEpoch,
          clientId: m.clientId,
          clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex,
          assignment: described(m.assigned, ctx),
          targetAssignment: described(g.targetAssignment.get(m.memberId) ?? new Map(), ctx),
        })),
        authorizedOperations: ops,
      };
    }),
  };
};
