/**
 * One registry per broker and `_schemas` topic in a process, shared by the Schema Registry's
 * routes and the REST Proxy (which registers and looks up schemas for its Avro and JSON Schema
 * formats in-process rather than over HTTP). Opened on first use, closed with its last user.
 */
import { KafkaClient } from '../../client/client.js';
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

/** `bootstrap` is asked for on first use: a PLAINTEXT `host:port` of the broker. */
export function registryHandle(bootstrap: () => string, topic = SCHEMAS_TOPIC, warn: (msg: string) => void = () => undefined): RegistryHandle {
  let key: string | null = null;
  return {
    get() {
      if (key === null) {
        key = `${bootstrap()}\0${topic}`;
        let entry = open.get(key);
        if (entry === undefined) {
          const client = new KafkaClient({ bootstrap: bootstrap(), clientId: 'strand-schema-registry' });
          entry = { users: 0, client, registry: openRegistry(client, topic, warn) };
          open.set(key, entry);
        }
        entry.users++;
      }
      const entry = open.get(key)!;
      return entry.registry.catch((err: unknown) => {
        // The next request tries again (the broker may still be electing `_schemas`' leader).
        if (open.get(key!) === entry) entry.registry = openRegistry(entry.client, topic, warn);
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
      await entry.client.close();
    },
  };
}

async function openRegistry(client: KafkaClient, topic: string, warn: (msg: string) => void): Promise<Registry> {
  const state = new RegistryState(warn);
  const schemas = new SchemasTopic(client, state, topic);
  await schemas.open();
  return new Registry(state, schemas);
}
