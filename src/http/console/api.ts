/**
 * The console's JSON under /api/: the cluster, topics (with their partitions, sizes and
 * configs; create and delete), consumer groups with lag, traffic totals for the live charts,
 * and a message browser. Every read is of the broker's own state (no Kafka client in between);
 * every value from the query or body is checked first (params.ts) and refused with a 400.
 * Each action is authorized as the Kafka API doing it would be (auth/access.ts): topics and
 * groups the principal may not Describe are left out of lists, and a named one it may not
 * Describe, Read (messages), Create or Delete is answered 403, whether it exists or not.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KafkaErrorCode, StrandError } from '../../errors.js';
import { AclOperation as Op, CLUSTER_NAME, ResourceType } from '../../security/acl/types.js';
import { authorizeHttp, forbidden } from '../auth/index.js';
import { consumerLag, listGroups } from '../metrics/lag.js';
import type { HttpBroker } from '../server.js';
import { BadRequest, intParam, topicParam } from './params.js';
import { preview } from './preview.js';

const MAX_MESSAGES = 500;

function describeTopic(b: HttpBroker, name: string) {
  const t = b.topics.get(name);
  if (t === undefined) return undefined;
  const partitions = [];
  let size = 0;
  let messages = 0;
  for (let p = 0; p < t.partitions; p++) {
    const log = b.topics.log(name, p);
    const view = b.replication.view(name, p);
    const row = {
      partition: p,
      leader: view?.leader ?? -1,
      replicas: view?.replicas ?? [],
      isr: view?.isr ?? [],
      startOffset: log?.startOffset ?? -1,
      endOffset: log?.endOffset ?? -1,
      highWatermark: log === null ? -1 : b.replication.highWatermark(name, p, log),
      sizeBytes: log?.size ?? 0,
      segments: log?.segmentCount ?? 0,
    };
    size += row.sizeBytes;
    if (log !== null) messages += log.endOffset - log.startOffset;
    partitions.push(row);
  }
  return { name, topicId: t.topicId, internal: t.internal, partitions, sizeBytes: size, offsets: messages, configs: Object.fromEntries(t.configs) };
}

/** A topic refusal as HTTP: 404 unknown, 409 exists, 400 otherwise (the Kafka error named). */
function httpError(err: unknown): Error {
  if (!(err instanceof StrandError)) return err as Error;
  const status = err.kafkaCode === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? 404 : err.kafkaCode === KafkaErrorCode.TOPIC_ALREADY_EXISTS ? 409 : 400;
  return Object.assign(new Error(err.message), { statusCode: status });
}

const canTopic = (req: FastifyRequest, b: HttpBroker, op: number, name: string) => authorizeHttp(req, b, op, ResourceType.TOPIC, name);
const canGroup = (req: FastifyRequest, b: HttpBroker, name: string) => authorizeHttp(req, b, Op.DESCRIBE, ResourceType.GROUP, name);

/** 403 unless the principal may do `op` on topic `name`. */
function requireTopic(req: FastifyRequest, b: HttpBroker, op: number, name: string, what: string): void {
  if (!canTopic(req, b, op, name)) throw forbidden(req, `${what} topic ${name}`);
}

