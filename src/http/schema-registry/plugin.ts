/** The Schema Registry on the broker's admin HTTP listener, at the root as Confluent serves it (`/subjects`, `/schemas`, ...). */
import type { HttpBroker, HttpPlugin } from '../server.js';
import { schemaRegistry } from './index.js';

/** A PLAINTEXT listener of the broker, which the registry's own Kafka client uses. */
export function plaintextBootstrap(broker: HttpBroker): string {
  const l = broker.listenerEndpoints().find((e) => e.securityProtocol === 'PLAINTEXT');
  if (l === undefined) throw Object.assign(new Error('the schema registry and REST proxy need a PLAINTEXT listener on the broker'), { statusCode: 500 });
  return l.listening;
}

/** In a cluster, this broker's registry URL for the leader election (its first admin listener); null on a single broker. */
export function registryUrlOf(broker: HttpBroker): string | null {
  if (broker.clusterAdmin === null) return null;
  return broker.httpAddresses()[0] ?? null;
}

export const schemaRegistryPlugin: HttpPlugin = {
  name: 'schema-registry',
  plugin: async (app, { broker }) => {
    await schemaRegistry(app, {
      bootstrap: () => plaintextBootstrap(broker()),
      leaderUrl: () => registryUrlOf(broker()),
      warn: (msg, err) => broker().logger.warn({ err }, msg),
    });
  },
};
