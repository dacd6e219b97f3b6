/**
 * The REST Proxy as a fastify plugin: Confluent REST Proxy v2 (topics, produce, consumer
 * instances) and v3 (clusters, brokers, topics, partitions, configs, consumer groups and lag,
 * records) over the broker's own Kafka listener, with the Schema Registry of the same broker
 * for the avro and jsonschema formats.
 */
import type { FastifyInstance } from 'fastify';
import { acceptJson, confluentErrors } from '../schema-registry/http-common.js';
import { registryHandle } from '../schema-registry/shared.js';
import { KAFKA_V2_JSON, ProxyContext } from './context.js';
import { parseJsonOrStream } from './json-stream.js';
import { v2ConsumerRoutes } from './v2-consumers.js';
import { v2TopicRoutes } from './v2-topics.js';
import { v3Routes } from './v3.js';

export interface RestProxyOptions {
  /** `host:port` of a PLAINTEXT Kafka listener of the broker (asked for on the first request). */
  bootstrap: () => string;
  /** Idle consumer instances are dropped after this long. Default 300000 (Confluent's consumer.instance.timeout.ms). */
  consumerInstanceTimeoutMs?: number;
  /** heartbeat.interval.ms of the consumer instances' group membership (Confluent's `consumer.*` settings of the proxy). Default 3000. */
  consumerHeartbeatIntervalMs?: number;
  /** The same broker's registry URL in a cluster (see SchemaRegistryOptions.leaderUrl). */
  registryUrl?: () => string | null;
  warn?: (msg: string, err?: Error) => void;
}

export async function restProxy(app: FastifyInstance, opts: RestProxyOptions): Promise<void> {
  const warn = opts.warn ?? (() => undefined);
  const registry = registryHandle(opts.bootstrap, undefined, (m) => warn(m), opts.registryUrl);
  const ctx = new ProxyContext(opts.bootstrap, registry, (m, err) => warn(m, err instanceof Error ? err : undefined));
  acceptJson(app, [/^application\/vnd\.kafka\.[a-z]+\.v[23]\+json/, /^application\/vnd\.kafka\.v[23]\+json/]);
  // Plain JSON bodies may also be v3's streamed records (JSON objects back to back).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, parseJsonOrStream(text));
    } catch (err) {
      done(Object.assign(new Error(`Unexpected character in the request body: ${(err as Error).message}`), { statusCode: 400 }), undefined);
    }
  });
  // v3 answers plain JSON; v2 answers its own content type (set per response below).
  confluentErrors(app, 'application/json', (err) => warn('rest proxy: request failed', err));
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith('/v3') && String(reply.getHeader('content-type') ?? '').startsWith('application/json')) reply.header('content-type', KAFKA_V2_JSON);
    return payload;
  });
  v2TopicRoutes(app, ctx);
  v2ConsumerRoutes(app, ctx, opts.consumerInstanceTimeoutMs ?? 300_000, opts.consumerHeartbeatIntervalMs ?? 3000);
  v3Routes(app, ctx);
  app.addHook('onClose', async () => {
    await registry.release();
    await ctx.close();
  });
}
