/**
 * AlterConfigs (33), v0-2, the legacy whole-set form: a topic's overrides, or one level of the
 * broker's dynamic configs (this broker's, or the cluster default ""), become exactly the configs
 * given (anything not named returns to the level below). Each resource succeeds or fails as a
 * whole; validate_only changes nothing.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { AlterConfigsRequest, AlterConfigsResponse, AlterConfigsResponseAlterConfigsResourceResponse } from '../../../protocol/messages/alter-configs.js';
import type { Handler } from '../../context.js';
import { alterDynamicConfigs } from '../../dynamic-config.js';
import { adminTopics, duplicates, errorOf, itemError, NO_ERROR } from './common.js';
import { checkAlterTarget, isItemError } from './config-target.js';

export const handleAlterConfigs: Handler<AlterConfigsRequest, AlterConfigsResponse> = async (req, ctx) => {
  const dup = duplicates(req.resources.map((r) => `${r.resourceType}:${r.resourceName}`));
  const responses = await Promise.all(req.resources.map(async (r): Promise<AlterConfigsResponseAlterConfigsResourceResponse> => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (dup.has(`${r.resourceType}:${r.resourceName}`)) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Duplicate resource in request: ${r.resourceName}`) };
    try {
      const target = checkAlterTarget(r.resourceType, r.resourceName, ctx);
      if (isItemError(target)) return { ...base, ...target };
      if (target !== 'topic') {
        // Kafka's ConfigAdminManager.preprocess: duplicate keys, then null values, refuse the resource.
        if (duplicates(r.configs.map((c) => c.name)).size > 0) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys') };
        const nulls = r.configs.filter((c) => c.value === null).map((c) => c.name);
        if (nulls.length > 0) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`) };
        const next = new Map(r.configs.map((c) => [c.name, c.value!.trim()]));
        await alterDynamicConfigs(ctx.broker.config, adminTopics(ctx), target.perBroker, () => next, req.validateOnly);
        return { ...base, ...NO_ERROR };
      }
      const changes = new Map<string, string | null>();
      for (const c of r.configs) {
        if (changes.has(c.name)) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `topic config ${c.name} is given more than once`) };
        if (c.value === null) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Null value not supported for topic config ${c.name}`) };
        changes.set(c.name, c.value);
      }
      await adminTopics(ctx).alterConfigs(r.resourceName, changes, { replace: true, validateOnly: req.validateOnly });
      return { ...base, ...NO_ERROR };
    } catch (err) {
      return { ...base, ...errorOf(err, ctx, `alter configs of ${r.resourceName}`) };
    }
  }));
  return { throttleTimeMs: 0, responses };
};
