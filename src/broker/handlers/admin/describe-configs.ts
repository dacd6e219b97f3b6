/**
 * DescribeConfigs (32), v0-4: topic resources (every topic-level config with its value in
 * force, its source, and with include_synonyms where it comes from) and broker resources (this
 * node's id: every setting, read-only unless Kafka changes it at runtime; or "" for the
 * cluster-wide dynamic defaults only). v0 has is_default instead of a source; v3+ adds the
 * type and, if asked, the doc.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type {
  DescribeConfigsRequest, DescribeConfigsResponse, DescribeConfigsResponseDescribeConfigsResourceResult, DescribeConfigsResponseDescribeConfigsResult,
} from '../../../protocol/messages/describe-configs.js';
import { checkTopicName } from '../../../storage/store.js';
import { BROKER_CONFIG, type BrokerConfig } from '../../config.js';
import type { Handler } from '../../context.js';
import { acceptedOnlyKeys, isDynamicBrokerConfig } from '../../dynamic-config.js';
import { ConfigSource, ConfigType, CONFIG_TYPE_OF_KIND, type ConfigSynonymValue, type DescribedConfig, describeTopicConfigs, TOPIC_CONFIG_BROKER_SYNONYMS } from '../../topic-config.js';
import { errorOf, itemError, NO_ERROR, ResourceType } from './common.js';

export const handleDescribeConfigs: Handler<DescribeConfigsRequest, DescribeConfigsResponse> = (req, ctx) => {
  const v = ctx.apiVersion;
  const results = req.resources.map((r): DescribeConfigsResponseDescribeConfigsResult => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      let described: DescribedConfig[];
      if (r.resourceType === ResourceType.TOPIC) {
        checkTopicName(r.resourceName);
        const topic = ctx.broker.topics.get(r.resourceName);
        if (topic === undefined) return { ...base, ...itemError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${r.resourceName}' does not exist.`), configs: [] };
        described = describeTopicConfigs(topic.configs, ctx.broker.config, r.configurationKeys);
      } else if (r.resourceType === ResourceType.BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(ctx.broker.nodeId)) {
          return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.broker.nodeId} or empty string, but received ${r.resourceName}`), configs: [] };
        }
        // Kafka answers the cluster-wide resource ("") with its dynamic default configs only.
        described = describeBrokerConfigs(ctx.broker.config, r.configurationKeys, r.resourceName !== '');
      } else {
        return { ...base, ...itemError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}: strand describes topics (2) and brokers (4)`), configs: [] };
      }
      return { ...base, ...NO_ERROR, configs: described.map((c) => toWire(c, v, req.includeSynonyms, req.includeDocumentation)) };
    } catch (err) {
      return { ...base, ...errorOf(err, ctx, `describe configs of ${r.resourceName}`), configs: [] };
    }
  });
  return { throttleTimeMs: 0, results };
};

function toWire(c: DescribedConfig, v: number, synonyms: boolean, documentation: boolean): DescribeConfigsResponseDescribeConfigsResourceResult {
  return {
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    isDefault: v === 0 ? c.source === ConfigSource.DEFAULT_CONFIG : false,
    configSource: c.source,
    isSensitive: c.isSensitive,
    synonyms: synonyms ? c.synonyms : [],
    configType: c.configType,
    documentation: documentation ? c.documentation : null,
  };
}

const BROKER_KIND_TYPE: Readonly<Record<string, number>> = { int: ConfigType.INT, long: ConfigType.LONG, bool: ConfigType.BOOLEAN, string: ConfigType.STRING, list: ConfigType.LIST };

/**
 * This broker's settings: strand's own (config.ts), the log.* defaults topic configs inherit
 * (log.cleanup.policy, compression.type, ...) and the dynamic ones strand only accepts
 * (num.io.threads, ...), each with its value in force, its source and its synonyms (Kafka's,
 * see brokerSynonymValues). `perBroker` false is the cluster-default resource (""): Kafka lists
 * only the settings with a dynamic default, without per-broker values (ConfigHelper).
 */
