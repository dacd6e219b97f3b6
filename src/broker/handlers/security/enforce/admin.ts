/**
 * Authorization of the administrative APIs as Kafka's KafkaApis and ControllerApis check them:
 * CREATE on the cluster or the topic to create it, DELETE to delete it, ALTER to add partitions,
 * DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or the cluster for
 * broker settings (CLUSTER_AUTHORIZATION_FAILED), and on the cluster: DESCRIBE for log dirs,
 * reassignments and SCRAM users, ALTER for leader elections, reassignments and SCRAM users,
 * DESCRIBE_CONFIGS / ALTER_CONFIGS for client quotas.
 */
import { KafkaErrorCode } from '../../../../errors.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../../../protocol/messages/alter-configs.js';
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../../../../protocol/messages/alter-user-scram-credentials.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../../../protocol/messages/create-partitions.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../../../protocol/messages/create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../../../protocol/messages/delete-topics.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../../../protocol/messages/describe-configs.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../../../protocol/messages/incremental-alter-configs.js';
import { ZERO_UUID } from '../../../../protocol/reader.js';
import type { Handler } from '../../../context.js';
import { type Access, accessOf, type Guard, Op, split } from './guard.js';

const TOPIC_DENIED = KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED;
const CLUSTER_DENIED = KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED;
// Kafka's Errors messages, which these APIs carry.
const TOPIC_DENIED_MESSAGE = 'Topic authorization failed.';
const CLUSTER_DENIED_MESSAGE = 'Cluster authorization failed.';
const GROUP_DENIED_MESSAGE = 'Group authorization failed.';

export const guardCreateTopics = (inner: Handler<CreateTopicsRequest, CreateTopicsResponse>): Handler<CreateTopicsRequest, CreateTopicsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null || a.cluster(Op.CREATE)) return inner(req, ctx);
  const [allowed, denied] = split(req.topics, (t) => a.topic(Op.CREATE, t.name));
  if (denied.length === 0) return inner(req, ctx);
  const res = allowed.length > 0 ? await inner({ ...req, topics: allowed }, ctx) : { throttleTimeMs: 0, topics: [] };
  if (res === null) return null;
  return {
    ...res,
    topics: [...res.topics, ...denied.map((t) => ({ name: t.name, topicId: ZERO_UUID, errorCode: TOPIC_DENIED, errorMessage: TOPIC_DENIED_MESSAGE, topicConfigErrorCode: TOPIC_DENIED, numPartitions: -1, replicationFactor: -1, configs: null }))],
  };
};

export const guardDeleteTopics = (inner: Handler<DeleteTopicsRequest, DeleteTopicsResponse>): Handler<DeleteTopicsRequest, DeleteTopicsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const topics = ctx.broker.topics;
  const ok = (name: string | undefined | null) => name === undefined || name === null || a.topic(Op.DELETE, name);
  if (ctx.apiVersion <= 5) {
    const [allowed, denied] = split(req.topicNames ?? [], ok);
    if (denied.length === 0) return inner(req, ctx);
    const res = allowed.length > 0 ? await inner({ ...req, topicNames: allowed }, ctx) : { throttleTimeMs: 0, responses: [] };
    return res === null ? null : { ...res, responses: [...res.responses, ...denied.map((name) => ({ name, topicId: ZERO_UUID, errorCode: TOPIC_DENIED, errorMessage: null }))] };
  }
  const nameOf = (t: { name?: string | null; topicId: string }) => t.name ?? topics.byId(t.topicId)?.name;
  const [allowed, denied] = split(req.topics ?? [], (t) => ok(nameOf(t)));
  if (denied.length === 0) return inner(req, ctx);
  const res = allowed.length > 0 ? await inner({ ...req, topics: allowed }, ctx) : { throttleTimeMs: 0, responses: [] };
  return res === null ? null : { ...res, responses: [...res.responses, ...denied.map((t) => ({ name: t.name ?? null, topicId: t.topicId, errorCode: TOPIC_DENIED, errorMessage: TOPIC_DENIED_MESSAGE }))] };
};

export const guardCreatePartitions = (inner: Handler<CreatePartitionsRequest, CreatePartitionsResponse>): Handler<CreatePartitionsRequest, CreatePartitionsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const [allowed, denied] = split(req.topics, (t) => a.topic(Op.ALTER, t.name));
  if (denied.length === 0) return inner(req, ctx);
  const res = allowed.length > 0 ? await inner({ ...req, topics: allowed }, ctx) : { throttleTimeMs: 0, results: [] };
  return res === null ? null : { ...res, results: [...res.results, ...denied.map((t) => ({ name: t.name, errorCode: TOPIC_DENIED, errorMessage: TOPIC_DENIED_MESSAGE }))] };
};

