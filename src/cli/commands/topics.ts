/**
 * `strand topics create|list|describe|alter|delete`: topic administration against a broker,
 * with kafka-topics' output shapes.
 */
import type { Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import type { ConfigEntry } from '../../client/admin.js';
import type { TopicInfo } from '../../client/core.js';
import { KafkaResponseError, UnsupportedApiError } from '../../client/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import { addClientOptions, collect, intArg, keyValueArg, pairsToRecord, UsageError, type ClientOptions } from '../args.js';
import { unknownTopicError, withClient, writeOut } from '../session.js';

interface CreateOptions extends ClientOptions {
  partitions?: number;
  replicationFactor?: number;
  config?: Array<[string, string]>;
  ifNotExists?: boolean;
}

interface DescribeOptions extends ClientOptions {
  allConfigs?: boolean;
}

interface AlterOptions extends ClientOptions {
  partitions?: number;
  addConfig?: Array<[string, string]>;
  deleteConfig?: string[];
}

export function register(program: Command): void {
  const topics = program
    .command('topics')
    .description('create, list, describe, alter and delete topics');

  addClientOptions(topics.command('create'))
    .description('create topics')
    .argument('<topic...>', 'names of the topics to create')
    .option('-p, --partitions <n>', "number of partitions (default: the broker's num.partitions)", intArg('--partitions', 1))
    .option('-r, --replication-factor <n>', "replicas per partition (default: the broker's default.replication.factor)", intArg('--replication-factor', 1, 32767))
    .option('--config <key=value>', 'topic setting, repeatable, e.g. --config retention.ms=86400000', keyValueArg('--config retention.ms=86400000'))
    .option('--if-not-exists', 'succeed quietly if a topic already exists')
    .addHelpText('after', '\nExample:\n  strand topics create orders --partitions 3 --config cleanup.policy=compact')
    .action((names: string[], options: CreateOptions) => {
      const configs = pairsToRecord(options.config, '--config');
      return withClient(options, (c) => create(c, names, configs, options.partitions, options.replicationFactor, options.ifNotExists ?? false));
    });

  addClientOptions(topics.command('list'))
    .description('list topic names, one per line')
    .option('--exclude-internal', 'leave out internal topics such as __consumer_offsets')
    .action((options: ClientOptions & { excludeInternal?: boolean }) => withClient(options, (c) => list(c, options.excludeInternal ?? false)));

  addClientOptions(topics.command('describe'))
    .description('show partitions, leaders, replicas and configs of topics (all topics by default)')
    .argument('[topic...]', 'topics to describe')
    .option('--all-configs', 'show every config with its source, not only the topic overrides')
    .action((names: string[], options: DescribeOptions) => withClient(options, (c) => describe(c, names, options)));

  addClientOptions(topics.command('alter'))
    .description('add partitions to a topic or change its configs')
    .argument('<topic>', 'topic to change')
    .option('-p, --partitions <n>', 'new total number of partitions (can only grow)', intArg('--partitions', 1))
    .option('--add-config <key=value>', 'set a topic setting, repeatable', keyValueArg('--add-config retention.ms=3600000'))
    .option('--delete-config <key>', 'remove a topic override (back to the broker default), repeatable', collect)
    .addHelpText('after', '\nExample:\n  strand topics alter orders --add-config retention.ms=3600000 --delete-config cleanup.policy')
    .action((name: string, options: AlterOptions) => {
      const add = pairsToRecord(options.addConfig, '--add-config');
      const del = options.deleteConfig ?? [];
      if (options.partitions === undefined && Object.keys(add).length === 0 && del.length === 0) {
        throw new UsageError('nothing to change; give --partitions, --add-config or --delete-config');
      }
      for (const k of del) if (Object.hasOwn(add, k)) throw new UsageError(`${k} is both added and deleted; give it once`);
      return withClient(options, (c) => alter(c, name, options.partitions, add, del));
    });

  addClientOptions(topics.command('delete'))
    .description('delete topics and their data')
    .argument('<topic...>', 'topics to delete')
    .option('--if-exists', 'succeed quietly if a topic does not exist')
    .action((names: string[], options: ClientOptions & { ifExists?: boolean }) => withClient(options, (c) => remove(c, names, options.ifExists ?? false)));
}

async function create(client: KafkaClient, names: string[], configs: Record<string, string>, partitions: number | undefined, replicationFactor: number | undefined, ifNotExists: boolean): Promise<void> {
  const results = await client.createTopics(names.map((name) => ({ name, partitions, replicationFactor, configs })));
  for (const r of results) {
    if (r.error === null) await writeOut(`Created topic ${r.name}.\n`);
    else if (r.error.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) {
      if (!ifNotExists) throw new KafkaResponseError(r.error.errorCode, r.error.path, `topic ${r.name} already exists; add --if-not-exists to ignore this`);
    } else throw r.error;
  }
}

async function list(client: KafkaClient, excludeInternal: boolean): Promise<void> {
  const md = await client.metadata(null);
  const names = md.topics.filter((t) => t.error === null && !(excludeInternal && t.internal)).map((t) => t.name).sort();
  await writeOut(names.map((n) => n + '\n').join(''));
}

async function describe(client: KafkaClient, names: string[], options: DescribeOptions): Promise<void> {
  const md = await client.metadata(names.length === 0 ? null : names);
  const topics: TopicInfo[] = [];
  for (const t of md.topics.sort((a, b) => a.name.localeCompare(b.name))) {
    if (t.error?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopicError(t.name);
    if (t.error !== null) throw t.error;
    topics.push(t);
  }
  let configs = new Map<string, ConfigEntry[] | string>();
  try {
    const described = await client.describeConfigs(topics.map((t) => ({ type: 'topic' as const, name: t.name })));
    configs = new Map(described.map((d) => [d.name, d.error === null ? d.configs : d.error.message]));
  } catch (err) {
    if (!(err instanceof UnsupportedApiError)) throw err;
  }
  for (const t of topics) {
    const rf = t.partitions[0]?.replicas.length ?? 0;
    const cfg = configs.get(t.name);
    let shown: string;
    if (cfg === undefined) shown = '(not available from this broker)';
    else if (typeof cfg === 'string') shown = `(${cfg})`;
    else {
      const entries = options.allConfigs ? cfg : cfg.filter((c) => !c.isDefault);
      shown = entries.map((c) => `${c.name}=${c.sensitive ? '(sensitive)' : c.value ?? ''}${options.allConfigs ? ` (${c.source})` : ''}`).join(',');
    }
    const lines = [`Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}\tConfigs: ${shown}`];
    for (const p of t.partitions) {
      const offline = p.offline.length > 0 ? `\tOffline: ${p.offline.join(',')}` : '';
      const error = p.error !== null ? `\tError: ${p.error.errorName}` : '';
      lines.push(`\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? 'none' : p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}${offline}${error}`);
    }
    await writeOut(lines.join('\n') + '\n');
  }
}

async function alter(client: KafkaClient, name: string, partitions: number | undefined, add: Record<string, string>, del: string[]): Promise<void> {
  const topic = await client.topic(name).catch((err: unknown) => {
    throw err instanceof KafkaResponseError && err.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? unknownTopicError(name) : err;
  });
  if (partitions !== undefined && partitions !== topic.partitions.length) {
    if (partitions < topic.partitions.length) {
      throw new UsageError(`${name} has ${topic.partitions.length} partitions; partitions can only be added, so --partitions must be more than that`);
    }
    const [r] = await client.createPartitions([{ topic: name, count: partitions }]);
    if (r?.error) throw r.error;
    await writeOut(`Topic ${name} now has ${partitions} partitions.\n`);
  }
  if (Object.keys(add).length === 0 && del.length === 0) return;
  const conn = await client.adminConnection();
  let results;
  if (conn.supports(IncrementalAlterConfigsApi)) {
    const ops = [
      ...Object.entries(add).map(([k, value]) => ({ name: k, op: 'set' as const, value })),
      ...del.map((k) => ({ name: k, op: 'delete' as const })),
    ];
    results = await client.incrementalAlterConfigs([{ type: 'topic', name, ops }]);
  } else {
    // AlterConfigs replaces the whole set of overrides: start from the current ones.
    const [current] = await client.describeConfigs([{ type: 'topic', name }]);
    if (current?.error) throw current.error;
    const configs: Record<string, string | null> = {};
    for (const c of current?.configs ?? []) if (!c.isDefault && !c.sensitive) configs[c.name] = c.value;
    for (const k of del) delete configs[k];
    Object.assign(configs, add);
    results = await client.alterConfigs([{ type: 'topic', name, configs }]);
  }
  for (const r of results) if (r.error !== null) throw r.error;
  await writeOut(`Updated configs of topic ${name}.\n`);
}

async function remove(client: KafkaClient, names: string[], ifExists: boolean): Promise<void> {
  const results = await client.deleteTopics(names);
  for (const r of results) {
    if (r.error === null) await writeOut(`Deleted topic ${r.name}.\n`);
    else if (r.error.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      if (!ifExists) throw unknownTopicError(r.name);
    } else throw r.error;
  }
}
