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
import { type Access, accessOf, checkEach, checkWhole, type Guard, Op, partitionsRefused, split } from './guard.js';

const GROUP_DENIED = KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
const TOPIC_DENIED = KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED;

/** An API about one group (`groupId`) that needs `op` on it; `refuse` is the whole answer when denied. */
export function oneGroup<Req extends { groupId: string }, Res>(op: number, refuse: (req: Complete<Req>) => Res): Guard {
  return checkWhole<Req, Res>((a, req) => a.group(op, req.groupId), refuse);
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
  if (!a.group(Op.READ, req.groupId)) return { throttleTimeMs: 0, topics: partitionsRefused(req.topics, GROUP_DENIED) };
  return checkEach(inner, req, ctx, {
    items: req.topics,
    ok: (t) => a.topic(Op.READ, t.name),
    narrow: (topics) => ({ ...req, topics }),
    empty: () => ({ throttleTimeMs: 0, topics: [] }),
    refused: (res, denied) => ({ ...res, topics: [...res.topics, ...partitionsRefused(denied, TOPIC_DENIED)] }),
  });
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
  // The allowed groups' topics are checked in turn, on the way to the handler and back.
  const topicsChecked: Handler<OffsetFetchRequest, OffsetFetchResponse> = async (r, c) => {
    const perGroup = new Map((r.groups ?? []).map((g) => [g.groupId, fetchTopics(a, g.topics)]));
    const res = await inner({ ...r, groups: (r.groups ?? []).map((g) => ({ ...g, topics: perGroup.get(g.groupId)!.keep })) }, c);
    if (res === null) return null;
    const groups = (res.groups ?? []).map((g) => {
      const f = perGroup.get(g.groupId);
      return f === undefined ? g : { ...g, topics: [...g.topics.filter(f.visible), ...f.deniedAnswer] };
    });
    return { ...res, groups };
  };
  return checkEach(topicsChecked, req, ctx, {
    items: req.groups ?? [],
    ok: (g) => a.group(Op.DESCRIBE, g.groupId),
    narrow: (groups) => ({ ...req, groups }),
    empty: () => ({ throttleTimeMs: 0, groups: [] }),
    refused: (res, denied) => ({ ...res, groups: [...(res.groups ?? []), ...denied.map((g) => ({ groupId: g.groupId, topics: [], errorCode: GROUP_DENIED }))] }),
  });
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
  return checkEach(inner, req, ctx, {
    items: req.coordinatorKeys ?? [],
    ok,
    narrow: (coordinatorKeys) => ({ ...req, coordinatorKeys }),
    empty: () => ({ throttleTimeMs: 0, coordinators: [] }),
    refused: (res, denied) => ({ ...res, coordinators: [...(res.coordinators ?? []), ...denied.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode: code, errorMessage: null }))] }),
  });
};

/** The handler's described groups with the authorized operations (KIP-430) the authorizer gives, where `wanted`. */
function withGroupOperations<Req, Res extends { groups: Array<{ groupId: string; authorizedOperations?: number }> }>(inner: Handler<Req, Res>, a: Access, wanted: (g: Res['groups'][number]) => boolean): Handler<Req, Res> {
  return async (req, ctx) => {
    const res = await inner(req, ctx);
    if (res === null) return null;
    return { ...res, groups: res.groups.map((g) => (wanted(g) ? { ...g, authorizedOperations: a.operations(ResourceType.GROUP, g.groupId) & GROUP_OPERATIONS } : g)) } as Res;
  };
}

export const guardDescribeGroups = (inner: Handler<DescribeGroupsRequest, DescribeGroupsResponse>): Handler<DescribeGroupsRequest, DescribeGroupsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const ops = req.includeAuthorizedOperations === true;
  const described = withGroupOperations(inner, a, (g) => ops && g.authorizedOperations !== OPERATIONS_NOT_REQUESTED);
  return checkEach(described, req, ctx, {
    items: req.groups,
    ok: (g) => a.group(Op.DESCRIBE, g),
    narrow: (groups) => ({ ...req, groups }),
    empty: () => ({ throttleTimeMs: 0, groups: [] }),
    refused: (res, denied) => ({
      ...res,
      groups: [...res.groups, ...denied.map((groupId) => ({ errorCode: GROUP_DENIED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED }))],
    }),
  });
};

export const guardConsumerGroupDescribe = (inner: Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>): Handler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const described = withGroupOperations(inner, a, () => req.includeAuthorizedOperations);
  return checkEach(described, req, ctx, {
    items: req.groupIds,
    ok: (g) => a.group(Op.DESCRIBE, g),
    narrow: (groupIds) => ({ ...req, groupIds }),
    empty: () => ({ throttleTimeMs: 0, groups: [] }),
    refused: (res, denied) => ({
      ...res,
      groups: [...res.groups, ...denied.map((groupId) => ({ errorCode: GROUP_DENIED, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED }))],
    }),
  });
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
  return checkEach(inner, req, ctx, {
    items: req.groupsNames,
    ok: (g) => a.group(Op.DELETE, g),
    narrow: (groupsNames) => ({ ...req, groupsNames }),
    empty: () => ({ throttleTimeMs: 0, results: [] }),
    refused: (res, denied) => ({ ...res, results: [...res.results, ...denied.map((groupId) => ({ groupId, errorCode: GROUP_DENIED }))] }),
  });
};

export const guardOffsetDelete = (inner: Handler<OffsetDeleteRequest, OffsetDeleteResponse>): Handler<OffsetDeleteRequest, OffsetDeleteResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  if (!a.group(Op.DELETE, req.groupId)) return { errorCode: GROUP_DENIED, throttleTimeMs: 0, topics: [] };
  // No `empty`: the handler is asked even with no topic left, for the group's own error.
  return checkEach(inner, req, ctx, {
    items: req.topics,
    ok: (t) => a.topic(Op.READ, t.name),
    narrow: (topics) => ({ ...req, topics }),
    refused: (res, denied) => ({ ...res, topics: [...res.topics, ...partitionsRefused(denied, TOPIC_DENIED)] }),
  });
};
