/**
 * The broker's admin HTTP listener (`http.listeners`, e.g. `http://127.0.0.1:8080`; none by
 * default): Prometheus `/metrics`, `/health`, `/ready`, the console at `/` with its JSON under
 * `/api/`, and the plugins of other HTTP layers (schema registry, REST proxy).
 *
 * It starts before the data directory is opened, so an orchestrator sees the process up
 * (`/health` 200) but not ready (`/ready` 503) while the logs are recovered; `attach()` hands it
 * the running broker and `/ready` turns 200; `draining()` at the start of a graceful stop turns it
 * 503 again. Until a broker is attached, every route except `/health`, `/ready` and `/metrics`
 * answers 503 JSON, so a plugin's handlers may call `broker()` without checking.
 *
 * Plugin interface (other layers, e.g. src/http/schema-registry/ and src/http/rest-proxy/):
 *
 * ```ts
 * export const restProxy: HttpPlugin = {
 *   name: 'rest-proxy',
 *   prefix: '/v3',                         // optional; routes are registered under it
 *   plugin: async (app, { broker }) => {   // a fastify plugin, registered encapsulated
 *     app.get('/clusters', async () => ({ id: broker().clusterId }));
 *   },
 * };
 * ```
 *
 * and list it in `HTTP_PLUGINS` (src/http/plugins.ts: one import, one line), or pass it in
 * `extraPlugins` to `startAdminHttp()` (embedding, tests). Errors a plugin throws with a
 * `statusCode` (4xx) are answered as JSON `{ error_code, message }`, as Confluent's REST APIs do.
 *
 * Never on a public interface unless asked: a listener without a host binds 127.0.0.1.
 *
 * `https://` listeners take their key, certificate and client authentication from `http.ssl.*`
 * (auth/tls.ts); changed certificate files are reloaded as the Kafka listeners reload theirs.
 * Every request but the probes is authenticated as `http.authentication.method` says
 * (auth/index.ts), and `request.principal` tells a handler who asks; `authorizeHttp()`
 * (auth/access.ts) decides what that principal may do, with the broker's ACLs when it has an
 * authorizer.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Broker } from '../broker/broker.js';
import type { BrokerConfig } from '../broker/config.js';
import { ConfigError } from '../broker/config.js';
import type { SettingsSource } from '../security/settings.js';
import { type TlsSetup, watchFiles } from '../security/tls.js';
import { type HttpAuth, prepareHttpAuth } from './auth/index.js';
import { prepareHttpTls } from './auth/tls.js';
import { HTTP_PLUGINS } from './plugins.js';

/** What the HTTP layers see of the broker: its public surface (topics, store, config, replication, groups). */
export type HttpBroker = Broker;

export interface HttpPluginOptions {
  /** The running broker. Only called from request handlers: routes answer 503 until the broker is up. */
  broker: () => HttpBroker;
}

export interface HttpPlugin {
  name: string;
  prefix?: string;
  plugin: FastifyPluginAsync<HttpPluginOptions>;
}

export interface AdminHttpOptions {
  /** `http://host:port` or `https://host:port` entries; port 0 picks a free one. */
  listeners: string[];
  /** The broker's settings: `http.ssl.*`, `http.authentication.method` and the Kafka listeners' SASL users and keys. */
  config?: SettingsSource;
  /** Plugins registered after the built-in ones and HTTP_PLUGINS. */
  extraPlugins?: HttpPlugin[];
}

/** Where the admin listener is in its life; `/ready` is 200 only when `ready`. */
export type AdminState = 'starting' | 'ready' | 'draining';

/** Paths served before the broker is attached (the orchestrator's and Prometheus's). */
const ALWAYS = new Set(['/health', '/ready', '/metrics']);

export interface HttpListener {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

/** How often certificate files are checked for a change (as the Kafka listeners check theirs). */
const RELOAD_POLL_MS = 1000;

/** Parse `http.listeners` (comma-separated `http://host:port` or `https://host:port`); fails closed on anything else. */
export function parseHttpListeners(value: string): HttpListener[] {
  const out: HttpListener[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-zA-Z]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(raw);
    if (m === null) throw new ConfigError(`http.listeners: ${JSON.stringify(raw)} is not http://host:port or https://host:port, e.g. http://127.0.0.1:8080`);
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') throw new ConfigError(`http.listeners: ${JSON.stringify(raw)}: only http:// and https:// are served`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(`http.listeners: ${JSON.stringify(raw)}: port ${port} is above 65535`);
    const host = m[2]!.replace(/^\[|\]$/g, '');
    out.push({ scheme, host: host === '' ? '127.0.0.1' : host, port });
  }
  return out;
}

export class AdminHttp {
  private state: AdminState = 'starting';
  private current: HttpBroker | null = null;
  /** One server per listener, in the order of `http.listeners`, each routing into the app. */
  private readonly servers: Array<{ server: Server; scheme: 'http' | 'https' }> = [];
  private readonly attachHooks: Array<(broker: HttpBroker) => void> = [];
  private readonly closers: Array<() => void> = [];

  private constructor(readonly app: FastifyInstance, private readonly logger: Logger) {}

