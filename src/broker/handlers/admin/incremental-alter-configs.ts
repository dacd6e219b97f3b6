/**
 * IncrementalAlterConfigs (44), v0-1: per config SET (0), DELETE (1, back to the level below),
 * APPEND (2) and SUBTRACT (3) (list configs only, e.g. cleanup.policy), on a topic's overrides
 * or on one level of the broker's dynamic configs (this broker's, or the cluster default "").
 * Each resource succeeds or fails as a whole (Kafka checks the resource's whole resulting set);
 * validate_only changes nothing.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type {
  IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from '../../../protocol/messages/incremental-alter-configs.js';
import { KafkaErrorCode } from '../../../errors.js';
import type { Handler } from '../../context.js';
import { alterDynamicConfigs, brokerConfigKind, DynamicConfigError } from '../../dynamic-config.js';
import { InvalidConfigError, TOPIC_CONFIG_BROKER_SYNONYMS, TOPIC_CONFIGS } from '../../topic-config.js';
import { adminTopics, duplicates, errorOf, itemError, NO_ERROR } from './common.js';
import { type BrokerTarget, checkAlterTarget, isItemError } from './config-target.js';

export const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['set', 'delete', 'append', 'subtract'];

export const handleIncrementalAlterConfigs: Handler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = async (req, ctx) => {
  const dup = duplicates(req.resources.map((r) => `${r.resourceType}:${r.resourceName}`));
  const responses = await Promise.all(req.resources.map(async (r): Promise<IncrementalAlterConfigsResponseAlterConfigsResourceResponse> => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    if (dup.has(`${r.resourceType}:${r.resourceName}`)) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Duplicate resource in request: ${r.resourceName}`) };
    try {
      if (duplicates(r.configs.map((c) => c.name)).size > 0) return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys') };
      const target = checkAlterTarget(r.resourceType, r.resourceName, ctx);
      if (isItemError(target)) return { ...base, ...target };
      if (target !== 'topic') {
        await alterBroker(r.configs, target, req.validateOnly, ctx);
        return { ...base, ...NO_ERROR };
      }
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
      await topics.alterConfigs(r.resourceName, changes, { validateOnly: req.validateOnly });
      return { ...base, ...NO_ERROR };
    } catch (err) {
      return { ...base, ...errorOf(err, ctx, `incremental alter configs of ${r.resourceName}`) };
    }
  }));
  return { throttleTimeMs: 0, responses };
};

type Op = IncrementalAlterConfigsRequest['resources'][number]['configs'][number];

/** Kafka's ConfigAdminManager.prepareIncrementalConfigs over the level's current dynamic configs, then the whole set checked. */
function alterBroker(ops: readonly Op[], target: BrokerTarget, validateOnly: boolean, ctx: Parameters<typeof handleIncrementalAlterConfigs>[1]): Promise<void> {
  const compute = (current: ReadonlyMap<string, string>) => {
    const next = new Map(current);
    for (const c of ops) {
      switch (c.configOperation) {
        case OpType.SET:
          if (c.value === null) throw new DynamicConfigError(`Null value not supported for : ${c.name}`);
          next.set(c.name, c.value.trim());
          break;
        case OpType.DELETE:
          next.delete(c.name);
          break;
        case OpType.APPEND:
        case OpType.SUBTRACT: {
          const kind = brokerConfigKind(c.name);
          if (kind === undefined) throw new DynamicConfigError(`Unknown config name: ${c.name}`, KafkaErrorCode.INVALID_CONFIG);
          if (kind !== 'list') throw new DynamicConfigError(`Config value ${OP_NAMES[c.configOperation]} is not allowed for config key: ${c.name}`);
          const split = (s: string | null | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
          const items = split(next.get(c.name) ?? ctx.broker.config.raw(c.name) ?? TOPIC_CONFIG_BROKER_SYNONYMS.get(c.name)?.kafkaDefault);
          const given = split(c.value);
          const out = c.configOperation === OpType.APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
          next.set(c.name, out.join(','));
          break;
        }
        default:
          throw new DynamicConfigError(`Unknown operations type ${c.configOperation}`);
      }
    }
    return next;
  };
  return alterDynamicConfigs(ctx.broker.config, adminTopics(ctx), target.perBroker, compute, validateOnly);
}
