/**
 * `strand broker`: run a broker in the foreground until SIGTERM/SIGINT. Settings, later wins:
 * built-in defaults, `--config` file, `STRAND_*` environment variables, `--data-dir` and
 * `--listen`, then `--override key=value` flags.
 */
import type { Command } from 'commander';
import { collect } from '../args.js';

interface BrokerOptions {
  config?: string;
  dataDir?: string;
  listen?: string;
  override?: string[];
}

export function register(program: Command): void {
  program
    .command('broker')
    .description('run a broker (Kafka protocol) in the foreground; stop it with Ctrl-C or SIGTERM')
    .option('-c, --config <file>', 'server.properties-style file (Kafka setting names)')
    .option('-d, --data-dir <dir>', 'data directory (log.dirs)', undefined)
    .option('-l, --listen <host:port>', 'address to listen on (listeners), e.g. 0.0.0.0:9092')
    .option('-o, --override <key=value>', 'set any broker setting, repeatable, e.g. --override num.partitions=3', collect)
    .addHelpText('after', `
Defaults: listens on 127.0.0.1:9092, data in ./strand-data.

Examples:
  strand broker
  strand broker --data-dir /var/lib/strand --listen 0.0.0.0:9092
  strand broker --config server.properties --override log.retention.ms=3600000`)
    .action(async (options: BrokerOptions) => {
      const { runBroker } = await import('../../broker/index.js');
      await runBroker({ configFile: options.config, dataDir: options.dataDir, listen: options.listen, overrides: options.override ?? [] });
    });
}
