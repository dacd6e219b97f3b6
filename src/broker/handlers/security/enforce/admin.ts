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
import { type Access, accessOf, checkEach, checkWhole, type Guard, Op } from './guard.js';

const TOPIC_DENIED = KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED;
const CLUSTER_DENIED = KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED;
// Kafka's Errors messages, which these APIs carry.
const TOPIC_DENIED_MESSAGE = 'Topic authorization failed.';
const CLUSTER_DENIED_MESSAGE = 'Cluster authorization failed.';
const GROUP_DENIED_MESSAGE = 'Group authorization failed.';

export const guardCreateTopics = (inner: Handler<CreateTopicsRequest, CreateTopicsResponse>): Handler<CreateTopicsRequest, CreateTopicsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null || a.cluster(Op.CREATE)) return inner(req, ctx);
  return checkEach(inner, req, ctx, {
    items: req.topics,
    ok: (t) => a.topic(Op.CREATE, t.name),
    narrow: (topics) => ({ ...req, topics }),
    empty: () => ({ throttleTimeMs: 0, topics: [] }),
    refused: (res, denied) => ({
      ...res,
      topics: [...res.topics, ...denied.map((t) => ({ name: t.name, topicId: ZERO_UUID, errorCode: TOPIC_DENIED, errorMessage: TOPIC_DENIED_MESSAGE, topicConfigErrorCode: TOPIC_DENIED, numPartitions: -1, replicationFactor: -1, configs: null }))],
    }),
  });
};

export const guardDeleteTopics = (inner: Handler<DeleteTopicsRequest, DeleteTopicsResponse>): Handler<DeleteTopicsRequest, DeleteTopicsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const topics = ctx.broker.topics;
  const ok = (name: string | undefined | null) => name === undefined || name === null || a.topic(Op.DELETE, name);
  const empty = () => ({ throttleTimeMs: 0, responses: [] });
  if (ctx.apiVersion <= 5) {
    return checkEach(inner, req, ctx, {
      items: req.topicNames ?? [],
      ok: (name: string) => ok(name),
      narrow: (topicNames) => ({ ...req, topicNames }),
      empty,
      refused: (res, denied) => ({ ...res, responses: [...res.responses, ...denied.map((name) => ({ name, topicId: ZERO_UUID, errorCode: TOPIC_DENIED, errorMessage: null }))] }),
    });
  }
  const nameOf = (t: { name?: string | null; topicId: string }) => t.name ?? topics.byId(t.topicId)?.name;
  return checkEach(inner, req, ctx, {
    items: req.topics ?? [],
    ok: (t) => ok(nameOf(t)),
    narrow: (topics) => ({ ...req, topics }),
    empty,
    refused: (res, denied) => ({ ...res, responses: [...res.responses, ...denied.map((t) => ({ name: t.name ?? null, topicId: t.topicId, errorCode: TOPIC_DENIED, errorMessage: TOPIC_DENIED_MESSAGE }))] }),
  });
};

export const guardCreatePartitions = (inner: Handler<CreatePartitionsRequest, CreatePartitionsResponse>): Handler<CreatePartitionsRequest, CreatePartitionsResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  return checkEach(inner, req, ctx, {
    items: req.topics,
    ok: (t) => a.topic(Op.ALTER, t.name),
    narrow: (topics) => ({ ...req, topics }),
    empty: () => ({ throttleTimeMs: 0, results: [] }),
    refused: (res, denied) => ({ ...res, results: [...res.results, ...denied.map((t) => ({ name: t.name, errorCode: TOPIC_DENIED, errorMessage: TOPIC_DENIED_MESSAGE }))] }),
  });
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
    return checkEach(inner, req, ctx, {
      items: req.resources,
      ok: (r) => {
        const d = configDenial(a, op, r.resourceType, r.resourceName);
        if (d !== null) refusals.set(r, d);
        return d === null;
      },
      narrow: (resources) => ({ ...req, resources }),
      empty,
      refused: (res, refused) => withList(res, [...listOf(res), ...refused.map((r) => denied(r, refusals.get(r)!.code, refusals.get(r)!.message))]),
    });
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
  return checkWhole<Req, Res>((a) => a.cluster(op), (req) => refuse(req as Req));
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
