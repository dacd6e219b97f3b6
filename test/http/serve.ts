/**
 * A broker started in-process with the HTTP layers under test (Schema Registry, REST Proxy) served by a fastify app of their
 * own on a free port, reached over real HTTP with `fetch`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { restProxy } from '../../src/http/rest-proxy/index.js';
import { schemaRegistry } from '../../src/http/schema-registry/index.js';

export interface Served {
  broker: RunningBroker;
  app: FastifyInstance;
  url: string;
  /** Stops the app, then the broker. */
  stop(): Promise<void>;
}

export async function serve(options: { dataDir?: string } = {}): Promise<Served> {
  // REST Proxy consumer instances join groups: a new group's first rebalance need not wait 3 s here.
  const config = { 'group.initial.rebalance.delay.ms': '0' };
  const broker = await startBroker({ logLevel: 'silent', config, ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}) });
  const app = Fastify({ logger: false });
  await app.register(schemaRegistry, { bootstrap: () => broker.bootstrap });
  await app.register(restProxy, { bootstrap: () => broker.bootstrap });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    broker, app, url,
    async stop() {
      await app.close();
      await broker.stop();
    },
  };
}

export interface Answer {
  status: number;
  type: string | null;
  body: unknown;
}

/** One request; `body` is sent as JSON text unless it is already a string. */
export async function call(url: string, method: string, path: string, body?: unknown, contentType = 'application/vnd.schemaregistry.v1+json'): Promise<Answer> {
  const init: RequestInit = { method, headers: body === undefined ? {} : { 'content-type': contentType } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(url + path, init);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text === '' ? null : JSON.parse(text) };
}
