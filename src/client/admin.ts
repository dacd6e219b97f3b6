/**
 * Admin requests: topics, partitions and configs. Sent to the controller (any broker forwards
 * in KRaft mode); broker config resources go to that broker. Per-topic and per-resource errors
 * are returned in the results, so a caller can act on each (e.g. ignore TOPIC_ALREADY_EXISTS).
 */
import {
  AlterConfigsApi, CreatePartitionsApi, CreateTopicsApi, DeleteTopicsApi, DescribeConfigsApi, IncrementalAlterConfigsApi,
} from '../protocol/messages/index.js';
import { ZERO_UUID } from '../protocol/reader.js';
import type { Connection } from './connection.js';
import type { ClientCore } from './core.js';
import { KafkaResponseError } from './errors.js';

export interface NewTopic {
  name: string;
  /** Default: the broker's `num.partitions` (1 against brokers older than CreateTopics v4). */
  partitions?: number;
  /** Default: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /** Topic-level configs, by Kafka name (`retention.ms`, `cleanup.policy`, ...). */
  configs?: Readonly<Record<string, string>>;
}

export interface TopicResult {
  name: string;
  error: KafkaResponseError | null;
  /** All-zero when the broker does not say. */
  topicId: string;
  /** -1 when the broker does not say. */
  partitions: number;
  replicationFactor: number;
}

/** Outcome of one topic of a DeleteTopics or CreatePartitions request. */
export interface NamedResult {
  name: string;
  error: KafkaResponseError | null;
}

export interface AdminOptions {
  /** How long the broker may take. Default 30 s. */
  timeoutMs?: number;
  /** Check only, change nothing. */
  validateOnly?: boolean;
}

/** Kafka's ConfigResource types. */
export const ResourceType = { topic: 2, broker: 4 } as const;
export type ResourceTypeName = keyof typeof ResourceType;

export interface ConfigResource {
  type: ResourceTypeName;
  /** Topic name, or broker id as a string (`''` for the cluster-wide broker defaults). */
  name: string;
  /** Only these keys (default: all). */
  keys?: readonly string[];
}

/** Kafka's ConfigSource values, by number. */
export const CONFIG_SOURCES: Readonly<Record<number, string>> = {
  [-1]: 'UNKNOWN', 0: 'UNKNOWN', 1: 'DYNAMIC_TOPIC_CONFIG', 2: 'DYNAMIC_BROKER_CONFIG', 3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG', 5: 'DEFAULT_CONFIG', 6: 'DYNAMIC_BROKER_LOGGER_CONFIG', 7: 'CLIENT_METRICS_CONFIG',
};

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  sensitive: boolean;
  /** Kafka's ConfigSource name, e.g. `DYNAMIC_TOPIC_CONFIG` for a topic override. */
  source: string;
  /** Not set on the resource itself (a default, broker-wide or static value). */
  isDefault: boolean;
}

export interface ConfigResult {
  type: ResourceTypeName;
  name: string;
  error: KafkaResponseError | null;
  configs: ConfigEntry[];
}

export interface ResourceResult {
  type: ResourceTypeName;
  name: string;
  error: KafkaResponseError | null;
}

export interface ConfigOp {
  name: string;
  op: 'set' | 'delete' | 'append' | 'subtract';
  value?: string | null;
}

const OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

function typeName(type: number): ResourceTypeName {
  return type === ResourceType.broker ? 'broker' : 'topic';
}

function resourcePath(api: string, type: ResourceTypeName, name: string): { api: string; topic?: string; resource?: string } {
  return type === 'topic' ? { api, topic: name } : { api, resource: `broker ${name === '' ? '(default)' : name}` };
}

/** Broker resources go to that broker; everything else to the controller. */
function connectionFor(core: ClientCore, type: ResourceTypeName, name: string): Promise<Connection> {
  return type === 'broker' && /^\d+$/.test(name) ? core.connectionTo(Number(name)) : core.adminConnection();
}

export async function createTopics(core: ClientCore, topics: readonly NewTopic[], options: AdminOptions = {}): Promise<TopicResult[]> {
  const conn = await core.adminConnection();
  const version = conn.versionOf(CreateTopicsApi);
  // Before v4 the broker defaults cannot be asked for with -1.
  const dflt = version >= 4 ? -1 : 1;
  const res = await conn.send(CreateTopicsApi, {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions ?? dflt,
      replicationFactor: t.replicationFactor ?? dflt,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: options.timeoutMs ?? 30_000,
    validateOnly: options.validateOnly ?? false,
  }, { timeoutMs: (options.timeoutMs ?? 30_000) + 5000 });
  const created = res.topics.map((t) => ({
    name: t.name,
    error: KafkaResponseError.of(t.errorCode, { api: 'CreateTopics', topic: t.name }, t.errorMessage),
    topicId: t.topicId,
    partitions: t.numPartitions,
    replicationFactor: t.replicationFactor,
  }));
  if (created.some((t) => t.error === null)) await core.metadata(created.map((t) => t.name)).catch(() => undefined);
  return created;
}