export function registerConsoleApi(app: FastifyInstance, broker: () => HttpBroker): void {
  app.get('/api/cluster', async () => {
    const b = broker();
    return { clusterId: b.clusterId, nodeId: b.nodeId, controller: b.replication.controllerId(), clustered: b.replication.clustered, brokers: b.replication.brokers(), listeners: b.listenerEndpoints(), http: b.httpAddresses() };
  });

  app.get('/api/topics', async (req) => {
    const b = broker();
    const internal = (req.query as Record<string, string>).internal === 'true';
    return b.topics.list().filter((t) => (internal || !t.internal) && canTopic(req, b, Op.DESCRIBE, t.name)).sort((x, y) => x.name.localeCompare(y.name)).map((t) => {
      const d = describeTopic(b, t.name)!;
      return { name: d.name, internal: d.internal, partitions: d.partitions.length, sizeBytes: d.sizeBytes, offsets: d.offsets, configs: d.configs };
    });
  });

  app.get('/api/topics/:topic', async (req) => {
    const name = topicParam((req.params as Record<string, string>).topic);
    requireTopic(req, broker(), Op.DESCRIBE, name, 'describe');
    const d = describeTopic(broker(), name);
    if (d === undefined) throw Object.assign(new Error(`topic ${name} does not exist`), { statusCode: 404 });
    return d;
  });

  app.post('/api/topics', async (req, reply) => {
    const body = (req.body ?? {}) as { name?: unknown; partitions?: unknown; configs?: unknown };
    const name = topicParam(body.name);
    // Kafka's CreateTopics: Create on the cluster, or on the topic.
    if (!authorizeHttp(req, broker(), Op.CREATE, ResourceType.CLUSTER, CLUSTER_NAME) && !canTopic(req, broker(), Op.CREATE, name)) throw forbidden(req, `create topic ${name}`);
    const partitions = intParam('partitions', body.partitions, Number(broker().config.raw('num.partitions') ?? 1), 1, 10_000);
    const configs = new Map<string, string>();
    if (body.configs !== undefined) {
      if (typeof body.configs !== 'object' || body.configs === null || Array.isArray(body.configs)) throw new BadRequest('configs must be an object of strings, e.g. {"retention.ms": "60000"}');
      for (const [k, v] of Object.entries(body.configs)) configs.set(k, String(v));
    }
    try {
      broker().topics.create(name, partitions, configs);
    } catch (err) {
      throw httpError(err);
    }
    return reply.code(201).send(describeTopic(broker(), name) ?? { name });
  });

  app.delete('/api/topics/:topic', async (req, reply) => {
    const name = topicParam((req.params as Record<string, string>).topic);
    const b = broker();
    requireTopic(req, b, Op.DELETE, name, 'delete');
    if (b.topics.get(name) === undefined) throw Object.assign(new Error(`topic ${name} does not exist`), { statusCode: 404 });
    if (b.topics.get(name)!.internal) throw new BadRequest(`${name} is an internal topic and cannot be deleted here`);
    try {
      await b.topics.delete(name);
    } catch (err) {
      throw httpError(err);
    }
    return reply.code(204).send();
  });

  app.get('/api/groups', async (req) => {
    const b = broker();
    const lag = consumerLag(b).filter((l) => canTopic(req, b, Op.DESCRIBE, l.topic));
    return listGroups(b).filter((g) => canGroup(req, b, g.group)).map((g) => ({ ...g, lag: lag.filter((l) => l.group === g.group && l.lag > 0).reduce((n, l) => n + l.lag, 0) }));
  });

  app.get('/api/groups/:group', async (req) => {
    const b = broker();
    const group = String((req.params as Record<string, string>).group);
    if (!canGroup(req, b, group)) throw forbidden(req, `describe group ${group.slice(0, 256)}`);
    const known = listGroups(b).find((g) => g.group === group);
    // As OffsetFetch: the offsets of topics the principal may not Describe are left out.
    const partitions = consumerLag(b, [group]).filter((l) => canTopic(req, b, Op.DESCRIBE, l.topic));
    if (known === undefined && partitions.length === 0) throw Object.assign(new Error(`group ${group.slice(0, 256)} is not known here`), { statusCode: 404 });
    return { group, state: known?.state ?? 'Empty', type: known?.type ?? 'classic', partitions };
  });

  /** Totals since start; the page turns two readings into rates. */
  app.get('/api/throughput', async (req) => {
    const b = broker();
    const totals = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
    const topics: Record<string, typeof totals> = {};
    for (const [name, c] of b.stats.topics) {
      if (b.topics.get(name) === undefined || !canTopic(req, b, Op.DESCRIBE, name)) continue;
      topics[name] = { bytesIn: c.bytesIn, bytesOut: c.bytesOut, messagesIn: c.messagesIn, messagesOut: c.messagesOut };
      totals.bytesIn += c.bytesIn;
      totals.bytesOut += c.bytesOut;
      totals.messagesIn += c.messagesIn;
      totals.messagesOut += c.messagesOut;
    }
    return { time: Date.now(), ...totals, connections: b.connectionCount, topics };
  });

  /**
   * Records of one partition from `offset`, or from the first at or after `timestamp` (ms),
   * at most `limit` (up to 500), keys, values and headers as byte-safe previews.
   */
  app.get('/api/topics/:topic/messages', async (req) => {
    const b = broker();
    const name = topicParam((req.params as Record<string, string>).topic);
    const q = req.query as Record<string, string>;
    requireTopic(req, b, Op.READ, name, 'read');
    const t = b.topics.get(name);
    if (t === undefined) throw Object.assign(new Error(`topic ${name} does not exist`), { statusCode: 404 });
    const partition = intParam('partition', q.partition, 0, 0, t.partitions - 1);
    const limit = intParam('limit', q.limit, 50, 1, MAX_MESSAGES);
    const log = b.topics.log(name, partition);
    if (log === null) throw Object.assign(new Error(`${name}-${partition} has no log on this broker`), { statusCode: 404 });
    const end = b.replication.highWatermark(name, partition, log);
    let offset: number;
    if (q.timestamp !== undefined && q.timestamp !== '') {
      const found = await log.offsetForTime(intParam('timestamp', q.timestamp, 0));
      offset = found ?? end;
    } else offset = intParam('offset', q.offset, log.startOffset);
    offset = Math.max(offset, log.startOffset);
    const messages: unknown[] = [];
    let next = offset;
    while (messages.length < limit && next < end) {
      const read = await log.read(next, { maxBytes: 256 * 1024 });
      if (read.nextOffset <= next) break;
      for (const r of read.records) {
        if (r.offset >= end || messages.length >= limit) break;
        messages.push({ offset: r.offset, timestamp: r.timestamp, key: preview(r.key, 256), value: preview(r.value), headers: r.headers.map((h) => ({ key: h.key, value: preview(h.value, 256) })) });
        next = r.offset + 1;
      }
      // Every record of this read below the end was taken (or none was left: control batches).
      if (messages.length < limit) next = Math.max(next, Math.min(read.nextOffset, end));
    }
    return { topic: name, partition, startOffset: log.startOffset, endOffset: end, from: offset, next, messages };
  });
}