  /** Build the app, register every plugin, bind every listener. */
  static async start(options: AdminHttpOptions, logger: Logger): Promise<AdminHttp> {
    const listeners = options.listeners.flatMap((l) => parseHttpListeners(l));
    // Every setting is checked before anything is bound.
    const tls = listeners.some((l) => l.scheme === 'https') ? prepareHttpTls(options.config ?? { raw: () => undefined, entries: () => [][Symbol.iterator]() }) : null;
    const auth = prepareHttpAuth(options.config, tls);
    // fastify's own request logs stay off; failures are logged by the error handler below.
    const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
    const admin = new AdminHttp(app, logger);
    admin.closers.push(() => auth.close());
    app.addHook('onRequest', async (req, reply) => {
      if (admin.current !== null || ALWAYS.has(req.url.split('?')[0]!)) return;
      await reply.code(503).send({ error_code: 503, message: 'the broker is starting: its logs are being recovered' });
    });
    auth.install(app, () => admin.current);
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
      const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (status >= 500) logger.error({ err }, 'admin http: request failed');
      void reply.code(status).send({ error_code: status, message: err.message });
    });
    app.setNotFoundHandler((req, reply) => {
      void reply.code(404).send({ error_code: 404, message: `no route ${req.method} ${req.url.split('?')[0]}` });
    });
    const pluginOptions: HttpPluginOptions = { broker: () => admin.broker() };
    const { builtinPlugins } = await import('./builtin.js');
    for (const p of [...builtinPlugins(admin), ...HTTP_PLUGINS, ...(options.extraPlugins ?? [])]) {
      await app.register(p.plugin, { ...pluginOptions, prefix: p.prefix });
    }
    await app.ready();
    try {
      for (const l of listeners) {
        const server = l.scheme === 'https' ? admin.httpsServer(tls!) : createServer((req, res) => app.routing(req, res));
        admin.servers.push({ server, scheme: l.scheme });
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(l.port, l.host, () => resolve());
        });
      }
    } catch (err) {
      await admin.close();
      throw err;
    }
    logger.info({ http: admin.addresses() }, 'admin http listening');
    return admin;
  }

  /** An https server routing into the app, its certificates reloaded when their files change. */
  private httpsServer(tls: TlsSetup): Server {
    const server = createHttpsServer(tls.options(), (req, res) => this.app.routing(req, res));
    server.on('tlsClientError', (err, socket) => this.logger.debug({ remote: socket.remoteAddress, err: err.message }, 'admin https: TLS handshake failed'));
    this.closers.push(watchFiles(tls.files, RELOAD_POLL_MS, () => {
      try {
        server.setSecureContext(tls.options());
        this.logger.info({ files: tls.files }, 'admin https: TLS certificates reloaded');
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'admin https: TLS certificates changed but cannot be used; the previous ones stay');
      }
    }));
    return server;
  }

  /** `http://host:port` (or `https://`) of each listener as bound. */
  addresses(): string[] {
    return this.servers.flatMap(({ server, scheme }) => {
      const a = server.address();
      if (a === null || typeof a !== 'object') return [];
      return [`${scheme}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`];
    });
  }

  get readiness(): AdminState {
    return this.state;
  }

  /** The running broker; throws a 503 error before one is attached. */
  broker(): HttpBroker {
    if (this.current === null) throw Object.assign(new Error('the broker is not running'), { statusCode: 503 });
    return this.current;
  }

  /** Run `hook` when a broker is attached (at once if one is). */
  onAttach(hook: (broker: HttpBroker) => void): void {
    if (this.current !== null) hook(this.current);
    else this.attachHooks.push(hook);
  }

  /** The broker is up: its topics are loaded and its Kafka listeners bound. */
  attach(broker: HttpBroker): void {
    this.current = broker;
    this.state = 'ready';
    for (const hook of this.attachHooks.splice(0)) hook(broker);
  }

  /** A graceful stop began: not ready any more (the load balancer moves away), still serving. */
  draining(): void {
    this.state = 'draining';
  }

  async close(): Promise<void> {
    this.state = 'draining';
    for (const close of this.closers.splice(0)) close();
    for (const { server } of this.servers) {
      server.closeAllConnections();
      server.close();
    }
    await this.app.close();
    this.logger.debug('admin http closed');
  }
}

/**
 * Check every admin listener setting as `AdminHttp.start` would (listeners, `http.ssl.*`, the
 * authentication method and what backs it), binding nothing: for `strand config check`.
 */
export function checkAdminHttpSettings(config: SettingsSource): void {
  const listeners = parseHttpListeners(config.raw('http.listeners') ?? '');
  const tls = listeners.some((l) => l.scheme === 'https') ? prepareHttpTls(config) : null;
  prepareHttpAuth(config, tls).close();
}

/** Start the admin listener when `http.listeners` is set; null when it is not. */
export async function startAdminHttp(config: BrokerConfig, logger: Logger, extraPlugins: HttpPlugin[] = []): Promise<AdminHttp | null> {
  const value = config.raw('http.listeners') ?? '';
  if (value.trim() === '') return null;
  return AdminHttp.start({ listeners: [value], extraPlugins, config }, logger);
}