export async function deleteTopics(core: ClientCore, names: readonly string[], options: AdminOptions = {}): Promise<NamedResult[]> {
  const conn = await core.adminConnection();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const res = await conn.send(DeleteTopicsApi, {
    topicNames: [...names],
    topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
    timeoutMs,
  }, { timeoutMs: timeoutMs + 5000 });
  return res.responses.map((r) => {
    const name = r.name ?? names.find((n) => core.cachedTopic(n)?.topicId === r.topicId) ?? r.topicId;
    return { name, error: KafkaResponseError.of(r.errorCode, { api: 'DeleteTopics', topic: name }, r.errorMessage) };
  });
}

export async function createPartitions(core: ClientCore, topics: ReadonlyArray<{ topic: string; count: number }>, options: AdminOptions = {}): Promise<NamedResult[]> {
  const conn = await core.adminConnection();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const res = await conn.send(CreatePartitionsApi, {
    topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: null })),
    timeoutMs,
    validateOnly: options.validateOnly ?? false,
  }, { timeoutMs: timeoutMs + 5000 });
  return res.results.map((r) => ({ name: r.name, error: KafkaResponseError.of(r.errorCode, { api: 'CreatePartitions', topic: r.name }, r.errorMessage) }));
}

export async function describeConfigs(core: ClientCore, resources: readonly ConfigResource[]): Promise<ConfigResult[]> {
  const out: ConfigResult[] = [];
  // One request per destination (a broker resource must be asked of that broker).
  for (const r of resources) {
    const conn = await connectionFor(core, r.type, r.name);
    const version = conn.versionOf(DescribeConfigsApi);
    const res = await conn.send(DescribeConfigsApi, {
      resources: [{ resourceType: ResourceType[r.type], resourceName: r.name, configurationKeys: r.keys ? [...r.keys] : null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    for (const x of res.results) {
      const type = typeName(x.resourceType);
      out.push({
        type,
        name: x.resourceName,
        error: KafkaResponseError.of(x.errorCode, resourcePath('DescribeConfigs', type, x.resourceName), x.errorMessage),
        configs: x.configs.map((c) => {
          const source = version === 0 ? (c.isDefault ? 5 : type === 'topic' ? 1 : 4) : c.configSource;
          return {
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            sensitive: c.isSensitive,
            source: CONFIG_SOURCES[source] ?? `SOURCE_${source}`,
            isDefault: type === 'topic' ? source !== 1 : source === 5,
          };
        }),
      });
    }
  }
  return out;
}

/** Replace the whole set of overrides of each resource (AlterConfigs; keys left out are reset). */
export async function alterConfigs(core: ClientCore, resources: ReadonlyArray<{ type: ResourceTypeName; name: string; configs: Readonly<Record<string, string | null>> }>, options: AdminOptions = {}): Promise<ResourceResult[]> {
  const out: ResourceResult[] = [];
  for (const r of resources) {
    const conn = await connectionFor(core, r.type, r.name);
    const res = await conn.send(AlterConfigsApi, {
      resources: [{ resourceType: ResourceType[r.type], resourceName: r.name, configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })) }],
      validateOnly: options.validateOnly ?? false,
    });
    for (const x of res.responses) {
      const type = typeName(x.resourceType);
      out.push({ type, name: x.resourceName, error: KafkaResponseError.of(x.errorCode, resourcePath('AlterConfigs', type, x.resourceName), x.errorMessage) });
    }
  }
  return out;
}

/** Set, delete, append to or subtract from single keys (IncrementalAlterConfigs). */
export async function incrementalAlterConfigs(core: ClientCore, resources: ReadonlyArray<{ type: ResourceTypeName; name: string; ops: readonly ConfigOp[] }>, options: AdminOptions = {}): Promise<ResourceResult[]> {
  const out: ResourceResult[] = [];
  for (const r of resources) {
    const conn = await connectionFor(core, r.type, r.name);
    const res = await conn.send(IncrementalAlterConfigsApi, {
      resources: [{
        resourceType: ResourceType[r.type],
        resourceName: r.name,
        configs: r.ops.map((o) => ({ name: o.name, configOperation: OPS[o.op], value: o.op === 'delete' ? null : o.value ?? null })),
      }],
      validateOnly: options.validateOnly ?? false,
    });
    for (const x of res.responses) {
      const type = typeName(x.resourceType);
      out.push({ type, name: x.resourceName, error: KafkaResponseError.of(x.errorCode, resourcePath('IncrementalAlterConfigs', type, x.resourceName), x.errorMessage) });
    }
  }
  return out;
}
