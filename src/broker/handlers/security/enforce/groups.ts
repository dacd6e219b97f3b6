/**
 * Authorization of the group APIs as Kafka's KafkaApis checks them: READ on the group to join,
 * sync, heartbeat, leave and commit; DESCRIBE to find its coordinator, describe it and fetch its
 * offsets; DELETE to delete it or its offsets; READ on a topic to commit or delete its offsets,
 * DESCRIBE to fetch them. A denied group gets GROUP_AUTHORIZATION_FAILED, a denied topic
 * TOPIC_AUTHORIZATION_FAILED per partition.
 */
import { KafkaErrorCode } from '../../../../errors.js';
import type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from '../../../../protocol/messages/consumer-group-describe.js';
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '../../../../protocol/messages/consumer-group-heartbeat.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../../../protocol/messages/delete-groups.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../../protocol/messages/describe-groups.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../../../protocol/messages/find-coordinator.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../../../../protocol/messages/list-groups.js';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../../../../protocol/messages/offset-commit.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../../../protocol/messages/offset-delete.js';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../../../protocol/messages/offset-fetch.js';
import type { Complete } from '../../../../protocol/types.js';
import { ResourceType } from '../../../../security/acl/index.js';
import { GROUP_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../../authorized-operations.js';
import type { Handler } from '../../../context.js';
import { type Access, accessOf, type Guard, Op, split } from './guard.js';

const GROUP_DENIED = KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
const TOPIC_DENIED = KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED;

/** An API about one group (`groupId`) that needs `op` on it; `refuse` is the whole answer when denied. */
export function oneGroup<Req extends { groupId: string }, Res>(op: number, refuse: (req: Complete<Req>) => Res): Guard {
  return (inner: Handler<Req, Res>): Handler<Req, Res> => (req, ctx) => {
    const a = accessOf(ctx);
    return a === null || a.group(op, req.groupId) ? inner(req, ctx) : refuse(req);
  };
}

export const guardJoinGroup = oneGroup<{ groupId: string; memberId: string }, unknown>(Op.READ, (req) => ({
  throttleTimeMs: 0, errorCode: GROUP_DENIED, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: req.memberId, members: [],
}));
export const guardSyncGroup = oneGroup(Op.READ, () => ({ throttleTimeMs: 0, errorCode: GROUP_DENIED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }));
export const guardHeartbeat = oneGroup(Op.READ, () => ({ throttleTimeMs: 0, errorCode: GROUP_DENIED }));
export const guardLeaveGroup = oneGroup(Op.READ, () => ({ throttleTimeMs: 0, errorCode: GROUP_DENIED, members: [] }));

export const guardConsumerGroupHeartbeat = (inner: Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse>): Handler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> => (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const refuse = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null });
  if (!a.group(Op.READ, req.groupId)) return refuse(GROUP_DENIED, null);
  // Kafka 3.9's consumerGroupHeartbeat: every subscribed topic needs DESCRIBE.
  const unauthorized = (req.subscribedTopicNames ?? []).filter((t) => !a.topic(Op.DESCRIBE, t));
  if (unauthorized.length > 0) return refuse(TOPIC_DENIED, `The following topics are unauthorized: ${unauthorized.sort().join(', ')}`);
  return inner(req, ctx);
};

export const guardOffsetCommit = (inner: Handler<OffsetCommitRequest, OffsetCommitResponse>): Handler<OffsetCommitRequest, OffsetCommitResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const answer = (topics: typeof req.topics, code: number) => topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) }));
  if (!a.group(Op.READ, req.groupId)) return { throttleTimeMs: 0, topics: answer(req.topics, GROUP_DENIED) };
  const [allowed, denied] = split(req.topics, (t) => a.topic(Op.READ, t.name));
  if (denied.length === 0) return inner(req, ctx);
  const res = allowed.length > 0 ? await inner({ ...req, topics: allowed }, ctx) : { throttleTimeMs: 0, topics: [] };
  return res === null ? null : { ...res, topics: [...res.topics, ...answer(denied, TOPIC_DENIED)] };
};

type FetchTopics = Array<{ name: string; partitionIndexes: number[] }> | null;
const unauthorizedPartition = (p: number) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: TOPIC_DENIED });

/** OffsetFetch's topics for one group: all-topics answers lose what may not be described; named ones are refused per partition. */
function fetchTopics<T extends { name: string }>(a: Access, asked: FetchTopics): { keep: FetchTopics; deniedAnswer: Array<{ name: string; partitions: ReturnType<typeof unauthorizedPartition>[] }>; visible: (t: T) => boolean } {
  if (asked === null) return { keep: null, deniedAnswer: [], visible: (t) => a.topic(Op.DESCRIBE, t.name) };
  const [allowed, denied] = split(asked, (t) => a.topic(Op.DESCRIBE, t.name));
  return { keep: allowed, deniedAnswer: denied.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map(unauthorizedPartition) })), visible: () => true };
}

