/**
 * Starting a broker: `startBroker()` for tests and embedding (a temporary data directory and a
 * free port by default, milliseconds to start, no Docker), and `runBroker()` for the
 * `strand broker` command (config file, environment, flags, signals).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger as rootLogger } from '../logger.js';
import { Broker } from './broker.js';
import { BrokerConfig, type ConfigSource, ConfigError, configFromEnv, parseListener, parseOverrides } from './config.js';

export { ConfigError } from './config.js';

export interface StartBrokerOptions {
  /** Data directory; a temporary one, removed by `stop()`, when omitted. */
  dataDir?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /**
   * Broker settings under Kafka's names, e.g. `{ 'num.partitions': '3' }`. Listeners and
   * security too, as in Kafka's server.properties: `listeners` (`NAME://host:port`, several, port
   * 0 for a free one), `listener.security.protocol.map`, `advertised.listeners`,
   * `inter.broker.listener.name`; TLS with `ssl.keystore.type: 'PEM'` and `ssl.keystore.location`
   * (or `ssl.keystore.key` + `ssl.keystore.certificate.chain`), `ssl.truststore.*`,
   * `ssl.client.auth`, `ssl.principal.mapping.rules`, `ssl.enabled.protocols`, `ssl.cipher.suites`,
   * each also per listener as `listener.name.<name>.ssl.*`; SASL with `sasl.enabled.mechanisms`
   * (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER), `listener.name.<name>.plain.sasl.jaas.config`
   * (PLAIN users as `user_<name>="<password>"`), OAUTHBEARER's
   * `listener.name.<name>.oauthbearer.sasl.server.callback.handler.class` (Kafka's
   * OAuthBearerValidatorCallbackHandler) and `sasl.oauthbearer.jwks.endpoint.url` /
   * `expected.audience` / `expected.issuer`, `connections.max.reauth.ms` and
   * `connection.failed.authentication.delay.ms`. A setting that cannot be honoured makes the start
   * fail with a ConfigError-coded error naming it (fail closed).
   *
   * @example
   * ```ts
   * const broker = await startBroker({ config: {
   *   listeners: 'SASL_SSL://127.0.0.1:0',
   *   'ssl.keystore.type': 'PEM', 'ssl.keystore.location': 'server.pem',
   *   'sasl.enabled.mechanisms': 'PLAIN',
   *   'listener.name.sasl_ssl.plain.sasl.jaas.config':
   *     'org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";',
   * } });
   * ```
   */
  config?: Record<string, string>;
  /** pino level of the broker's logs (default `warn`; `silent` for none). */
  logLevel?: string;
}

export interface RunningBroker {
  /** `host:port` to give clients as their bootstrap server. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  /** `host:port` the broker is bound to (differs from `bootstrap` when advertised.listeners says so). */
  readonly listening: string;
  readonly dataDir: string;
  /** Every listener, in the order of `listeners`: its name, security protocol and the address it advertises. */
  readonly listeners: ReadonlyArray<{ name: string; securityProtocol: string; host: string; port: number; bootstrap: string }>;
  /** `http://host:port` of each admin HTTP listener (`http.listeners`: metrics, health, console); empty without one. */
  readonly http: ReadonlyArray<string>;
  /** Graceful stop; removes the data directory if `startBroker` made it. */
  stop(): Promise<void>;
}

/**
 * Start a whole broker in this process, e.g. inside a test suite.
 *
 * @example
 * ```ts
 * const broker = await startBroker();
 * const kafka = new Kafka({ brokers: [broker.bootstrap] });
 * // ... produce and consume ...
 * await broker.stop();
 * ```
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'strand-broker-'));
  const host = options.host ?? '127.0.0.1';
  const source: ConfigSource = new Map(Object.entries(options.config ?? {}));
  source.set('log.dirs', dataDir);
  if (!source.has('listeners')) source.set('listeners', `PLAINTEXT://${host.includes(':') ? `[${host}]` : host}:${options.port ?? 0}`);
  let broker: Broker;
  try {
    broker = await Broker.start(new BrokerConfig(source), rootLogger.child({}, { level: options.logLevel ?? 'warn' }));
  } catch (err) {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    bootstrap: `${broker.advertisedHost}:${broker.advertisedPort}`,
    host: broker.advertisedHost,
    port: broker.advertisedPort,
    listening: broker.addresses()[0]!,
    dataDir,
    http: broker.httpAddresses(),
    listeners: broker.listenerEndpoints().map((l) => ({ name: l.name, securityProtocol: l.securityProtocol, host: l.host, port: l.port, bootstrap: `${l.host}:${l.port}` })),
    async stop() {
      await broker.stop();
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunBrokerOptions {
  configFile?: string;
  dataDir?: string;
  /** `HOST:PORT` */
  listen?: string;
  overrides?: string[];
  /** Where the ready line goes (stdout by default). */
  print?: (line: string) => void;
}

/**
 * Run a broker until SIGTERM or SIGINT, then stop it gracefully. Settings come from the config
 * file, then `STRAND_*` variables, then `--data-dir`/`--listen`, then `--override`s. Prints one
 * line when ready. Resolves after the broker has stopped.
 */
export async function runBroker(options: RunBrokerOptions = {}): Promise<void> {
  const flags: ConfigSource = new Map();
  if (options.dataDir !== undefined) flags.set('log.dirs', options.dataDir);
  if (options.listen !== undefined) {
    const spec = `PLAINTEXT://${options.listen}`;
    try {
      parseListener(spec);
    } catch {
      throw new ConfigError(`--listen ${JSON.stringify(options.listen)} is not HOST:PORT, e.g. --listen 127.0.0.1:9092`);
    }
    flags.set('listeners', spec);
  }
  const later = [configFromEnv(), flags, parseOverrides(options.overrides ?? [])];
  const config = options.configFile !== undefined ? BrokerConfig.fromFile(options.configFile, ...later) : new BrokerConfig(...later);
  const broker = await Broker.start(config);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      rootLogger.info({ signal }, 'shutting down');
      broker.stop().then(resolve, (err) => {
        rootLogger.error({ err }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Announced only now: until a handler is installed, a SIGTERM sent on seeing this line would
    // end the process at once instead of stopping the broker gracefully.
    (options.print ?? ((l) => process.stdout.write(l + '\n')))(`strand broker ${broker.nodeId} listening on ${broker.addresses().join(', ')} (advertised ${broker.advertisedHost}:${broker.advertisedPort}, data in ${config.dataDir})`);
  });
}