export function describeBrokerConfigs(config: BrokerConfig, keys?: readonly string[] | null, perBroker = true): DescribedConfig[] {
  const known = new Map<string, { kafkaDefault: string | null; type: number; doc: string }>();
  for (const [name, d] of Object.entries(BROKER_CONFIG)) known.set(name, { kafkaDefault: d.default === '' ? null : d.default, type: BROKER_KIND_TYPE[d.kind] ?? ConfigType.STRING, doc: d.doc });
  for (const [name, s] of TOPIC_CONFIG_BROKER_SYNONYMS) {
    if (!known.has(name)) known.set(name, { kafkaDefault: s.kafkaDefault, type: CONFIG_TYPE_OF_KIND[s.kind], doc: `broker default of a topic-level config` });
  }
  for (const [name, a] of acceptedOnlyKeys()) {
    if (!known.has(name)) known.set(name, { kafkaDefault: a.default, type: BROKER_KIND_TYPE[a.kind] ?? ConfigType.STRING, doc: 'accepted as a dynamic broker config for Kafka compatibility; strand has no such setting' });
  }
  const listed = perBroker ? [...known.keys()] : [...config.dynamic(false).keys()].filter((k) => known.has(k));
  const names = keys === undefined || keys === null || keys.length === 0 ? listed.sort() : keys.filter((k) => listed.includes(k));
  return names.map((name) => {
    const k = known.get(name)!;
    const synonyms = brokerSynonymValues(name, config, known, perBroker);
    const value = perBroker ? config.raw(name) : config.dynamic(false).get(name);
    const set = value !== undefined && synonyms[0] !== undefined && synonyms[0].source !== ConfigSource.DEFAULT_CONFIG;
    return {
      name,
      value: set ? value : k.kafkaDefault,
      source: synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG,
      readOnly: !isDynamicBrokerConfig(name),
      isSensitive: false,
      configType: k.type,
      documentation: k.doc,
      synonyms,
    };
  });
}

/** Kafka's DynamicBrokerConfig.brokerConfigSynonyms: the broker settings that give one value, highest priority first. */
function brokerSynonyms(name: string): readonly string[] {
  // log.flush.scheduler.interval.ms is log.flush.interval.ms's default, not the reverse.
  if (name === 'log.flush.interval.ms') return [name, 'log.flush.scheduler.interval.ms'];
  return TIME_FAMILIES.find((f) => f.includes(name)) ?? [name];
}
const TIME_FAMILIES = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
];

/**
 * A broker setting's synonyms as Kafka lists them (ConfigHelper.configSynonyms): layer by layer
 * (dynamic per-broker, dynamic default, static, default), each layer in synonym priority order,
 * from the first named `name` on (so log.retention.hours does not list a set log.retention.ms,
 * but log.retention.ms lists the log.retention.hours default). The cluster-default resource
 * leaves out per-broker values.
 */
function brokerSynonymValues(name: string, config: BrokerConfig, known: ReadonlyMap<string, { kafkaDefault: string | null }>, perBroker: boolean): ConfigSynonymValue[] {
  const names = brokerSynonyms(name);
  const all: ConfigSynonymValue[] = [];
  for (const n of names) for (const l of config.setLayers(n)) all.push({ name: n, value: l.value, source: l.source });
  all.sort((a, b) => a.source - b.source); // stable: synonym order within a layer
  for (const n of names) {
    const d = known.get(n)?.kafkaDefault;
    if (d !== undefined && d !== null) all.push({ name: n, value: d, source: ConfigSource.DEFAULT_CONFIG });
  }
  const kept = perBroker ? all : all.filter((s) => s.source !== ConfigSource.DYNAMIC_BROKER_CONFIG);
  const first = kept.findIndex((s) => s.name === name);
  return first < 0 ? [] : kept.slice(first);
}
