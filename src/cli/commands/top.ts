/**
 * `strand top`: a broker's figures live in the terminal, read from its admin listener's
 * /metrics (http.listeners) every --interval: per-topic rates, request rates and latency,
 * consumer lag, replication health, the process. `--once` prints one frame (rates over one
 * interval) and exits, for scripts.
 */
import type { Command } from 'commander';
import { UsageError } from '../args.js';
import { writeOut } from '../session.js';
import { render } from '../top/render.js';
import { scrape } from '../top/scrape.js';

interface TopOptions {
  url: string;
  interval: string;
  once?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function register(program: Command): void {
  program
    .command('top')
    .description("show a broker's throughput, requests, lag and health live, from its admin listener's /metrics")
    .option('--url <url>', 'the broker\'s admin listener', 'http://127.0.0.1:8080')
    .option('--interval <ms>', 'refresh period in milliseconds', '2000')
    .option('--once', 'print one frame (rates over one interval) and exit')
    .action(async (opts: TopOptions) => {
      const interval = Number(opts.interval);
      if (!Number.isInteger(interval) || interval < 100 || interval > 3_600_000) throw new UsageError(`--interval ${opts.interval} is not a whole number of milliseconds in [100, 3600000]`);
      if (!/^https?:\/\/[^/]+/.test(opts.url)) throw new UsageError(`--url ${opts.url} is not http://host:port`);
      let before = await scrape(opts.url);
      if (opts.once === true) {
        await sleep(interval);
        await writeOut(render(opts.url, before, await scrape(opts.url)));
        return;
      }
      let stop = false;
      process.once('SIGINT', () => {
        stop = true;
      });
      while (!stop) {
        await sleep(interval);
        const now = await scrape(opts.url);
        // Home, clear: one frame per refresh, as top(1) draws.
        process.stdout.write(`\x1b[H\x1b[2J${render(opts.url, before, now)}`);
        before = now;
      }
    });
}
