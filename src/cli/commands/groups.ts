/**
 * `strand groups list|describe|delete|reset-offsets`: consumer group administration over the
 * wire, with kafka-consumer-groups' output shapes. describe shows, per partition, the
 * committed offset, the log end offset, the lag and the member consuming it; reset-offsets
 * prints its plan (a dry run unless --execute) and refuses a group that has active members.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { commitOffsets, type CommittedOffset, deleteGroups, describeGroups, fetchOffsets, type GroupDescription, listGroups } from '../../client/groups.js';
import { StrandError } from '../../errors.js';
import { addClientOptions, type ClientOptions, collect, intArg, UsageError } from '../args.js';
import { unknownTopicError, withClient, writeOut } from '../session.js';
import { table } from '../table.js';

class GroupError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_GROUP');
  }
}

const ACTIVE_STATES = new Set(['Stable', 'PreparingRebalance', 'CompletingRebalance']);

export function register(program: Command): void {
  const groups = program
    .command('groups')
    .description('list, describe, delete consumer groups and reset their offsets');

  addClientOptions(groups.command('list'))
    .description('list consumer groups, one per line')
    .option('--state [states]', 'show each group\'s state; with a value (comma-separated, e.g. Stable,Empty) only groups in those states')
    .action((options: ClientOptions & { state?: string | boolean }) => withClient(options, (c) => list(c, options.state)));

  addClientOptions(groups.command('describe'))
    .description('show each partition\'s committed offset, log end offset, lag and consumer')
    .argument('[group...]', 'groups to describe')
    .option('--all-groups', 'describe every group')
    .addOption(new Option('--members', 'show the members instead of the partitions').conflicts('state'))
    .option('--state', 'show the state, assignor and member count instead of the partitions')
    .option('-v, --verbose', 'with --members: show each member\'s assignment')
    .action((names: string[], options: DescribeOptions) => {
      if (names.length === 0 && !options.allGroups) throw new UsageError('name at least one group, or give --all-groups');
      if (names.length > 0 && options.allGroups) throw new UsageError('give group names or --all-groups, not both');
      return withClient(options, (c) => describe(c, names, options));
    });

  addClientOptions(groups.command('delete'))
    .description('delete consumer groups (they must have no active members) and their offsets')
    .argument('<group...>', 'groups to delete')
    .action((names: string[], options: ClientOptions) => withClient(options, (c) => remove(c, names)));

  addClientOptions(groups.command('reset-offsets'))
    .description('move a group\'s committed offsets (prints the plan; --execute applies it)')
    .requiredOption('-g, --group <group>', 'the group whose offsets to reset')
    .option('-t, --topic <topic[:partitions]>', 'topic to reset, all its partitions or e.g. orders:0,2; repeatable', collect)
    .option('--all-topics', 'every topic the group has committed offsets for')
    .option('--to-earliest', 'to the earliest offset still in each partition')
    .option('--to-latest', 'to the end of each partition')
    .option('--to-offset <offset>', 'to this offset (kept within each partition\'s range)', intArg('--to-offset'))
    .option('--to-datetime <time>', 'to the first offset at or after this time (ISO date, e.g. 2024-05-01T12:00:00Z, or ms)', parseTime)
    .option('--by-duration <duration>', 'to the first offset at or after this long ago (ISO-8601 duration, e.g. PT1H, P1DT30M)', parseDuration)
    .option('--shift-by <n>', 'move each committed offset by n (negative: back), kept within range', parseShift)
    .option('--dry-run', 'only print the plan (the default)')
    .option('--execute', 'commit the new offsets')
    .addHelpText('after', '\nExamples:\n  strand groups reset-offsets --group billing --topic orders --to-earliest --execute\n  strand groups reset-offsets --group billing --all-topics --by-duration PT30M')
    .action((options: ResetOptions) => {
      const scenarios = (['toEarliest', 'toLatest', 'toOffset', 'toDatetime', 'byDuration', 'shiftBy'] as const).filter((k) => options[k] !== undefined && options[k] !== false);
      if (scenarios.length !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --by-duration, --shift-by');
      if ((options.topic === undefined) === !options.allTopics) throw new UsageError('give --topic (repeatable) or --all-topics');
      if (options.dryRun && options.execute) throw new UsageError('give --dry-run or --execute, not both');
      const topics = (options.topic ?? []).map(parseTopicSpec);
      return withClient(options, (c) => reset(c, options, topics));
    });
}

// ---- list ------------------------------------------------------------------------------

async function list(client: KafkaClient, state: string | boolean | undefined): Promise<void> {
  const states = typeof state === 'string' ? state.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
  const groups = await listGroups(client, states);
  if (state === undefined) {
    await writeOut(groups.map((g) => g.groupId + '\n').join(''));
    return;
  }
  await writeOut(table(['GROUP', 'STATE'], groups.map((g) => [g.groupId, g.state])));
}

// ---- describe --------------------------------------------------------------------------

interface DescribeOptions extends ClientOptions {
  allGroups?: boolean;
  members?: boolean;
  state?: boolean;
  verbose?: boolean;
}

async function describe(client: KafkaClient, names: string[], options: DescribeOptions): Promise<void> {
  const ids = options.allGroups ? (await listGroups(client)).map((g) => g.groupId) : names;
  let missing = false;
  for (const g of await describeGroups(client, ids)) {
    if (g.error !== null) throw g.error;
    if (g.state === 'Dead') {
      process.stderr.write(`Consumer group '${g.groupId}' does not exist.\n`);
      missing = true;
      continue;
    }
    if (options.state) await writeOut(await stateView(client, g));
    else if (options.members) await writeOut(membersView(g, options.verbose ?? false));
    else await writeOut(await offsetsView(client, g));
  }
  if (missing) process.exitCode = 1;
}

function notes(g: GroupDescription): string {
  if (g.state === 'PreparingRebalance' || g.state === 'CompletingRebalance') return `\nWarning: Consumer group '${g.groupId}' is rebalancing.\n`;
  if (g.members.length === 0) return `\nConsumer group '${g.groupId}' has no active members.\n`;
  return '\n';
}

async function stateView(client: KafkaClient, g: GroupDescription): Promise<string> {
  const md = await client.metadata([]);
  const b = md.brokers.find((x) => x.nodeId === g.coordinator);
  const coordinator = b === undefined ? `(${g.coordinator})` : `${b.host}:${b.port} (${b.nodeId})`;
  return '\n' + table(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[g.groupId, coordinator, g.protocol, g.state, String(g.members.length)]]);
}

function assignmentText(m: GroupDescription['members'][number]): string {
  return [...m.assignment].sort(([a], [b]) => a.localeCompare(b)).map(([t, ps]) => `${t}(${ps.join(',')})`).join(',') || '-';
}

function membersView(g: GroupDescription, verbose: boolean): string {
  const header = ['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', ...(verbose ? ['ASSIGNMENT'] : [])];
  const rows = g.members.map((m) => [g.groupId, m.memberId, m.groupInstanceId ?? '-', m.clientHost, m.clientId, String([...m.assignment.values()].reduce((n, ps) => n + ps.length, 0)), ...(verbose ? [assignmentText(m)] : [])]);
  return notes(g) + (rows.length > 0 ? table(header, rows) : '');
}

async function logEndOffsets(client: KafkaClient, partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  for (const { topic, partition } of partitions) {
    const key = `${topic}\u0000${partition}`;
    try {
      out.set(key, (await client.listOffsets(topic, partition, 'latest')).offset);
    } catch {
      out.set(key, null); // a deleted topic: shown as '-'
    }
  }
  return out;
}

async function offsetsView(client: KafkaClient, g: GroupDescription): Promise<string> {
  const committed = await fetchOffsets(client, g.groupId);
  const rows = new Map<string, { topic: string; partition: number; offset: number | null; member: GroupDescription['members'][number] | null }>();
  for (const o of committed) rows.set(`${o.topic}\u0000${o.partition}`, { topic: o.topic, partition: o.partition, offset: o.offset >= 0 ? o.offset : null, member: null });
  for (const m of g.members) {
    for (const [topic, ps] of m.assignment) {
      for (const partition of ps) {
        const key = `${topic}\u0000${partition}`;
        rows.set(key, { topic, partition, offset: rows.get(key)?.offset ?? null, member: m });
      }
    }
  }
  const sorted = [...rows.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const ends = await logEndOffsets(client, sorted);
  const cells = sorted.map((r) => {
    const end = ends.get(`${r.topic}\u0000${r.partition}`) ?? null;
    const lag = r.offset !== null && end !== null ? String(Math.max(0, end - r.offset)) : '-';
    return [g.groupId, r.topic, String(r.partition), r.offset === null ? '-' : String(r.offset), end === null ? '-' : String(end), lag, r.member?.memberId ?? '-', r.member?.clientHost ?? '-', r.member?.clientId ?? '-'];
  });
  return notes(g) + table(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], cells);
}

// ---- delete ----------------------------------------------------------------------------

async function remove(client: KafkaClient, names: string[]): Promise<void> {
  const results = await deleteGroups(client, names);
  const failed = results.filter((r) => r.error !== null);
  const done = results.filter((r) => r.error === null).map((r) => `'${r.groupId}'`);
  if (done.length > 0) await writeOut(`Deletion of requested consumer groups (${done.join(', ')}) was successful.\n`);
  for (const r of failed) {
    const why = r.error!.errorName === 'GROUP_ID_NOT_FOUND' ? 'the group does not exist'
      : r.error!.errorName === 'NON_EMPTY_GROUP' ? 'the group has active members; stop its consumers first'
        : r.error!.message;
    process.stderr.write(`Error: deletion of consumer group '${r.groupId}' failed: ${why} (${r.error!.errorName})\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
}

// ---- reset-offsets ---------------------------------------------------------------------

interface ResetOptions extends ClientOptions {
  group: string;
  topic?: string[];
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: number;
  toDatetime?: number;
  byDuration?: number;
  shiftBy?: number;
  dryRun?: boolean;
  execute?: boolean;
}

function parseTime(value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('--to-datetime must be an ISO date (2024-05-01T12:00:00Z) or milliseconds since the epoch.');
  return ms;
}

/** An ISO-8601 duration as Java's Duration.parse takes it: PnDTnHnMn.nS, optionally negative. */
export function parseDuration(value: string): number {
  const m = /^([-+]?)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value.trim());
  if (m === null || value.trim().toUpperCase() === 'P' || /T$/i.test(value.trim())) {
    throw new InvalidArgumentError('--by-duration must be an ISO-8601 duration such as PT30M, PT1H or P1DT12H.');
  }
  const ms = ((Number(m[2] ?? 0) * 24 + Number(m[3] ?? 0)) * 60 + Number(m[4] ?? 0)) * 60_000 + Math.round(Number(m[5] ?? 0) * 1000);
  return m[1] === '-' ? -ms : ms;
}

