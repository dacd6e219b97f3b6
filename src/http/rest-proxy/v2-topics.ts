/**
 * REST Proxy v2: GET /topics, /topics/{t}, /topics/{t}/partitions[/{p}[/offsets]], /brokers, and
 * produce with POST /topics/{t} and /topics/{t}/partitions/{p} in the binary, json, avro and
 * jsonschema embedded formats (`application/vnd.kafka.<format>.v2+json`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PartitionInfo } from '../../client/core.js';
import { parseSchema } from '../schema-registry/formats/index.js';
import type { ProxyContext } from './context.js';
import { keySchemaMissing, partitionNotFound, unprocessableEntity, unsupportedMediaType, valueSchemaMissing } from './errors.js';
import { type EmbeddedFormat, formatOfContentType, schemaTypeOfFormat } from './formats.js';
import { type OutgoingRecord, produceRecords } from './produce.js';

type Params = Record<string, string>;

function partitionJson(p: PartitionInfo): Record<string, unknown> {
  return { partition: p.partition, leader: p.leader, replicas: p.replicas.map((b) => ({ broker: b, leader: b === p.leader, in_sync: p.isr.includes(b) })) };
}

function partitionOf(raw: string, partitions: readonly PartitionInfo[]): PartitionInfo {
  const n = Number(raw);
  const p = Number.isInteger(n) ? partitions.find((x) => x.partition === n) : undefined;
  if (p === undefined) throw partitionNotFound();
  return p;
}

interface ProduceBody {
  records: Array<{ key?: unknown; value?: unknown; partition?: number | null }>;
  key_schema?: string | null;
  key_schema_id?: number | null;
  value_schema?: string | null;
  value_schema_id?: number | null;
}

function produceBody(body: unknown): ProduceBody {
  const b = body as Partial<ProduceBody> | undefined;
  if (typeof b !== 'object' || b === null || !Array.isArray(b.records)) throw unprocessableEntity('records may not be empty');
  return b as ProduceBody;
}

export function v2TopicRoutes(app: FastifyInstance, ctx: ProxyContext): void {
  const p = (req: FastifyRequest): Params => req.params as Params;

  app.get('/topics', async () => (await ctx.client.metadata(null)).topics.filter((t) => !t.internal && t.error === null).map((t) => t.name).sort());
  app.get('/topics/:topic', async (req) => {
    const t = await ctx.topic(p(req).topic!);
    const [described] = await ctx.client.describeConfigs([{ type: 'topic', name: t.name }]);
    const configs = Object.fromEntries((described?.configs ?? []).map((c) => [c.name, c.value]));
    return { name: t.name, configs, partitions: t.partitions.map(partitionJson) };
  });
  app.get('/topics/:topic/partitions', async (req) => (await ctx.topic(p(req).topic!)).partitions.map(partitionJson));
  app.get('/topics/:topic/partitions/:partition', async (req) => partitionJson(partitionOf(p(req).partition!, (await ctx.topic(p(req).topic!)).partitions)));
  app.get('/topics/:topic/partitions/:partition/offsets', async (req) => {
    const t = await ctx.topic(p(req).topic!);
    const part = partitionOf(p(req).partition!, t.partitions);
    const [beginning, end] = await Promise.all([ctx.client.listOffsets(t.name, part.partition, 'earliest'), ctx.client.listOffsets(t.name, part.partition, 'latest')]);
    return { beginning_offset: beginning.offset, end_offset: end.offset };
  });
  app.get('/brokers', async () => ({ brokers: (await ctx.client.metadata([])).brokers.map((b) => b.nodeId).sort((a, b) => a - b) }));

  const produce = async (req: FastifyRequest, fixedPartition: string | null): Promise<Record<string, unknown>> => {
    const format = formatOfContentType(req.headers['content-type']);
    if (format === null) throw unsupportedMediaType();
    const body = produceBody(req.body);
    const t = await ctx.topic(p(req).topic!);
    const partition = fixedPartition === null ? null : partitionOf(fixedPartition, t.partitions).partition;
    const keyId = await schemaIdFor(ctx, format, t.name, 'key', body.key_schema, body.key_schema_id, body.records.some((r) => r.key !== undefined && r.key !== null), req.headers.authorization);
    const valueId = await schemaIdFor(ctx, format, t.name, 'value', body.value_schema, body.value_schema_id, body.records.some((r) => r.value !== undefined && r.value !== null), req.headers.authorization);
    const codecs = keyId !== null || valueId !== null ? await ctx.schemaCodecs() : null;
    const records: OutgoingRecord[] = body.records.map((r) => ({
      partition: partition ?? (r.partition === undefined || r.partition === null ? null : partitionOf(String(r.partition), t.partitions).partition),
      key: encodeWith(codecs, format, r.key, keyId),
      value: encodeWith(codecs, format, r.value, valueId),
    }));
    const offsets = await produceRecords(ctx.client, t.name, t.partitions.length, records);
    return { key_schema_id: keyId, value_schema_id: valueId, offsets };
  };
  app.post('/topics/:topic', (req) => produce(req, null));
  app.post('/topics/:topic/partitions/:partition', (req) => produce(req, p(req).partition!));
}

function encodeWith(codecs: import('./formats.js').SchemaCodecs | null, format: EmbeddedFormat, value: unknown, id: number | null): Buffer | null {
  if (value === undefined || value === null) return null;
  if (codecs !== null) return codecs.encode(format, value, id);
  return format === 'binary' ? decodeBase64(value) : Buffer.from(JSON.stringify(value));
}

function decodeBase64(value: unknown): Buffer {
  if (typeof value !== 'string') throw unprocessableEntity('a binary key or value is a base64 string');
  return Buffer.from(value, 'base64');
}

/**
 * The schema id of a schema-format request's keys or values: `*_schema_id` as given, or
 * `*_schema` registered (or found) under `<topic>-key` / `<topic>-value`, as Confluent's
 * serializer does with TopicNameStrategy. Null for the schemaless formats. `authorization`, the
 * caller's, goes with the registration if it is forwarded to the registry leader.
 */
async function schemaIdFor(ctx: ProxyContext, format: EmbeddedFormat, topic: string, part: 'key' | 'value', schema: string | null | undefined, id: number | null | undefined, used: boolean, authorization: string | undefined): Promise<number | null> {
  const schemaType = schemaTypeOfFormat(format);
  if (schemaType === null || !used) return null;
  const registry = await ctx.registry.get();
  if (id !== undefined && id !== null) {
    registry.schemaById(id); // 40403 when unknown
    return id;
  }
  if (schema === undefined || schema === null) throw part === 'key' ? keySchemaMissing() : valueSchemaMissing();
  parseSchema(schemaType, schema, []);
  return (await registry.register(`${topic}-${part}`, { schema, schemaType, references: [] }, false, authorization)).id;
}