/** ConfigResource types: TOPIC 2, BROKER 4, BROKER_LOGGER 8, CLIENT_METRICS 16, GROUP 32. */
function configDenial(a: Access, op: number, resourceType: number, resourceName: string): { code: number; message: string } | null {
  if (resourceType === 2) return a.topic(op, resourceName) ? null : { code: TOPIC_DENIED, message: TOPIC_DENIED_MESSAGE };
  if (resourceType === 32) return a.group(op, resourceName) ? null : { code: KafkaErrorCode.GROUP_AUTHORIZATION_FAILED, message: GROUP_DENIED_MESSAGE };
  return a.cluster(op) ? null : { code: CLUSTER_DENIED, message: CLUSTER_DENIED_MESSAGE };
}

type ConfigResource = { resourceType: number; resourceName: string };

/** A configs API: resources the principal may not `op` are answered with the denial, the rest by the handler. */
function configsGuard<Req extends { resources: ConfigResource[] }, Res>(op: number, listOf: (res: Res) => ConfigResource[], withList: (res: Res, list: ConfigResource[]) => Res, empty: () => Res, denied: (r: ConfigResource, code: number, message: string) => ConfigResource): Guard {
  return (inner: Handler<Req, Res>): Handler<Req, Res> => async (req, ctx) => {
    const a = accessOf(ctx);
    if (a === null) return inner(req, ctx);
    const refusals = new Map<ConfigResource, { code: number; message: string }>();
    for (const r of req.resources) {
      const d = configDenial(a, op, r.resourceType, r.resourceName);
      if (d !== null) refusals.set(r, d);
    }
    if (refusals.size === 0) return inner(req, ctx);
    const allowed = req.resources.filter((r) => !refusals.has(r));
    const res = allowed.length > 0 ? await inner({ ...req, resources: allowed }, ctx) : empty();
    if (res === null) return null;
    return withList(res, [...listOf(res), ...[...refusals].map(([r, d]) => denied(r, d.code, d.message))]);
  };
}

export const guardDescribeConfigs = configsGuard<DescribeConfigsRequest & { resources: ConfigResource[] }, DescribeConfigsResponse>(
  Op.DESCRIBE_CONFIGS, (res) => res.results, (res, results) => ({ ...res, results: results as DescribeConfigsResponse['results'] }), () => ({ throttleTimeMs: 0, results: [] }),
  (r, errorCode, errorMessage) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }) as ConfigResource,
);

export const guardAlterConfigs = configsGuard<AlterConfigsRequest & { resources: ConfigResource[] }, AlterConfigsResponse>(
  Op.ALTER_CONFIGS, (res) => res.responses, (res, responses) => ({ ...res, responses: responses as AlterConfigsResponse['responses'] }), () => ({ throttleTimeMs: 0, responses: [] }),
  (r, errorCode, errorMessage) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName }) as ConfigResource,
);

export const guardIncrementalAlterConfigs = configsGuard<IncrementalAlterConfigsRequest & { resources: ConfigResource[] }, IncrementalAlterConfigsResponse>(
  Op.ALTER_CONFIGS, (res) => res.responses, (res, responses) => ({ ...res, responses: responses as IncrementalAlterConfigsResponse['responses'] }), () => ({ throttleTimeMs: 0, responses: [] }),
  (r, errorCode, errorMessage) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName }) as ConfigResource,
);

/** An API the principal needs `op` on the cluster for; `refuse` is the whole answer when not. */
export function clusterOnly<Req, Res>(op: number, refuse: (req: Req) => Res): Guard {
  return (inner: Handler<Req, Res>): Handler<Req, Res> => (req, ctx) => {
    const a = accessOf(ctx);
    return a === null || a.cluster(op) ? inner(req, ctx) : refuse(req as Req);
  };
}

export const guardDescribeLogDirs = clusterOnly(Op.DESCRIBE, () => ({ throttleTimeMs: 0, errorCode: CLUSTER_DENIED, results: [] }));
export const guardListPartitionReassignments = clusterOnly(Op.DESCRIBE, () => ({ throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE, topics: [] }));
export const guardAlterPartitionReassignments = clusterOnly(Op.ALTER, () => ({ throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE, responses: [] }));
export const guardElectLeaders = clusterOnly<{ topicPartitions: Array<{ topic: string; partitions: number[] }> | null }, unknown>(Op.ALTER, (req) => ({
  throttleTimeMs: 0, errorCode: CLUSTER_DENIED,
  replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE })) })),
}));
export const guardDescribeUserScramCredentials = clusterOnly(Op.DESCRIBE, () => ({ throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE, results: [] }));
export const guardAlterUserScramCredentials = clusterOnly<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>(Op.ALTER, (req) => ({
  throttleTimeMs: 0,
  results: [...new Set([...req.deletions, ...req.upsertions].map((x) => x.name))].map((user) => ({ user, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE })),
}));
export const guardDescribeClientQuotas = clusterOnly(Op.DESCRIBE_CONFIGS, () => ({ throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE, entries: null }));
export const guardAlterClientQuotas = clusterOnly<{ entries: Array<{ entity: Array<{ entityType: string; entityName: string | null }> }> }, unknown>(Op.ALTER_CONFIGS, (req) => ({
  throttleTimeMs: 0,
  entries: req.entries.map((e) => ({ errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE, entity: e.entity.map((x) => ({ entityType: x.entityType, entityName: x.entityName })) })),
}));
