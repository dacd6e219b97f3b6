/**
 * The Schema Registry as a fastify plugin. It reaches the broker as a Kafka client of the
 * broker's own listener (so in a cluster `_schemas` lives on whichever broker leads it, with its
 * replicas), opens lazily on the first request (creating `_schemas` and reading it to its end),
 * and closes its client with the app.
 */
import type { FastifyInstance } from 'fastify';
import { KafkaClient } from '../../client/client.js';
import { Registry } from './registry.js';
import { registryRoutes } from './routes.js';
import { SCHEMAS_TOPIC, SchemasTopic } from './schemas-topic.js';
import { RegistryState } from './state.js';

export interface SchemaRegistryOptions {
  /** `host:port` of a PLAINTEXT Kafka listener of the broker (asked for on the first request). */
  bootstrap: () => string;
  /** Default `_schemas` (Confluent's `kafkastore.topic`). */
  topic?: string;
  warn?: (msg: string, err?: Error) => void;
}

export async function schemaRegistry(app: FastifyInstance, opts: SchemaRegistryOptions): Promise<void> {
  const warn = opts.warn ?? (() => undefined);
  let client: KafkaClient | null = null;
  let opening: Promise<Registry> | null = null;
  const registry = (): Promise<Registry> => {
    opening ??= (async () => {
      client = new KafkaClient({ bootstrap: opts.bootstrap(), clientId: 'strand-schema-registry' });
      const state = new RegistryState((m) => warn(m));
      const topic = new SchemasTopic(client, state, opts.topic ?? SCHEMAS_TOPIC);
      await topic.open();
      return new Registry(state, topic);
    })().catch(async (err: unknown) => {
      // The next request tries again (the broker may still be electing `_schemas`' leader).
      opening = null;
      await client?.close();
      throw err;
    });
    return opening;
  };
  registryRoutes(app, registry, (err) => warn('schema registry: request failed', err));
  app.addHook('onClose', async () => {
    await client?.close();
  });
}
