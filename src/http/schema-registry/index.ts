/**
 * The Schema Registry as a fastify plugin. It reaches the broker as a Kafka client of the
 * broker's own listener (so in a cluster `_schemas` lives on whichever broker leads it, with its
 * replicas), opens on the first request (creating `_schemas` and reading it to its end), and
 * lets go of the registry when the app closes.
 */
import type { FastifyInstance } from 'fastify';
import { registryRoutes } from './routes.js';
import { registryHandle } from './shared.js';

export { registryHandle, type RegistryHandle } from './shared.js';

export interface SchemaRegistryOptions {
  /** `host:port` of a PLAINTEXT Kafka listener of the broker (asked for on the first request). */
  bootstrap: () => string;
  /** Default `_schemas` (Confluent's `kafkastore.topic`). */
  topic?: string;
  /** This registry's base URL when it is one of a cluster's (it then takes part in the leader election); null alone. */
  leaderUrl?: () => string | null;
  warn?: (msg: string, err?: Error) => void;
}

export async function schemaRegistry(app: FastifyInstance, opts: SchemaRegistryOptions): Promise<void> {
  const warn = opts.warn ?? (() => undefined);
  const handle = registryHandle(opts.bootstrap, opts.topic, (m) => warn(m), opts.leaderUrl);
  registryRoutes(app, () => handle.get(), (err) => warn('schema registry: request failed', err));
  app.addHook('onClose', () => handle.release());
}
