/**
 * The `strand` command tree and its error policy: bad arguments print what is wrong and how to
 * get help, exit code 2; a broker that cannot be reached or refuses a request prints one line,
 * exit code 1. One file per command under ./commands registers itself on the program (created
 * with `.command()` so it inherits the exit and output settings).
 */
import { Command, CommanderError } from 'commander';
import { ConnectionError } from '../client/errors.js';
import { StrandError } from '../errors.js';
import { UsageError } from './args.js';
import { register as registerAcls } from './commands/acls.js';
import { register as registerBroker } from './commands/broker.js';
import { register as registerCluster } from './commands/cluster.js';
import { register as registerConfig } from './commands/config.js';
import { register as registerConsume } from './commands/consume.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerDumpLog } from './commands/dump-log.js';
import { register as registerGroups } from './commands/groups.js';
import { register as registerPerf } from './commands/perf.js';
import { register as registerProduce } from './commands/produce.js';
import { register as registerProducers } from './commands/producers.js';
import { register as registerTop } from './commands/top.js';
import { register as registerTopics } from './commands/topics.js';
import { register as registerTransactions } from './commands/transactions.js';
import { register as registerQuotas } from './commands/quotas.js';
import { register as registerUsers } from './commands/users.js';
import { register as registerVersion } from './commands/version.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('strand')
    .description('strand: a Kafka-compatible event-streaming broker and its tools')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: false, sortSubcommands: false });
  registerBroker(program);
  registerCluster(program);
  registerTopics(program);
  registerProduce(program);
  registerConsume(program);
  registerGroups(program);
  registerTransactions(program);
  registerProducers(program);
  registerUsers(program);
  registerAcls(program);
  registerQuotas(program);
  registerPerf(program);
  registerDumpLog(program);
  registerTop(program);
  registerConfig(program);
  registerDoctor(program);
  registerVersion(program, VERSION);
  return program;
}

/** Run the CLI on `argv` (as process.argv); resolves with the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return report(err);
  }
}

function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has already printed the message (and the help hint).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    return 2;
  }
  // A bad setting given to `strand broker` (--listen, --override, the config file) is a usage error too.
  if (err instanceof UsageError || (err instanceof StrandError && err.code === 'ERR_STRAND_CONFIG')) {
    process.stderr.write(`error: ${err.message}\n(add --help for usage)\n`);
    return 2;
  }
  if (err instanceof ConnectionError && err.duringConnect) {
    process.stderr.write(`error: ${err.message} — is a broker running? start one with \`strand broker\`\n`);
    return 1;
  }
  if (err instanceof StrandError) {
    process.stderr.write(`error: ${err.message}\n`);
    if (process.env.STRAND_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`error: ${e.message}\n`);
  if (process.env.STRAND_DEBUG) process.stderr.write(`${e.stack}\n`);
  return 1;
}
