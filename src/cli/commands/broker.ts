/**
 * `strand broker`: run a broker in the foreground until SIGTERM/SIGINT. Settings, later wins:
 * built-in defaults, `--config` file, `STRAND_*` environment variables, `--data-dir` and
 * `--listen`, then `--override key=value` flags.
 */
import type { Command } from 'commander';
import { collect, intArg } from '../args.js';

interface BrokerOptions {
  config?: string;
  dataDir?: string;
  listen?: string;
  cluster?: string;
  nodeId?: number;
  override?: string[];
}

export function register(program: Command): void {
  program
    .command('broker')
    .description('run a broker (Kafka protocol) in the foreground; stop it with Ctrl-C or SIGTERM')
    .option('-c, --config <file>', 'server.properties-style file (Kafka setting names)')
    .option('-d, --data-dir <dir>', 'data directory (log.dirs)', undefined)
    .option('-l, --listen <host:port>', 'address to listen on (listeners), e.g. 0.0.0.0:9092')
    .option('--cluster <etcd-url>', 'join a cluster whose metadata is in etcd, e.g. etcd://127.0.0.1:2379[,host:port] (cluster.etcd; needs a running etcd)')
    .option('--node-id <n>', 'this broker\'s id in the cluster (node.id)', intArg('--node-id', 0))
    .option('-o, --override <key=value>', 'set any broker setting, repeatable, e.g. --override num.partitions=3', collect)
    .addHelpText('after', `
Defaults: listens on 127.0.0.1:9092, data in ./strand-data.

Examples:
  strand broker
  strand broker --data-dir /var/lib/strand --listen 0.0.0.0:9092
  strand broker --config server.properties --override log.retention.ms=3600000
  strand broker --cluster etcd://127.0.0.1:2379 --node-id 1 --listen 127.0.0.1:9093 --data-dir ./broker-1`)
    .action(async (options: BrokerOptions) => {
      const { runBroker } = await import('../../broker/index.js');
      // The flags are settings like any other; --override, later, still wins.
      const flags = [
        ...(options.cluster !== undefined ? [`cluster.etcd=${options.cluster}`] : []),
        ...(options.nodeId !== undefined ? [`node.id=${options.nodeId}`] : []),
      ];
      await runBroker({ configFile: options.config, dataDir: options.dataDir, listen: options.listen, overrides: [...flags, ...(options.override ?? [])] });
    });
}
