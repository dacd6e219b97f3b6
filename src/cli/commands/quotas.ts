/**
 * `strand quotas set|list|remove`: client quotas through AlterClientQuotas and
 * DescribeClientQuotas (Kafka: `kafka-configs --alter --entity-type users --entity-name alice
 * --entity-type clients --entity-name app --add-config producer_byte_rate=1048576`). An entity
 * is a user, a client id, both, or an IP; `--user-default` / `--client-id-default` /
 * `--ip-default` name the type's `<default>`.
 */
import type { Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { AlterClientQuotasApi, DescribeClientQuotasApi } from '../../protocol/messages/index.js';
import { addClientOptions, type ClientOptions, UsageError } from '../args.js';
import { withClient, writeOut } from '../session.js';

interface EntityOptions extends ClientOptions {
  user?: string;
  userDefault?: boolean;
  clientId?: string;
  clientIdDefault?: boolean;
  ip?: string;
  ipDefault?: boolean;
}

type Part = { entityType: string; entityName: string | null };

function withEntityOptions(cmd: Command): Command {
  return addClientOptions(cmd)
    .option('--user <name>', 'the user (principal User:<name>)')
    .option('--user-default', "every user without a quota of its own (Kafka's <default>)")
    .option('--client-id <id>', 'the client id')
    .option('--client-id-default', 'every client id without a quota of its own')
    .option('--ip <address>', 'an IP address (connection_creation_rate only)')
    .option('--ip-default', 'every IP address without a quota of its own');
}

/** The entity named by the options (empty: none named). */
function entityOf(o: EntityOptions): Part[] {
  const parts: Part[] = [];
  const add = (type: string, name: string | undefined, dflt: boolean | undefined, flag: string) => {
    if (name !== undefined && dflt === true) throw new UsageError(`give --${flag} or --${flag}-default, not both`);
    if (name !== undefined) parts.push({ entityType: type, entityName: name });
    else if (dflt === true) parts.push({ entityType: type, entityName: null });
  };
  add('user', o.user, o.userDefault, 'user');
  add('client-id', o.clientId, o.clientIdDefault, 'client-id');
  add('ip', o.ip, o.ipDefault, 'ip');
  return parts;
}

function describeEntity(parts: readonly Part[]): string {
  return parts.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join(' ');
}

export function register(program: Command): void {
  const quotas = program.command('quotas').description('manage client quotas (producer_byte_rate, consumer_byte_rate, request_percentage, connection_creation_rate)');

  withEntityOptions(quotas.command('set'))
    .description('set quota values of an entity')
    .argument('<key=value...>', 'e.g. producer_byte_rate=1048576 request_percentage=50')
    .addHelpText('after', '\nExamples:\n  strand quotas set --user alice --client-id app producer_byte_rate=1048576\n  strand quotas set --client-id-default consumer_byte_rate=2097152')
    .action((pairs: string[], options: EntityOptions) => {
      const entity = entityOf(options);
      if (entity.length === 0) throw new UsageError('name an entity: --user, --client-id, --ip or their -default forms');
      const ops = pairs.map((p) => {
        const eq = p.indexOf('=');
        const value = Number(p.slice(eq + 1));
        if (eq <= 0 || p.slice(eq + 1).trim() === '' || !Number.isFinite(value)) throw new UsageError(`${JSON.stringify(p)} is not key=number, e.g. producer_byte_rate=1048576`);
        return { key: p.slice(0, eq), value, remove: false };
      });
      return withClient(options, (c) => alter(c, entity, ops, `Set ${pairs.join(' ')} for ${describeEntity(entity)}.\n`));
    });

  withEntityOptions(quotas.command('list'))
    .description('list quotas: every entity, or those matching the entity options (exactly)')
    .action((options: EntityOptions) => withClient(options, (c) => list(c, entityOf(options))));

  withEntityOptions(quotas.command('remove'))
    .description('remove quota keys of an entity (every key when none is given)')
    .argument('[key...]', 'e.g. producer_byte_rate')
    .action((keys: string[], options: EntityOptions) => {
      const entity = entityOf(options);
      if (entity.length === 0) throw new UsageError('name an entity: --user, --client-id, --ip or their -default forms');
      return withClient(options, async (c) => {
        let which = keys;
        if (which.length === 0) {
          const found = (await describe(c, entity, true))[0];
          which = found?.values.map((v) => v.key) ?? [];
          if (which.length === 0) throw new UsageError(`${describeEntity(entity)} has no quota`);
        }
        await alter(c, entity, which.map((key) => ({ key, value: 0, remove: true })), `Removed ${which.join(', ')} of ${describeEntity(entity)}.\n`);
      });
    });
}

async function alter(c: KafkaClient, entity: Part[], ops: Array<{ key: string; value: number; remove: boolean }>, done: string): Promise<void> {
  const res = await c.request(AlterClientQuotasApi, { entries: [{ entity, ops }], validateOnly: false });
  for (const e of res.entries) if (e.errorCode !== 0) throw new KafkaResponseError(e.errorCode, { api: 'AlterClientQuotas', resource: describeEntity(entity) }, e.errorMessage);
  await writeOut(done);
}

async function describe(c: KafkaClient, entity: Part[], strict: boolean) {
  const components = entity.map((p) => ({ entityType: p.entityType, matchType: p.entityName === null ? 1 : 0, match: p.entityName }));
  const res = await c.request(DescribeClientQuotasApi, { components, strict });
  if (res.errorCode !== 0) throw new KafkaResponseError(res.errorCode, { api: 'DescribeClientQuotas' }, res.errorMessage);
  return res.entries ?? [];
}

async function list(c: KafkaClient, entity: Part[]): Promise<void> {
  const entries = await describe(c, entity, entity.length > 0);
  await writeOut(entries.map((e) => `${describeEntity(e.entity)}\t${e.values.map((v) => `${v.key}=${v.value}`).join(' ')}\n`).join(''));
}
