/**
 * `strand users add|list|remove`: the broker's SCRAM users, through AlterUserScramCredentials
 * and DescribeUserScramCredentials (Kafka: `kafka-configs --entity-type users --alter
 * --add-config 'SCRAM-SHA-256=[iterations=8192,password=...]'`). The password is salted and
 * hashed here (PBKDF2, a fresh random salt); only the salted password crosses the network, and
 * the broker keeps only StoredKey and ServerKey. Talks to a listener that needs no SASL.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { AlterUserScramCredentialsApi, DescribeUserScramCredentialsApi } from '../../protocol/messages/index.js';
import { mechanismOfType, SCRAM_MECHANISMS, SCRAM_PARAMS, type ScramMechanism, saltedPassword } from '../../security/sasl/scram-formatter.js';
import { addClientOptions, type ClientOptions, intArg, UsageError } from '../args.js';
import { withClient, writeOut } from '../session.js';

interface AddOptions extends ClientOptions {
  mechanism: string[];
  iterations: number;
  password?: string;
  passwordFile?: string;
}

function mechanisms(list: readonly string[]): ScramMechanism[] {
  return list.map((m) => {
    const up = m.toUpperCase();
    if (!SCRAM_MECHANISMS.includes(up as ScramMechanism)) throw new UsageError(`--mechanism ${m}: expected ${SCRAM_MECHANISMS.join(' or ')}`);
    return up as ScramMechanism;
  });
}

const collectMechanism = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function register(program: Command): void {
  const users = program.command('users').description("manage the broker's SCRAM users (SASL/SCRAM-SHA-256 and SCRAM-SHA-512)");

  addClientOptions(users.command('add'))
    .description('add a SCRAM user, or set a new password')
    .argument('<user>', 'user name (the principal is User:<user>)')
    .option('-m, --mechanism <mechanism>', 'SCRAM-SHA-256 or SCRAM-SHA-512, repeatable (default: both)', collectMechanism)
    .option('--iterations <n>', 'PBKDF2 iterations, 4096 to 16384 as Kafka allows', intArg('--iterations', 1), 4096)
    .option('--password <password>', 'the password (visible to other users of this machine; prefer --password-file)')
    .option('--password-file <path>', 'read the password from this file (first line), - for stdin')
    .addHelpText('after', '\nExample:\n  strand users add alice --mechanism SCRAM-SHA-512 --password-file alice.pw')
    .action((user: string, options: AddOptions) => {
      const password = passwordOf(options);
      return withClient(options, (c) => add(c, user, mechanisms(options.mechanism ?? [...SCRAM_MECHANISMS]), options.iterations, password));
    });

  addClientOptions(users.command('list'))
    .description('list SCRAM users with their mechanisms and iterations (all users by default)')
    .argument('[user...]', 'users to describe')
    .action((names: string[], options: ClientOptions) => withClient(options, (c) => list(c, names)));

  addClientOptions(users.command('remove'))
    .description("remove a user's SCRAM credentials")
    .argument('<user>', 'user name')
    .option('-m, --mechanism <mechanism>', 'SCRAM-SHA-256 or SCRAM-SHA-512, repeatable (default: every one the user has)', collectMechanism)
    .action((user: string, options: ClientOptions & { mechanism?: string[] }) => withClient(options, (c) => remove(c, user, options.mechanism === undefined ? null : mechanisms(options.mechanism))));
}

function passwordOf(options: AddOptions): string {
  if ((options.password === undefined) === (options.passwordFile === undefined)) throw new UsageError('give exactly one of --password and --password-file');
  if (options.password !== undefined) return options.password;
  const text = readFileSync(options.passwordFile === '-' ? 0 : options.passwordFile!, 'utf8');
  const line = text.split(/\r?\n/)[0]!;
  if (line === '') throw new UsageError(`--password-file ${options.passwordFile}: the first line is empty`);
  return line;
}

async function alter(c: KafkaClient, body: Parameters<typeof AlterUserScramCredentialsApi.encodeRequest>[1]): Promise<void> {
  const res = await c.request(AlterUserScramCredentialsApi, body);
  for (const r of res.results) if (r.errorCode !== 0) throw new KafkaResponseError(r.errorCode, { api: 'AlterUserScramCredentials', resource: `user ${r.user}` }, r.errorMessage);
}

async function add(c: KafkaClient, user: string, mechs: ScramMechanism[], iterations: number, password: string): Promise<void> {
  const upsertions = mechs.map((m) => {
    const salt = randomBytes(32);
    return { name: user, mechanism: SCRAM_PARAMS[m].type, iterations, salt, saltedPassword: saltedPassword(m, password, salt, iterations) };
  });
  await alter(c, { deletions: [], upsertions });
  await writeOut(`Set ${mechs.join(', ')} credentials of user ${user}.\n`);
}

async function list(c: KafkaClient, names: string[]): Promise<void> {
  const res = await c.request(DescribeUserScramCredentialsApi, { users: names.length === 0 ? null : names.map((name) => ({ name })) });
  if (res.errorCode !== 0) throw new KafkaResponseError(res.errorCode, { api: 'DescribeUserScramCredentials' }, res.errorMessage);
  const lines: string[] = [];
  for (const r of res.results) {
    if (r.errorCode !== 0) throw new KafkaResponseError(r.errorCode, { api: 'DescribeUserScramCredentials', resource: `user ${r.user}` }, r.errorMessage);
    for (const info of r.credentialInfos) lines.push(`${r.user}\t${mechanismOfType(info.mechanism) ?? `mechanism ${info.mechanism}`}\titerations=${info.iterations}`);
  }
  await writeOut(lines.map((l) => l + '\n').join(''));
}

async function remove(c: KafkaClient, user: string, mechs: ScramMechanism[] | null): Promise<void> {
  let which = mechs;
  if (which === null) {
    const res = await c.request(DescribeUserScramCredentialsApi, { users: [{ name: user }] });
    const r = res.results[0]!;
    if (r.errorCode !== 0) throw new KafkaResponseError(r.errorCode, { api: 'DescribeUserScramCredentials', resource: `user ${user}` }, r.errorMessage);
    which = r.credentialInfos.map((i) => mechanismOfType(i.mechanism)).filter((m): m is ScramMechanism => m !== undefined);
  }
  await alter(c, { deletions: which.map((m) => ({ name: user, mechanism: SCRAM_PARAMS[m].type })), upsertions: [] });
  await writeOut(`Removed ${which.join(', ')} credentials of user ${user}.\n`);
}
