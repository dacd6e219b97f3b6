/**
 * IncrementalAlterConfigs (44), v0-1: per config SET (0), DELETE (1, back to the broker
 * default), APPEND (2) and SUBTRACT (3) (list configs only, e.g. cleanup.policy). Each resource
 * succeeds or fails as a whole; validate_only changes nothing.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type {
  IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from '../../../protocol/messages/incremental-alter-configs.js';
import type { Handler } from '../../context.js';
import { InvalidConfigError, TOPIC_CONFIGS } from '../../topic-config.js';
import { adminTopics, duplicates, errorOf, itemError, NO_ERROR } from './common.js';
import { checkAlterTarget } from './config-target.js';

export const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['set', 'delete', 'append', 'subtract'];

export const handleIncrementalAlterConfigs: Handler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = (req, ctx) => {
  const dup = duplicates(req.resources.map((r) => `${r.resourceType}:${r.resourceName}`));
  const responses = req.resources.map((r): IncrementalAlterConfigsResponseAlterConfigsResourceResponse => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (dup.has(`${r.resourceType}:${r.resourceName}`)) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Duplicate resource in request: ${r.resourceName}`) };
    try {
      if (duplicates(r.configs.map((c) => c.name)).size > 0) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys') };
      const target = checkAlterTarget(r.resourceType, r.resourceName, r.configs.map((c) => c.name), ctx);
      if (target !== 'topic') return { ...base, ...target };
      const topics = adminTopics(ctx);
      const current = topics.get(r.resourceName)!.configs;
      const changes = new Map<string, string | null>();
      for (const c of r.configs) {
        const def = TOPIC_CONFIGS.get(c.name);
        if (def === undefined) throw new InvalidConfigError(`unknown topic config ${JSON.stringify(c.name)}; topic configs use Kafka's topic-level names, e.g. retention.ms, cleanup.policy`);
        switch (c.configOperation) {
          case OpType.SET:
            if (c.value === null) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Null value not supported for topic config ${c.name}`) };
            changes.set(c.name, c.value);
            break;
          case OpType.DELETE:
            changes.set(c.name, null);
            break;
          case OpType.APPEND:
          case OpType.SUBTRACT: {
            const op = OP_NAMES[c.configOperation];
            if (def.kind !== 'list') return { ...base, ...itemError(ErrorCode.INVALID_CONFIG, `Config value ${op} is not allowed for config key: ${c.name} (only list configs such as cleanup.policy)`) };
            if (c.value === null) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Null value not supported for topic config ${c.name}`) };
            const split = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x !== '');
            const items = split(current.get(c.name) ?? def.default);
            const given = split(c.value);
            const next = c.configOperation === OpType.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
            changes.set(c.name, next.join(','));
            break;
          }
          default:
            return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${c.configOperation} for ${c.name}: expected 0 (set), 1 (delete), 2 (append) or 3 (subtract)`) };
        }
      }
      topics.alterConfigs(r.resourceName, changes, { validateOnly: req.validateOnly });
      return { ...base, ...NO_ERROR };
    } catch (err) {
      return { ...base, ...errorOf(err, ctx, `incremental alter configs of ${r.resourceName}`) };
    }
  });
  return { throttleTimeMs: 0, responses };
};
