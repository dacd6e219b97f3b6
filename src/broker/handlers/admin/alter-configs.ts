/**
 * AlterConfigs (33), v0-2, the legacy whole-set form: a topic's overrides become exactly the
 * configs given (anything not named returns to the broker default). Broker settings are static
 * in strand, so a broker resource with changes is refused with INVALID_REQUEST.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { AlterConfigsRequest, AlterConfigsResponse, AlterConfigsResponseAlterConfigsResourceResponse } from '../../../protocol/messages/alter-configs.js';
import type { Handler } from '../../context.js';
import { adminTopics, duplicates, errorOf, itemError, NO_ERROR } from './common.js';
import { checkAlterTarget } from './config-target.js';

export const handleAlterConfigs: Handler<AlterConfigsRequest, AlterConfigsResponse> = (req, ctx) => {
  const dup = duplicates(req.resources.map((r) => `${r.resourceType}:${r.resourceName}`));
  const responses = req.resources.map((r): AlterConfigsResponseAlterConfigsResourceResponse => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (dup.has(`${r.resourceType}:${r.resourceName}`)) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Duplicate resource in request: ${r.resourceName}`) };
    try {
      const target = checkAlterTarget(r.resourceType, r.resourceName, r.configs.map((c) => c.name), ctx);
      if (target !== 'topic') return { ...base, ...target };
      const changes = new Map<string, string | null>();
      for (const c of r.configs) {
        if (changes.has(c.name)) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `topic config ${c.name} is given more than once`) };
        if (c.value === null) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Null value not supported for topic config ${c.name}`) };
        changes.set(c.name, c.value);
      }
      adminTopics(ctx).alterConfigs(r.resourceName, changes, { replace: true, validateOnly: req.validateOnly });
      return { ...base, ...NO_ERROR };
    } catch (err) {
      return { ...base, ...errorOf(err, ctx, `alter configs of ${r.resourceName}`) };
    }
  });
  return { throttleTimeMs: 0, responses };
};
