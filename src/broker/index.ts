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
  /** Broker settings under Kafka's names, e.g. `{ 'num.partitions': '3' }`. */
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
  const config = new BrokerConfig(source);
  const broker = await Broker.start(config, rootLogger.child({}, { level: options.logLevel ?? 'warn' }));
  return {
    bootstrap: `${broker.advertisedHost}:${broker.advertisedPort}`,
    host: broker.advertisedHost,
    port: broker.advertisedPort,
    listening: broker.addresses()[0]!,
    dataDir,
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
  (options.print ?? ((l) => process.stdout.write(l + '\n')))(`strand broker ${broker.nodeId} listening on ${broker.addresses().join(', ')} (advertised ${broker.advertisedHost}:${broker.advertisedPort}, data in ${config.dataDir})`);
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
  });
}
