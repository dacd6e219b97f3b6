/**
 * REST Proxy v3 under /v3/clusters: the cluster, brokers, topics (list, create, describe,
 * delete), partitions, topic configs (list, alter), consumer groups with lag, and produce with
 * POST .../topics/{t}/records (BINARY, JSON, STRING, and AVRO/JSONSCHEMA by schema_id or schema).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeGroups, fetchOffsets, listGroups } from '../../client/groups.js';
import type { TopicInfo } from '../../client/core.js';
import { KafkaResponseError } from '../../client/errors.js';
import type { Registry } from '../schema-registry/registry.js';
import type { ProxyContext } from './context.js';
import { notFound, RestProxyError, unprocessableEntity } from './errors.js';
import { type EmbeddedFormat, formatOfSchemaType } from './formats.js';
import { StreamedObjects } from './json-stream.js';
import { produceRecords } from './produce.js';
import { V3Links } from './v3-json.js';

type Params = Record<string, string>;

const topicNotHosted = (): RestProxyError => new RestProxyError(404, 'This server does not host this topic-partition.');

interface Data {
  type?: string;
  data?: unknown;
  schema_id?: number;
  schema?: string;
  schema_version?: number;
  subject?: string;
}

export function v3Routes(app: FastifyInstance, ctx: ProxyContext): void {
  const p = (req: FastifyRequest): Params => req.params as Params;

  /** The cluster named in the path (404 for another), with links rooted at this request's host. */
  async function links(req: FastifyRequest): Promise<{ links: V3Links; controller: number }> {
    const meta = await ctx.client.metadata([]);
    const id = meta.clusterId ?? '';
    if (p(req).cluster !== undefined && p(req).cluster !== id) throw notFound(`Cluster ${p(req).cluster} cannot be found.`);
    return { links: new V3Links(`${req.protocol}://${req.headers.host ?? req.hostname}`, id), controller: meta.controllerId };
  }

  async function topic(name: string) {
    const meta = await ctx.client.metadata([name]);
    const t = meta.topics.find((x) => x.name === name);
    if (t === undefined || t.error !== null) throw topicNotHosted();
    return t;
  }

  app.get('/v3/clusters', async (req) => {
    const { links: l, controller } = await links(req);
    return { kind: 'KafkaClusterList', metadata: { self: `${l.base}/v3/clusters`, next: null }, data: [l.cluster(controller)] };
  });
  app.get('/v3/clusters/:cluster', async (req) => {
    const { links: l, controller } = await links(req);
    return l.cluster(controller);
  });
  app.get('/v3/clusters/:cluster/brokers', async (req) => {
    const { links: l } = await links(req);
    const brokers = (await ctx.client.metadata([])).brokers.sort((a, b) => a.nodeId - b.nodeId);
    return l.list('KafkaBroker', '/brokers', brokers.map((b) => l.broker(b)));
  });
  app.get('/v3/clusters/:cluster/brokers/:broker', async (req) => {
    const { links: l } = await links(req);
    const b = (await ctx.client.metadata([])).brokers.find((x) => String(x.nodeId) === p(req).broker);
    if (b === undefined) throw notFound(`Broker ${p(req).broker} cannot be found.`);
    return l.broker(b);
  });

  app.get('/v3/clusters/:cluster/topics', async (req) => {
    const { links: l } = await links(req);
    const topics = (await ctx.client.metadata(null)).topics.filter((t) => t.error === null).sort((a, b) => a.name.localeCompare(b.name));
    return l.list('KafkaTopic', '/topics', topics.map((t) => l.topic(t)));
  });
  app.post('/v3/clusters/:cluster/topics', async (req, reply) => {
    const { links: l } = await links(req);
    const b = (req.body ?? {}) as { topic_name?: unknown; partitions_count?: unknown; replication_factor?: unknown; configs?: Array<{ name: string; value: string }> };
    if (typeof b.topic_name !== 'string' || b.topic_name === '') throw unprocessableEntity('topic_name is required');
    const [res] = await ctx.client.createTopics([{
      name: b.topic_name,
      ...(Number.isInteger(b.partitions_count) ? { partitions: b.partitions_count as number } : {}),
      ...(Number.isInteger(b.replication_factor) ? { replicationFactor: b.replication_factor as number } : {}),
      configs: Object.fromEntries((b.configs ?? []).map((c) => [c.name, c.value])),
    }]);
    if (res?.error) {
      if (res.error.errorName === 'TOPIC_ALREADY_EXISTS') throw new RestProxyError(40002, `Topic '${b.topic_name}' already exists.`);
      throw new RestProxyError(400, res.error.brokerMessage ?? res.error.message);
    }
    return reply.code(201).send(l.topic(await topic(b.topic_name)));
  });
  app.get('/v3/clusters/:cluster/topics/:topic', async (req) => (await links(req)).links.topic(await topic(p(req).topic!)));
  app.delete('/v3/clusters/:cluster/topics/:topic', async (req, reply) => {
    await links(req);
    const [res] = await ctx.client.deleteTopics([p(req).topic!]);
    if (res?.error) throw res.error.errorName === 'UNKNOWN_TOPIC_OR_PARTITION' ? topicNotHosted() : new RestProxyError(400, res.error.message);
    return reply.code(204).send();
  });
  app.get('/v3/clusters/:cluster/topics/:topic/partitions', async (req) => {
    const { links: l } = await links(req);
    const t = await topic(p(req).topic!);
    return l.list('KafkaPartition', `/topics/${t.name}/partitions`, t.partitions.map((x) => l.partition(t.name, x)));
  });
  app.get('/v3/clusters/:cluster/topics/:topic/partitions/:partition', async (req) => {
    const { links: l } = await links(req);
    const t = await topic(p(req).topic!);
    const part = t.partitions.find((x) => String(x.partition) === p(req).partition);
    if (part === undefined) throw topicNotHosted();
    return l.partition(t.name, part);
  });
  app.get('/v3/clusters/:cluster/topics/:topic/configs', async (req) => {
    const { links: l } = await links(req);
    const t = await topic(p(req).topic!);
    const [res] = await ctx.client.describeConfigs([{ type: 'topic', name: t.name }]);
    return l.list('KafkaTopicConfig', `/topics/${t.name}/configs`, (res?.configs ?? []).map((c) => l.topicConfig(t.name, c)));
  });
  app.post('/v3/clusters/:cluster/topics/:topic/configs:alter', async (req, reply) => {
    await links(req);
    const t = await topic(p(req).topic!);
    const data = ((req.body ?? {}) as { data?: Array<{ name: string; value?: string; operation?: string }> }).data ?? [];
    const ops = data.map((d) => (String(d.operation ?? 'SET').toUpperCase() === 'DELETE' ? { name: d.name, op: 'delete' as const } : { name: d.name, op: 'set' as const, value: d.value ?? null }));
    const [res] = await ctx.client.incrementalAlterConfigs([{ type: 'topic', name: t.name, ops }]);
    if (res?.error) throw new RestProxyError(400, res.error.brokerMessage ?? res.error.message);
    return reply.code(204).send();
  });

  app.get('/v3/clusters/:cluster/consumer-groups', async (req) => {
    const { links: l } = await links(req);
    const groups = (await listGroups(ctx.client)).sort((a, b) => a.groupId.localeCompare(b.groupId));
    const described = groups.length === 0 ? [] : await describeGroups(ctx.client, groups.map((g) => g.groupId));
    return l.list('KafkaConsumerGroup', '/consumer-groups', described.map((g) => ({
      kind: 'KafkaConsumerGroup',
      metadata: { self: l.url(`/consumer-groups/${g.groupId}`), resource_name: l.resource(`/consumer-group=${g.groupId}`) },
      cluster_id: l.clusterId,
      consumer_group_id: g.groupId,
      is_simple: g.protocolType === '',
      partition_assignor: g.protocol,
      state: g.state.toUpperCase(),
      coordinator: l.related(`/brokers/${g.coordinator}`),
      consumer: l.related(`/consumer-groups/${g.groupId}/consumers`),
      lag_summary: l.related(`/consumer-groups/${g.groupId}/lag-summary`),
    })));
  });
  app.get('/v3/clusters/:cluster/consumer-groups/:group/lags', async (req) => {
    const { links: l } = await links(req);
    const lags = await groupLags(ctx, p(req).group!);
    return l.list('KafkaConsumerLag', `/consumer-groups/${p(req).group}/lags`, lags.map((x) => ({
      kind: 'KafkaConsumerLag',
      metadata: {
        self: l.url(`/consumer-groups/${p(req).group}/lags/${x.topic}/partitions/${x.partition}`),
        resource_name: l.resource(`/consumer-group=${p(req).group}/lag=${x.topic}/partition=${x.partition}`),
      },
      cluster_id: l.clusterId,
      consumer_group_id: p(req).group,
      topic_name: x.topic,
      partition_id: x.partition,
      current_offset: x.current,
      log_end_offset: x.end,
      lag: x.end - x.current,
      consumer_id: '',
      instance_id: null,
      client_id: '',
    })));
  });
  app.get('/v3/clusters/:cluster/consumer-groups/:group/lag-summary', async (req) => {
    const { links: l } = await links(req);
    const group = p(req).group!;
    const lags = await groupLags(ctx, group);
    const max = lags.reduce<(typeof lags)[number] | null>((m, x) => (m === null || x.end - x.current > m.end - m.current ? x : m), null);
    return {
      kind: 'KafkaConsumerGroupLagSummary',
      metadata: { self: l.url(`/consumer-groups/${group}/lag-summary`), resource_name: l.resource(`/consumer-group=${group}/lag-summary`) },
      cluster_id: l.clusterId,
      consumer_group_id: group,
      max_lag_consumer_id: '',
      max_lag_instance_id: null,
      max_lag_client_id: '',
      max_lag_topic_name: max?.topic ?? '',
      max_lag_partition_id: max?.partition ?? 0,
      max_lag: max === null ? 0 : max.end - max.current,
      total_lag: lags.reduce((s, x) => s + x.end - x.current, 0),
      max_lag_consumer: null,
      max_lag_partition: max === null ? null : l.related(`/topics/${max.topic}/partitions/${max.partition}`),
    };
  });

  app.post('/v3/clusters/:cluster/topics/:topic/records', async (req, reply: FastifyReply) => {
    const { links: l } = await links(req);
    const t = await topic(p(req).topic!);
    if (!(req.body instanceof StreamedObjects)) return reply.code(200).send(await produceOne(l, t, req.body, req.headers.authorization));
    // Streamed: one result per record, in order, each a JSON object on its own line; a failed
    // record answers its error and the stream goes on, as Confluent's streaming produce does.
    const lines: string[] = [];
    for (const body of req.body.objects) {
      try {
        lines.push(JSON.stringify(await produceOne(l, t, body, req.headers.authorization)));
      } catch (err) {
        const status = err instanceof RestProxyError ? err.errorCode : 500;
        lines.push(JSON.stringify({ error_code: status, message: (err as Error).message }));
      }
    }
    return reply.code(200).header('content-type', 'application/json').send(lines.join('\n') + '\n');
  });

  async function produceOne(l: V3Links, t: TopicInfo, body: unknown, authorization: string | undefined): Promise<Record<string, unknown>> {
    const b = (body ?? {}) as { partition_id?: number; key?: Data; value?: Data; headers?: Array<{ name: string; value: string | null }>; timestamp?: string };
    if (b.partition_id !== undefined && !t.partitions.some((x) => x.partition === b.partition_id)) throw topicNotHosted();
    const key = await v3Bytes(ctx, t.name, 'key', b.key, authorization);
    const value = await v3Bytes(ctx, t.name, 'value', b.value, authorization);
    const timestamp = b.timestamp !== undefined ? Date.parse(b.timestamp) : Date.now();
    const [result] = await produceRecords(ctx.client, t.name, t.partitions.length, [{
      partition: b.partition_id ?? null,
      key: key?.bytes ?? null,
      value: value?.bytes ?? null,
      headers: (b.headers ?? []).map((h) => ({ key: h.name, value: h.value === null ? null : Buffer.from(h.value, 'base64') })),
      timestamp,
    }]);
    if (result!.offset === null) throw new RestProxyError(result!.error_code === 1 ? 503 : 500, result!.error ?? 'produce failed');
    const size = (d: typeof key) => (d === null ? null : { type: d.type, size: d.bytes?.length ?? 0, ...(d.schemaId !== null ? { schema_id: d.schemaId } : {}) });
    return {
      error_code: 200,
      cluster_id: l.clusterId,
      topic_name: t.name,
      partition_id: result!.partition,
      offset: result!.offset,
      timestamp: new Date(timestamp).toISOString(),
      key: size(key),
      value: size(value),
    };
  }
}

