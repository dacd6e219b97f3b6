/**
 * REST Proxy v2 consumer instances: POST /consumers/{group} creates one, and under
 * /consumers/{group}/instances/{name}: DELETE, subscription, assignments, records, offsets,
 * positions (+ /beginning, /end), with Confluent's bodies, status codes (204 where it answers
 * no content) and errors. An instance idle for `consumer.instance.timeout.ms` (5 minutes, as in
 * Confluent) is dropped.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConsumerInstance, type OffsetReset, type TopicPartition } from './consumer.js';
import type { ProxyContext } from './context.js';
import { consumerAlreadyExists, consumerFormatMismatch, invalidConsumerConfig, unprocessableEntity } from './errors.js';
import type { EmbeddedFormat } from './formats.js';

type Params = Record<string, string>;
type Query = Record<string, string | undefined>;

const FORMATS: readonly EmbeddedFormat[] = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'];

function partitionsOf(value: unknown, field = 'partitions'): TopicPartition[] {
  if (!Array.isArray(value)) throw unprocessableEntity(`${field} may not be empty`);
  return value.map((x: unknown) => {
    const o = x as Record<string, unknown>;
    if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition)) throw unprocessableEntity(`each of ${field} needs a topic and a partition`);
    return { topic: o.topic, partition: o.partition as number };
  });
}

function offsetsOf(value: unknown): Array<TopicPartition & { offset: number; metadata?: string }> {
  const parts = partitionsOf(value, 'offsets');
  return parts.map((p, i) => {
    const o = (value as Array<Record<string, unknown>>)[i]!;
    if (!Number.isInteger(o.offset)) throw unprocessableEntity('each of offsets needs an offset');
    return { ...p, offset: o.offset as number, ...(typeof o.metadata === 'string' ? { metadata: o.metadata } : {}) };
  });
}

/** `application/vnd.kafka.<format>.v2+json` in Accept; null when it names none (any format goes). */
function acceptedFormat(accept: string | undefined): EmbeddedFormat | null {
  const m = /application\/vnd\.kafka\.(binary|json|avro|jsonschema|protobuf)\.v2\+json/.exec(accept ?? '');
  return m === null ? null : (m[1] as EmbeddedFormat);
}

/** The JSON body of a request fastify did not parse (a GET), at most 1 MiB. */
async function rawJson(req: FastifyRequest): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw) {
    size += (chunk as Buffer).length;
    if (size > 1 << 20) throw Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw Object.assign(new Error(`Unexpected character in the request body: ${(err as Error).message}`), { statusCode: 400 });
  }
}

