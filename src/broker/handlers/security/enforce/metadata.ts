/**
 * Authorization of Metadata and DescribeCluster as Kafka's KafkaApis does it: a topic the
 * principal may not DESCRIBE is left out of an all-topics answer and answered
 * TOPIC_AUTHORIZATION_FAILED when named; a topic that would be created needs CREATE on the
 * cluster or the topic (else TOPIC_AUTHORIZATION_FAILED); and the authorized-operations bit
 * fields (KIP-430) come from the authorizer.
 */
import { KafkaErrorCode } from '../../../../errors.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../../../protocol/messages/describe-cluster.js';
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from '../../../../protocol/messages/metadata.js';
import { ZERO_UUID } from '../../../../protocol/reader.js';
import { CLUSTER_NAME, ResourceType } from '../../../../security/acl/index.js';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED, TOPIC_OPERATIONS } from '../../../authorized-operations.js';
import type { Handler } from '../../../context.js';
import { type Access, accessOf, Op } from './guard.js';

const denied = (name: string | null, topicId: string, ops: number): MetadataResponseTopic => ({
  errorCode: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: ops,
});

const clusterOps = (a: Access) => a.operations(ResourceType.CLUSTER, CLUSTER_NAME) & CLUSTER_OPERATIONS;

export const guardMetadata = (inner: Handler<MetadataRequest, MetadataResponse>): Handler<MetadataRequest, MetadataResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const v = ctx.apiVersion;
  const core = ctx.broker;
  const askOps = v >= 8 && req.includeTopicAuthorizedOperations === true;
  const opsOf = (name: string) => (askOps ? a.operations(ResourceType.TOPIC, name) & TOPIC_OPERATIONS : OPERATIONS_NOT_REQUESTED);
  const all = req.topics === null || (v === 0 && req.topics.length === 0);
  const refused: MetadataResponseTopic[] = [];
  let forward = req;
  if (!all) {
    const mayCreate = core.config.bool('auto.create.topics.enable') && (v < 4 || req.allowAutoTopicCreation !== false);
    const createAll = mayCreate && a.cluster(Op.CREATE);
    const keep = req.topics!.filter((t) => {
      const name = t.name ?? (t.topicId ? core.topics.byId(t.topicId)?.name : undefined);
      if (name === undefined || name === null) return true; // an unknown topic id: the handler answers UNKNOWN_TOPIC_ID
      if (!a.topic(Op.DESCRIBE, name)) {
        // Kafka names a topic asked for by id only when the principal may describe it.
        refused.push(denied(t.name ?? null, t.name === null || t.name === undefined ? t.topicId ?? ZERO_UUID : ZERO_UUID, t.name === null || t.name === undefined ? OPERATIONS_NOT_REQUESTED : opsOf(name)));
        return false;
      }
      if (mayCreate && !createAll && t.name !== null && t.name !== undefined && core.topics.get(name) === undefined && !a.topic(Op.CREATE, name)) {
        refused.push(denied(name, ZERO_UUID, opsOf(name)));
        return false;
      }
      return true;
    });
    forward = { ...req, topics: keep };
  }
  // An empty list means "all topics" to a v0 handler; ask it at v1, where it means none.
  const res = await inner(forward, !all && v === 0 && forward.topics!.length === 0 ? { ...ctx, apiVersion: 1 } : ctx);
  if (res === null) return null;
  const topics = res.topics
    .filter((t) => !all || t.name === null || a.topic(Op.DESCRIBE, t.name))
    .map((t) => (askOps && t.name !== null && t.topicAuthorizedOperations !== OPERATIONS_NOT_REQUESTED ? { ...t, topicAuthorizedOperations: opsOf(t.name) } : t));
  const clusterAuthorizedOperations = res.clusterAuthorizedOperations === OPERATIONS_NOT_REQUESTED || res.clusterAuthorizedOperations === undefined ? res.clusterAuthorizedOperations : clusterOps(a);
  return { ...res, topics: [...topics, ...refused], clusterAuthorizedOperations };
};

export const guardDescribeCluster = (inner: Handler<DescribeClusterRequest, DescribeClusterResponse>): Handler<DescribeClusterRequest, DescribeClusterResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  const res = await inner(req, ctx);
  if (a === null || res === null || !req.includeClusterAuthorizedOperations) return res;
  return { ...res, clusterAuthorizedOperations: clusterOps(a) };
};