export const guardOffsetFetch = (inner: Handler<OffsetFetchRequest, OffsetFetchResponse>): Handler<OffsetFetchRequest, OffsetFetchResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  if (ctx.apiVersion <= 7) {
    const groupId = req.groupId ?? '';
    if (!a.group(Op.DESCRIBE, groupId)) return { throttleTimeMs: 0, topics: [], errorCode: GROUP_DENIED };
    const { keep, deniedAnswer, visible } = fetchTopics(a, req.topics ?? null);
    // An emptied list would mean "no topics" at v2+ but must still be asked, for the group's error.
    const res = await inner({ ...req, topics: keep }, ctx);
    if (res === null) return null;
    return { ...res, topics: [...(res.topics ?? []).filter(visible), ...deniedAnswer] };
  }
  const groups = req.groups ?? [];
  const [allowed, denied] = split(groups, (g) => a.group(Op.DESCRIBE, g.groupId));
  const perGroup = new Map(allowed.map((g) => [g.groupId, fetchTopics(a, g.topics)]));
  const res = allowed.length > 0
    ? await inner({ ...req, groups: allowed.map((g) => ({ ...g, topics: perGroup.get(g.groupId)!.keep })) }, ctx)
    : { throttleTimeMs: 0, groups: [] };
  if (res === null) return null;
  const answered = (res.groups ?? []).map((g) => {
    const f = perGroup.get(g.groupId);
    return f === undefined ? g : { ...g, topics: [...g.topics.filter(f.visible), ...f.deniedAnswer] };
  });
  return { ...res, groups: [...answered, ...denied.map((g) => ({ groupId: g.groupId, topics: [], errorCode: GROUP_DENIED }))] };
};

export const guardFindCoordinator = (inner: Handler<FindCoordinatorRequest, FindCoordinatorResponse>): Handler<FindCoordinatorRequest, FindCoordinatorResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const txn = req.keyType === 1;
  const code = txn ? KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : GROUP_DENIED;
  const ok = (key: string) => (txn ? a.txn(Op.DESCRIBE, key) : a.group(Op.DESCRIBE, key));
  if (ctx.apiVersion <= 3) {
    return ok(req.key ?? '') ? inner(req, ctx) : { throttleTimeMs: 0, errorCode: code, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: [] };
  }
  const [allowed, denied] = split(req.coordinatorKeys ?? [], ok);
  if (denied.length === 0) return inner(req, ctx);
  const res = allowed.length > 0 ? await inner({ ...req, coordinatorKeys: allowed }, ctx) : { throttleTimeMs: 0, coordinators: [] };
  if (res === null) return null;
  return { ...res, coordinators: [...(res.coordinators ?? []), ...denied.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: code, errorMessage: null }))] };
};

export const guardDescribeGroups = (inner: Handler<DescribeGroupsRequest, DescribeGroupsResponse>): Handler<DescribeGroupsRequest, DescribeGroupsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const [allowed, denied] = split(req.groups, (g) => a.group(Op.DESCRIBE, g));
  const res = allowed.length > 0 ? await inner({ ...req, groups: allowed }, ctx) : { throttleTimeMs: 0, groups: [] };
  if (res === null) return null;
  const ops = req.includeAuthorizedOperations === true;
  return {
    ...res,
    groups: [
      ...res.groups.map((g) => (ops && g.authorizedOperations !== OPERATIONS_NOT_REQUESTED ? { ...g, authorizedOperations: a.operations(ResourceType.GROUP, g.groupId) & GROUP_OPERATIONS } : g)),
      ...denied.map((groupId) => ({ errorCode: GROUP_DENIED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED })),
    ],
  };
};

export const guardConsumerGroupDescribe = (inner: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>): Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const [allowed, denied] = split(req.groupIds, (g) => a.group(Op.DESCRIBE, g));
  const res = allowed.length > 0 ? await inner({ ...req, groupIds: allowed }, ctx) : { throttleTimeMs: 0, groups: [] };
  if (res === null) return null;
  return {
    ...res,
    groups: [
      ...res.groups.map((g) => (req.includeAuthorizedOperations ? { ...g, authorizedOperations: a.operations(ResourceType.GROUP, g.groupId) & GROUP_OPERATIONS } : g)),
      ...denied.map((groupId) => ({ errorCode: GROUP_DENIED, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED })),
    ],
  };
};

/** With DESCRIBE on the cluster every group is listed, otherwise those the principal may describe (Kafka's handleListGroupsRequest). */
export const guardListGroups = (inner: Handler<ListGroupsRequest, ListGroupsResponse>): Handler<ListGroupsRequest, ListGroupsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  const res = await inner(req, ctx);
  if (a === null || res === null || a.cluster(Op.DESCRIBE)) return res;
  return { ...res, groups: res.groups.filter((g) => a.group(Op.DESCRIBE, g.groupId)) };
};

export const guardDeleteGroups = (inner: Handler<DeleteGroupsRequest, DeleteGroupsResponse>): Handler<DeleteGroupsRequest, DeleteGroupsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const [allowed, denied] = split(req.groupsNames, (g) => a.group(Op.DELETE, g));
  const res = allowed.length > 0 ? await inner({ ...req, groupsNames: allowed }, ctx) : { throttleTimeMs: 0, results: [] };
  if (res === null) return null;
  return { ...res, results: [...res.results, ...denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED }))] };
};

export const guardOffsetDelete = (inner: Handler<OffsetDeleteRequest, OffsetDeleteResponse>): Handler<OffsetDeleteRequest, OffsetDeleteResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  if (!a.group(Op.DELETE, req.groupId)) return { errorCode: GROUP_DENIED, throttleTimeMs: 0, topics: [] };
  const [allowed, denied] = split(req.topics, (t) => a.topic(Op.READ, t.name));
  if (denied.length === 0) return inner(req, ctx);
  const res = await inner({ ...req, topics: allowed }, ctx);
  if (res === null) return null;
  return { ...res, topics: [...res.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_DENIED })) }))] };
};
