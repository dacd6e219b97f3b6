/**
 * The `strand` command tree and its error policy: bad arguments print what is wrong and how to
 * get help, exit code 2; a broker that cannot be reached or refuses a request prints one line,
 * exit code 1. One file per command under ./commands registers itself on the program (created
 * with `.command()` so it inherits the exit and output settings).
 *
 * A command's module, and what it imports, loads only when that command runs: `strand version`
 * does not load the client, nor `strand topics` the broker. Only the top-level help, or a name
 * that is no command (to suggest the nearest one), loads every command.
 */
import { Command, CommanderError } from 'commander';
import { ConnectionError } from '../client/errors.js';
import { StrandError } from '../errors.js';
import { UsageError } from './args.js';

export const VERSION = '0.1.0';

type Register = (program: Command) => void;

/** The commands in the order the help lists them. */
const COMMANDS: ReadonlyArray<readonly [name: string, load: () => Promise<Register>]> = [
  ['broker', async () => (await import('./commands/broker.js')).register],
  ['cluster', async () => (await import('./commands/cluster.js')).register],
  ['topics', async () => (await import('./commands/topics.js')).register],
  ['produce', async () => (await import('./commands/produce.js')).register],
  ['consume', async () => (await import('./commands/consume.js')).register],
  ['groups', async () => (await import('./commands/groups.js')).register],
  ['transactions', async () => (await import('./commands/transactions.js')).register],
  ['producers', async () => (await import('./commands/producers.js')).register],
  ['users', async () => (await import('./commands/users.js')).register],
  ['acls', async () => (await import('./commands/acls.js')).register],
  ['quotas', async () => (await import('./commands/quotas.js')).register],
  ['perf', async () => (await import('./commands/perf.js')).register],
  ['dump-log', async () => (await import('./commands/dump-log.js')).register],
  ['top', async () => (await import('./commands/top.js')).register],
  ['config', async () => (await import('./commands/config.js')).register],
  ['doctor', async () => (await import('./commands/doctor.js')).register],
  ['version', async () => {
    const { register } = await import('./commands/version.js');
    return (program) => register(program, VERSION);
  }],
];

/**
 * The program for `argv` (as process.argv): with only the command `argv` names registered when it
 * names one, with all of them otherwise.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('strand')
    .description('strand: a Kafka-compatible event-streaming broker and its tools')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: false, sortSubcommands: false });
  // The command is the first argument after the script: the program itself has no options
  // other than --help and --version, which are given alone.
  const named = COMMANDS.filter(([name]) => name === argv[2]);
  const registers = await Promise.all((named.length === 1 ? named : COMMANDS).map(([, load]) => load()));
  for (const register of registers) register(program);
  return program;
}

/** Run the CLI on `argv` (as process.argv); resolves with the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
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
