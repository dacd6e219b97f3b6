/**
 * `strand config check FILE`: validate a server.properties file with the broker's own parsing
 * and checks, so it fails with the very message `strand broker --config FILE` would stop with
 * (exit 1), without opening the data directory or binding a port. Keys strand does not read are
 * listed as warnings (a typo such as `log.retention.hour` is otherwise silently ignored, as Kafka
 * ignores it).
 *
 * `strand config reference`: every setting with its default and meaning (docs/server.properties).
 */
import type { Command } from 'commander';
import { writeOut } from '../session.js';
import { renderConfigReference } from './config-reference.js';

export function register(program: Command): void {
  const config = program.command('config').description('check a server.properties file, print the settings reference');

  config
    .command('check')
    .description('validate a server.properties file as the broker would read it (exit 1 with the broker\'s message if it would not start)')
    .argument('<file>', 'server.properties-style file')
    .action(async (file: string) => {
      const problem = await checkConfigFile(file);
      if (problem.error !== undefined) {
        process.stderr.write(`error: ${problem.error}\n`);
        process.exitCode = 1;
        return;
      }
      for (const key of problem.unknown) process.stderr.write(`warning: ${key} is not a setting strand reads (ignored)\n`);
      await writeOut(`${file}: ok (${problem.count} setting${problem.count === 1 ? '' : 's'})\n`);
    });

  config
    .command('reference')
    .description('print every setting with its default and meaning, as a commented server.properties')
    .action(async () => {
      await writeOut(renderConfigReference());
    });
}

export interface CheckResult {
  error?: string;
  unknown: string[];
  count: number;
}

/** What `config check` finds in `file`: the broker's error message, or the keys it would ignore. */
export async function checkConfigFile(file: string): Promise<CheckResult> {
  const [{ BrokerConfig, BROKER_CONFIG, parseProperties }, { isDynamicBrokerConfig }, { clusterEndpoints }, { interBrokerSecurity }, { prepareSecurity }, { checkAdminHttpSettings }] = await Promise.all([
    import('../../broker/config.js'),
    import('../../broker/dynamic-config.js'),
    import('../../broker/cluster-settings.js'),
    import('../../broker/inter-broker-security.js'),
    import('../../security/index.js'),
    import('../../http/server.js'),
  ]);
  try {
    // What Broker.start checks before it opens anything, in its order.
    const config = BrokerConfig.fromFile(file);
    const security = prepareSecurity(config, config.dataDir);
    for (const l of security.listeners) l.sasl?.close();
    // A cluster member's inter-broker client: its mechanism, credentials and trust store.
    if (clusterEndpoints(config) !== null) interBrokerSecurity(config);
    // The admin listener: its listeners, https key stores and authentication (http.*).
    checkAdminHttpSettings(config);
    const keys = [...parseProperties((await import('node:fs')).readFileSync(file, 'utf8'), file).keys()];
    const known = (key: string) => key in BROKER_CONFIG || isDynamicBrokerConfig(key) || /^(ssl|sasl|listener\.name|http)\./.test(key) || key === 'listener.security.protocol.map' || key === 'security.inter.broker.protocol' || key === 'inter.broker.listener.name';
    return { unknown: keys.filter((k) => !known(k)), count: keys.length };
  } catch (err) {
    return { error: (err as Error).message, unknown: [], count: 0 };
  }
}