function parseShift(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError('--shift-by must be an integer (negative to move back).');
  return n;
}

function parseTopicSpec(spec: string): { topic: string; partitions: number[] | null } {
  const i = spec.lastIndexOf(':');
  if (i < 0) return { topic: spec, partitions: null };
  const topic = spec.slice(0, i);
  const partitions = spec.slice(i + 1).split(',').map((p) => Number(p.trim()));
  if (topic === '' || partitions.some((p) => !Number.isSafeInteger(p) || p < 0)) throw new UsageError(`--topic ${spec}: expected TOPIC or TOPIC:PARTITION,PARTITION (e.g. orders:0,2)`);
  return { topic, partitions };
}

async function reset(client: KafkaClient, options: ResetOptions, topics: Array<{ topic: string; partitions: number[] | null }>): Promise<void> {
  const groupId = options.group;
  const [g] = await describeGroups(client, [groupId]);
  if (g!.error !== null) throw g!.error;
  if (ACTIVE_STATES.has(g!.state)) {
    throw new GroupError(`Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${g!.state}. Stop its ${g!.members.length} consumer(s) first.`);
  }
  const committed = await fetchOffsets(client, groupId);
  const current = new Map(committed.filter((o) => o.offset >= 0).map((o) => [`${o.topic}\u0000${o.partition}`, o] as [string, CommittedOffset]));
  // Which partitions.
  const targets: Array<{ topic: string; partition: number }> = [];
  if (options.allTopics) {
    for (const o of current.values()) targets.push({ topic: o.topic, partition: o.partition });
  } else {
    for (const t of topics) {
      const all = await client.partitionsOf(t.topic).catch(() => {
        throw unknownTopicError(t.topic);
      });
      for (const p of t.partitions ?? all) {
        if (!all.includes(p)) throw new UsageError(`topic ${t.topic} has no partition ${p} (it has ${all.length})`);
        targets.push({ topic: t.topic, partition: p });
      }
    }
  }
  // Where to.
  const plan: Array<{ topic: string; partition: number; offset: number }> = [];
  for (const { topic, partition } of targets) {
    const earliest = async () => (await client.listOffsets(topic, partition, 'earliest')).offset;
    const latest = async () => (await client.listOffsets(topic, partition, 'latest')).offset;
    const clamp = async (wanted: number) => {
      const [lo, hi] = [await earliest(), await latest()];
      if (wanted < lo) {
        process.stderr.write(`New offset (${wanted}) is lower than earliest offset for topic partition ${topic}-${partition}. Value will be set to ${lo}\n`);
        return lo;
      }
      if (wanted > hi) {
        process.stderr.write(`New offset (${wanted}) is higher than latest offset for topic partition ${topic}-${partition}. Value will be set to ${hi}\n`);
        return hi;
      }
      return wanted;
    };
    const atTime = async (ms: number) => {
      const found = (await client.listOffsets(topic, partition, ms)).offset;
      return found >= 0 ? found : latest();
    };
    let offset: number;
    if (options.toEarliest) offset = await earliest();
    else if (options.toLatest) offset = await latest();
    else if (options.toOffset !== undefined) offset = await clamp(options.toOffset);
    else if (options.toDatetime !== undefined) offset = await atTime(options.toDatetime);
    else if (options.byDuration !== undefined) offset = await atTime(Date.now() - options.byDuration);
    else {
      const now = current.get(`${topic}\u0000${partition}`);
      if (now === undefined) throw new GroupError(`cannot shift the offset of ${topic}-${partition}: group '${groupId}' has no committed offset there`);
      offset = await clamp(now.offset + options.shiftBy!);
    }
    plan.push({ topic, partition, offset });
  }
  plan.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  if (options.execute && plan.length > 0) {
    const results = await commitOffsets(client, groupId, plan);
    const failed = results.find((r) => r.error !== null);
    if (failed !== undefined) {
      if (failed.error!.errorName === 'UNKNOWN_MEMBER_ID') throw new GroupError(`the group '${groupId}' became active while resetting; nothing more was changed (stop its consumers and retry)`);
      throw failed.error!;
    }
  }
  await writeOut('\n' + table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.map((p) => [groupId, p.topic, String(p.partition), String(p.offset)])));
  if (!options.execute) process.stderr.write('Dry run: nothing was changed. Add --execute to commit these offsets.\n');
}