export function v2ConsumerRoutes(app: FastifyInstance, ctx: ProxyContext, instanceTimeoutMs: number, heartbeatIntervalMs: number): void {
  const p = (req: FastifyRequest): Params => req.params as Params;
  const q = (req: FastifyRequest): Query => req.query as Query;
  const instance = (req: FastifyRequest): ConsumerInstance => ctx.consumer(p(req).group!, p(req).name!);
  const body = (req: FastifyRequest): Record<string, unknown> => (typeof req.body === 'object' && req.body !== null ? req.body as Record<string, unknown> : {});
  const noContent = (reply: FastifyReply): FastifyReply => reply.code(204).send();

  const expiry = setInterval(() => {
    const now = Date.now();
    for (const [k, c] of ctx.consumers) {
      if (now - c.lastUsed <= instanceTimeoutMs) continue;
      // Expired (Confluent's consumer.instance.timeout.ms): it leaves its group, which rebalances.
      ctx.consumers.delete(k);
      void c.close().catch((err: unknown) => ctx.warn(`consumer ${c.name} of group ${c.group}: leaving the group failed`, err));
    }
  }, Math.min(Math.max(instanceTimeoutMs / 4, 100), 10_000));
  expiry.unref();
  app.addHook('onClose', async () => clearInterval(expiry));

  app.post('/consumers/:group', async (req) => {
    const group = p(req).group!;
    const b = body(req);
    const name = typeof b.name === 'string' && b.name !== '' ? b.name : `rest-consumer-${randomUUID()}`;
    const format = String(b.format ?? 'binary').toLowerCase() as EmbeddedFormat;
    if (!FORMATS.includes(format)) throw invalidConsumerConfig(`format ${String(b.format)} is not one of binary, json, avro, jsonschema, protobuf`);
    const reset = String(b['auto.offset.reset'] ?? 'latest').toLowerCase() as OffsetReset;
    if (!['earliest', 'latest', 'none'].includes(reset)) throw invalidConsumerConfig(`auto.offset.reset ${String(b['auto.offset.reset'])}`);
    const autoCommit = String(b['auto.commit.enable'] ?? 'true').toLowerCase() === 'true';
    const key = `${group}\0${name}`;
    if (ctx.consumers.has(key)) throw consumerAlreadyExists();
    ctx.consumers.set(key, new ConsumerInstance(ctx.client, group, name, format, reset, autoCommit, { bootstrap: ctx.bootstrap(), heartbeatIntervalMs, warn: ctx.warn }));
    const base = `${req.protocol}://${req.headers.host ?? req.hostname}${req.url.replace(/\/consumers\/[^/?]+.*$/, '')}`;
    return { instance_id: name, base_uri: `${base}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(name)}` };
  });
  app.delete('/consumers/:group/instances/:name', async (req, reply) => {
    const c = instance(req);
    await c.serial(async () => {
      if (c.autoCommit) await c.commit(null);
    });
    ctx.consumers.delete(`${c.group}\0${c.name}`);
    await c.close();
    return noContent(reply);
  });

  app.post('/consumers/:group/instances/:name/subscription', async (req, reply) => {
    const b = body(req);
    const topics = Array.isArray(b.topics) ? b.topics.map(String) : null;
    const pattern = typeof b.topic_pattern === 'string' ? b.topic_pattern : null;
    if ((topics === null || topics.length === 0) === (pattern === null)) throw unprocessableEntity('A subscription needs either topics or a topic_pattern');
    const c = instance(req);
    await c.serial(() => c.subscribe(topics, pattern));
    return noContent(reply);
  });
  app.get('/consumers/:group/instances/:name/subscription', async (req) => ({ topics: instance(req).subscription() }));
  app.delete('/consumers/:group/instances/:name/subscription', async (req, reply) => {
    const c = instance(req);
    await c.serial(() => c.unsubscribe());
    return noContent(reply);
  });
  app.post('/consumers/:group/instances/:name/assignments', async (req, reply) => {
    instance(req).assign(partitionsOf(body(req).partitions));
    return noContent(reply);
  });
  app.get('/consumers/:group/instances/:name/assignments', async (req) => ({ partitions: instance(req).assigned() }));

  app.get('/consumers/:group/instances/:name/records', async (req) => {
    const c = instance(req);
    const wanted = acceptedFormat(req.headers.accept);
    if (wanted !== null && wanted !== c.format) throw consumerFormatMismatch();
    const timeout = Math.min(Math.max(Number(q(req).timeout ?? 1000) || 0, 0), 30_000);
    const maxBytes = Math.max(Number(q(req).max_bytes ?? 64 * 1024 * 1024) || 0, 1);
    return c.serial(() => c.poll(() => ctx.schemaCodecs(), timeout, maxBytes));
  });

  app.post('/consumers/:group/instances/:name/offsets', async (req, reply) => {
    const c = instance(req);
    const b = body(req);
    await c.serial(() => c.commit(b.offsets === undefined ? null : offsetsOf(b.offsets)));
    return reply.code(200).send();
  });
  app.get('/consumers/:group/instances/:name/offsets', async (req) => {
    const c = instance(req);
    // Confluent's API takes a body on this GET; fastify parses none for GET, so it is read here.
    const b = (await rawJson(req)) as Record<string, unknown> | null;
    return { offsets: await c.serial(() => c.committed(partitionsOf(b?.partitions))) };
  });
  app.post('/consumers/:group/instances/:name/positions', async (req, reply) => {
    instance(req).seek(offsetsOf(body(req).offsets));
    return noContent(reply);
  });
  app.post('/consumers/:group/instances/:name/positions/beginning', async (req, reply) => {
    const c = instance(req);
    await c.serial(() => c.seekTo(partitionsOf(body(req).partitions), 'earliest'));
    return noContent(reply);
  });
  app.post('/consumers/:group/instances/:name/positions/end', async (req, reply) => {
    const c = instance(req);
    await c.serial(() => c.seekTo(partitionsOf(body(req).partitions), 'latest'));
    return noContent(reply);
  });
}
