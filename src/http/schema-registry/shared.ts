/**
 * One registry per broker and `_schemas` topic in a process, shared by the Schema Registry's
 * routes and the REST Proxy (which registers and looks up schemas for its Avro and JSON Schema
 * formats in-process rather than over HTTP). Opened on first use, closed with its last user.
 */
import { KafkaClient } from '../../client/client.js';
import { RegistryElection, SOLE_LEADER } from './leader-election.js';
import { Registry } from './registry.js';
import { SCHEMAS_TOPIC, SchemasTopic } from './schemas-topic.js';
import { RegistryState } from './state.js';

interface Entry {
  users: number;
  client: KafkaClient;
  registry: Promise<Registry>;
}

const open = new Map<string, Entry>();

export interface RegistryHandle {
  /** The registry, opening it (creating and reading `_schemas`) on first use. */
  get(): Promise<Registry>;
  release(): Promise<void>;
}

/**
 * `bootstrap` is asked for on first use: a PLAINTEXT `host:port` of the broker. `leaderUrl`,
 * asked for then too, is this registry's own base URL when it must take part in a cluster's
 * leader election (null on a single broker, which is always the leader).
 */
export function registryHandle(bootstrap: () => string, topic = SCHEMAS_TOPIC, warn: (msg: string) => void = () => undefined, leaderUrl: () => string | null = () => null): RegistryHandle {
  let key: string | null = null;
  return {
    get() {
      if (key === null) {
        key = `${bootstrap()}\0${topic}`;
        let entry = open.get(key);
        if (entry === undefined) {
          const client = new KafkaClient({ bootstrap: bootstrap(), clientId: 'strand-schema-registry' });
          entry = { users: 0, client, registry: openRegistry(client, topic, warn, leaderUrl()) };
          open.set(key, entry);
        }
        entry.users++;
      }
      const entry = open.get(key)!;
      return entry.registry.catch((err: unknown) => {
        // The next request tries again (the broker may still be electing `_schemas`' leader).
        if (open.get(key!) === entry) entry.registry = openRegistry(entry.client, topic, warn, leaderUrl());
        throw err;
      });
    },
    async release() {
      if (key === null) return;
      const entry = open.get(key);
      key = null;
      if (entry === undefined || --entry.users > 0) return;
      open.forEach((e, k) => {
        if (e === entry) open.delete(k);
      });
      await entry.registry.then((r) => r.close(), () => undefined);
      await entry.client.close();
    },
  };
}

async function openRegistry(client: KafkaClient, topic: string, warn: (msg: string) => void, url: string | null): Promise<Registry> {
  const state = new RegistryState(warn);
  const schemas = new SchemasTopic(client, state, topic);
  await schemas.open();
  schemas.follow(new KafkaClient({ bootstrap: client.bootstrap.map((b) => `${b.host}:${b.port}`).join(','), clientId: 'strand-schema-registry-reader' }), warn);
  const leadership = url === null ? SOLE_LEADER : new RegistryElection({ client, url, warn: (m, err) => warn(err === undefined ? m : `${m}: ${(err as Error).message}`) });
  return new Registry(state, schemas, leadership);
}