async function groupLags(ctx: ProxyContext, group: string): Promise<Array<{ topic: string; partition: number; current: number; end: number }>> {
  let committed;
  try {
    committed = await fetchOffsets(ctx.client, group);
  } catch (err) {
    if (err instanceof KafkaResponseError && err.errorName === 'GROUP_ID_NOT_FOUND') throw notFound(`Consumer group ${group} cannot be found.`);
    throw err;
  }
  const out = [];
  for (const c of committed) {
    if (c.error !== null || c.offset < 0) continue;
    const end = (await ctx.client.listOffsets(c.topic, c.partition, 'latest')).offset;
    out.push({ topic: c.topic, partition: c.partition, current: c.offset, end });
  }
  return out;
}

/** A v3 key or value: its bytes, its type as answered, and the schema id for the schema types. */
/** `authorization`: the caller's, passed on if a schema registration is forwarded to the registry leader. */
async function v3Bytes(ctx: ProxyContext, topic: string, part: 'key' | 'value', d: Data | undefined, authorization: string | undefined): Promise<{ bytes: Buffer | null; type: string; schemaId: number | null } | null> {
  if (d === undefined || d === null) return null;
  let type = String(d.type ?? '').toUpperCase();
  if (type === '' && d.schema_id === undefined && d.schema === undefined) type = 'JSON';
  if (d.data === null || d.data === undefined) return { bytes: null, type: type || 'JSON', schemaId: null };
  switch (type) {
    case 'BINARY':
      if (typeof d.data !== 'string') throw new RestProxyError(400, 'BINARY data is a base64 string');
      return { bytes: Buffer.from(d.data, 'base64'), type, schemaId: null };
    case 'STRING':
      return { bytes: Buffer.from(String(d.data)), type, schemaId: null };
    case 'JSON':
      return { bytes: Buffer.from(JSON.stringify(d.data)), type, schemaId: null };
    default: {
      const registry: Registry = await ctx.registry.get();
      let id = d.schema_id;
      if (id === undefined && d.schema !== undefined) {
        const schemaType = type === 'JSONSCHEMA' ? 'JSON' : type === 'PROTOBUF' ? 'PROTOBUF' : 'AVRO';
        id = (await registry.register(d.subject ?? `${topic}-${part}`, { schema: d.schema, schemaType, references: [] }, false, authorization)).id;
      }
      if (id === undefined) {
        const subject = d.subject ?? `${topic}-${part}`;
        id = registry.version(subject, d.schema_version ?? 'latest', false).id;
      }
      const stored = registry.schemaById(id);
      const format: EmbeddedFormat = formatOfSchemaType(stored.schemaType);
      const codecs = await ctx.schemaCodecs();
      return { bytes: codecs.encode(format, d.data, id), type: stored.schemaType === 'JSON' ? 'JSONSCHEMA' : stored.schemaType, schemaId: id };
    }
  }
}
