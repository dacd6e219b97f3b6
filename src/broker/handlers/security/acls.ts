/**
 * CreateAcls (30), DescribeAcls (29), DeleteAcls (31), as Kafka's AclApis answers them. Without
 * an authorizer (`authorizer.class.name` empty): SECURITY_DISABLED, "No Authorizer is configured
 * on the broker", for every creation and every filter; they are advertised so that clients ask
 * instead of refusing before asking. With one: CreateAcls and DeleteAcls need ALTER on the
 * cluster, DescribeAcls DESCRIBE (CLUSTER_AUTHORIZATION_FAILED), and each creation or filter
 * gets its own error code (INVALID_REQUEST with Kafka's messages). v0 knows only LITERAL
 * patterns: the codecs fill LITERAL in, and a v0 DescribeAcls answer lists only literal ones.
 */
import { KafkaErrorCode, StrandError } from '../../../errors.js';
import type { CreateAclsRequest, CreateAclsResponse } from '../../../protocol/messages/create-acls.js';
import type { DeleteAclsRequest, DeleteAclsResponse } from '../../../protocol/messages/delete-acls.js';
import type { DescribeAclsRequest, DescribeAclsResponse } from '../../../protocol/messages/describe-acls.js';
import { type AclBinding, type AclBindingFilter, PatternType } from '../../../security/acl/index.js';
import type { Handler } from '../../context.js';
import { accessOf, Op } from './enforce/guard.js';

const NO_AUTHORIZER = 'No Authorizer is configured on the broker';
const CLUSTER_DENIED = KafkaErrorCode.CLUSTER_AUTHORIZATION_FAILED;
const CLUSTER_DENIED_MESSAGE = 'Cluster authorization failed.';

const failure = (err: unknown) => ({
  errorCode: err instanceof StrandError && err.kafkaCode !== undefined ? err.kafkaCode : KafkaErrorCode.UNKNOWN_SERVER_ERROR,
  errorMessage: (err as Error).message,
});

export const handleCreateAcls: Handler<CreateAclsRequest, CreateAclsResponse> = async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: KafkaErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER })) };
  if (!a.cluster(Op.ALTER)) return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE })) };
  const bindings: AclBinding[] = req.creations.map((c) => ({
    resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType ?? PatternType.LITERAL,
    principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType,
  }));
  try {
    const results = await a.manager.create(bindings);
    ctx.broker.logger.info({ principal: ctx.principal, created: results.filter((r) => r.errorCode === 0).length, refused: results.filter((r) => r.errorCode !== 0).length }, 'CreateAcls');
    return { throttleTimeMs: 0, results: results.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage })) };
  } catch (err) {
    ctx.broker.logger.error({ err }, 'CreateAcls failed');
    return { throttleTimeMs: 0, results: req.creations.map(() => failure(err)) };
  }
};

const filterOf = (f: Omit<DescribeAclsRequest, 'patternTypeFilter'> & { patternTypeFilter?: number }): AclBindingFilter => ({
  resourceType: f.resourceTypeFilter, resourceName: f.resourceNameFilter, patternType: f.patternTypeFilter ?? PatternType.LITERAL,
  principal: f.principalFilter, host: f.hostFilter, operation: f.operation, permissionType: f.permissionType,
});

export const handleDescribeAcls: Handler<DescribeAclsRequest, DescribeAclsResponse> = (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER, resources: [] };
  if (!a.cluster(Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE, resources: [] };
  const found = a.manager.describe(filterOf(req));
  if (found.errorCode !== 0) return { throttleTimeMs: 0, errorCode: found.errorCode, errorMessage: found.errorMessage, resources: [] };
  // v0 cannot say a pattern is prefixed; Kafka leaves those out of a v0 answer.
  const bindings = ctx.apiVersion === 0 ? found.bindings.filter((b) => b.patternType === PatternType.LITERAL) : found.bindings;
  const resources = new Map<string, DescribeAclsResponse['resources'][number]>();
  for (const b of bindings) {
    const key = JSON.stringify([b.resourceType, b.resourceName, b.patternType]);
    let r = resources.get(key);
    if (r === undefined) resources.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
    r.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
  }
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...resources.values()] };
};

export const handleDeleteAcls: Handler<DeleteAclsRequest, DeleteAclsResponse> = async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: KafkaErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER, matchingAcls: [] })) };
  if (!a.cluster(Op.ALTER)) return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode: CLUSTER_DENIED, errorMessage: CLUSTER_DENIED_MESSAGE, matchingAcls: [] })) };
  try {
    const results = await a.manager.delete(req.filters.map(filterOf));
    const removed = results.reduce((n, r) => n + r.bindings.length, 0);
    ctx.broker.logger.info({ principal: ctx.principal, removed }, 'DeleteAcls');
    return {
      throttleTimeMs: 0,
      filterResults: results.map((r) => ({
        errorCode: r.errorCode, errorMessage: r.errorMessage,
        matchingAcls: r.bindings.map((b) => ({ errorCode: 0, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType })),
      })),
    };
  } catch (err) {
    ctx.broker.logger.error({ err }, 'DeleteAcls failed');
    return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ ...failure(err), matchingAcls: [] })) };
  }
};
