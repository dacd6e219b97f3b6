/**
 * `strand top`: a broker's figures live in the terminal, refreshing every --interval. Two ways
 * to read them:
 * - `--url` (the default, http://127.0.0.1:8080): the admin listener's /metrics
 *   (http.listeners): per-topic rates, request rates and latency, consumer lag, replication
 *   health, the process;
 * - `--bootstrap-server HOST:PORT`: the Kafka protocol alone (top/kafka.ts), as Kafka's tools
 *   read a cluster, so it needs no admin listener and works against Kafka too: message and byte
 *   rates from log end offsets and sizes, lag from committed offsets, the cluster's health;
 *   `--command-config` secures the connection as for the other commands.
 * `--once` prints one frame (rates over one interval) and exits, for scripts.
 */
import type { Command } from 'commander';
import { type ClientOptions, hostPortArg, intArg, UsageError } from '../args.js';
import { withClient, writeOut } from '../session.js';
import { sampleKafka } from '../top/kafka.js';
import { renderKafka } from '../top/render-kafka.js';
import { render } from '../top/render.js';
import { scrape } from '../top/scrape.js';

interface TopOptions {
  url: string;
  bootstrapServer?: string;
  commandConfig?: string;
  timeout: number;
  interval: string;
  once?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Take a reading every `interval`, drawing each frame from the last two; one frame with `once`. */
async function loop<T>(interval: number, once: boolean, read: () => Promise<T>, draw: (before: T, now: T) => string): Promise<void> {
  let before = await read();
  if (once) {
    await sleep(interval);
    await writeOut(draw(before, await read()));
    return;
  }
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  while (!stop) {
    await sleep(interval);
    const now = await read();
    // Home, clear: one frame per refresh, as top(1) draws.
    process.stdout.write(`\x1b[H\x1b[2J${draw(before, now)}`);
    before = now;
  }
}

export function register(program: Command): void {
  program
    .command('top')
    .description("show a broker's throughput, requests, lag and health live, from its admin listener's /metrics or over its Kafka port")
    .option('--url <url>', 'the broker\'s admin listener (http://user:password@host:port for HTTP Basic)', 'http://127.0.0.1:8080')
    .option('--bootstrap-server <host:port>', 'read over the Kafka protocol instead, from this broker (any Kafka broker), without the admin listener', hostPortArg)
    .option('--command-config <file>', 'with --bootstrap-server: Kafka client properties for TLS and SASL')
    .option('--timeout <ms>', 'with --bootstrap-server: connect and request timeout', intArg('--timeout', 1), 30_000)
    .option('--interval <ms>', 'refresh period in milliseconds', '2000')
    .option('--once', 'print one frame (rates over one interval) and exit')
    .action(async (opts: TopOptions, cmd: Command) => {
      const interval = Number(opts.interval);
      if (!Number.isInteger(interval) || interval < 100 || interval > 3_600_000) throw new UsageError(`--interval ${opts.interval} is not a whole number of milliseconds in [100, 3600000]`);
      const once = opts.once === true;
      if (opts.bootstrapServer !== undefined) {
        if (cmd.getOptionValueSource('url') === 'cli') throw new UsageError('give --url (the admin listener) or --bootstrap-server (the Kafka port), not both');
        const client: ClientOptions = { bootstrap: opts.bootstrapServer, timeout: opts.timeout, ...(opts.commandConfig !== undefined ? { commandConfig: opts.commandConfig } : {}) };
        await withClient(client, (c) => loop(interval, once, () => sampleKafka(c), (b, n) => renderKafka(opts.bootstrapServer!, b, n)));
        return;
      }
      if (opts.commandConfig !== undefined) throw new UsageError('--command-config goes with --bootstrap-server');
      if (!/^https?:\/\/[^/]+/.test(opts.url)) throw new UsageError(`--url ${opts.url} is not http://host:port`);
      const shown = opts.url.replace(/\/\/[^@/]*@/, '//'); // credentials are not printed
      await loop(interval, once, () => scrape(opts.url), (b, n) => render(shown, b, n));
    });
}
