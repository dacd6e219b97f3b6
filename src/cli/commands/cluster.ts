/**
 * `strand cluster describe|reassign|start`: a cluster's brokers, controller and partitions
 * (leaders, ISR, under-replicated ones), partition reassignment from a Kafka-style JSON plan
 * (kafka-reassign-partitions.sh's --execute, --verify and --cancel, with its file format and
 * messages), and a local development cluster (cluster-start.ts).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { parsePlacement, PLACEMENT_CONFIG } from '../../cluster/placement.js';
import { AlterPartitionReassignmentsApi, DescribeClusterApi, ListPartitionReassignmentsApi, MetadataApi } from '../../protocol/messages/index.js';
import { addClientOptions, type ClientOptions, UsageError } from '../args.js';
import { withClient, writeOut } from '../session.js';
import { table } from '../table.js';
import { registerStart } from './cluster-start.js';

export function register(program: Command): void {
  const cluster = program.command('cluster').description('a cluster of brokers: describe it, reassign partitions, start one locally');

  addClientOptions(cluster.command('describe'))
    .description('brokers, controller, and every partition with its leader, replicas and ISR')
    .option('--under-replicated', 'only partitions whose ISR is smaller than their replicas')
    .action((options: ClientOptions & { underReplicated?: boolean }) => withClient(options, (c) => describe(c, options.underReplicated === true)));

  addClientOptions(cluster.command('reassign'))
    .description('move partition replicas with a reassignment plan (the JSON file of kafka-reassign-partitions.sh)')
    .requiredOption('-f, --reassignment-json-file <file>', '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2]}]}')
    .option('--execute', 'start the reassignment; prints the current assignment, to save for a rollback')
    .option('--verify', 'whether each partition of the plan has completed')
    .option('--cancel', 'cancel the reassignments of the plan\'s partitions still in progress')
    .addHelpText('after', `
Example:
  strand cluster reassign -f plan.json --execute
  strand cluster reassign -f plan.json --verify`)
    .action((options: ClientOptions & { reassignmentJsonFile: string; execute?: boolean; verify?: boolean; cancel?: boolean }) => {
      const modes = [options.execute, options.verify, options.cancel].filter(Boolean).length;
      if (modes !== 1) throw new UsageError('give exactly one of --execute, --verify and --cancel');
      const plan = readPlan(options.reassignmentJsonFile);
      return withClient(options, (c) => (options.execute ? execute(c, plan) : options.verify ? verify(c, plan) : cancel(c, plan)));
    });

  registerStart(cluster);
}

export interface PlanEntry {
  topic: string;
  partition: number;
  replicas: number[];
}

/** Kafka's reassignment JSON: version 1, partitions with topic, partition and replicas (log_dirs, if any, must be "any"). */
export function parsePlan(text: string, file: string): PlanEntry[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
  const o = v as { version?: unknown; partitions?: unknown };
  if (typeof v !== 'object' || v === null || o.version !== 1 || !Array.isArray(o.partitions)) throw new UsageError(`${file}: expected {"version":1,"partitions":[...]}`);
  const seen = new Set<string>();
  return o.partitions.map((p: unknown, i: number) => {
    const e = p as { topic?: unknown; partition?: unknown; replicas?: unknown; log_dirs?: unknown };
    if (typeof e?.topic !== 'string' || !Number.isInteger(e.partition) || !Array.isArray(e.replicas) || !e.replicas.every((r) => Number.isInteger(r))) {
      throw new UsageError(`${file}: partitions[${i}] needs "topic" (string), "partition" and "replicas" (integers)`);
    }
    if (Array.isArray(e.log_dirs) && e.log_dirs.some((d) => d !== 'any')) throw new UsageError(`${file}: partitions[${i}]: log_dirs other than "any" are not supported (one data directory per broker)`);
    const id = `${e.topic}-${e.partition as number}`;
    if (seen.has(id)) throw new UsageError(`${file}: partition ${id} appears more than once`);
    seen.add(id);
    return { topic: e.topic, partition: e.partition as number, replicas: e.replicas as number[] };
  });
}

function readPlan(file: string): PlanEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parsePlan(text, file);
}

interface PartitionInfo { topic: string; partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[]; offline: number[]; errorCode: number }

async function partitions(c: KafkaClient, topics: string[] | null): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>; controllerId: number; clusterId: string | null; partitions: PartitionInfo[] }> {
  const res = await c.request(MetadataApi, { topics: topics === null ? null : topics.map((name) => ({ name, topicId: undefined })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  const out: PartitionInfo[] = [];
  for (const t of res.topics) {
    if (t.name === null) continue;
    if (t.errorCode !== 0 && t.partitions.length === 0) throw new KafkaResponseError(t.errorCode, { api: 'Metadata', topic: t.name });
    for (const p of t.partitions) {
      out.push({ topic: t.name, partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch ?? -1, replicas: [...p.replicaNodes], isr: [...p.isrNodes], offline: [...(p.offlineReplicas ?? [])], errorCode: p.errorCode });
    }
  }
  out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return { brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })), controllerId: res.controllerId ?? -1, clusterId: res.clusterId ?? null, partitions: out };
}

/**
 * The observers of partitions whose ISR is short of their replicas: Metadata lists them last
 * among the replicas, as many as the topic's confluent.placement.constraints names.
 */
async function observersOf(c: KafkaClient, rows: readonly PartitionInfo[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  const topics = [...new Set(rows.filter((p) => p.isr.length < p.replicas.length).map((p) => p.topic))];
  if (topics.length === 0) return out;
  const described = await c.describeConfigs(topics.map((name) => ({ type: 'topic' as const, name, keys: [PLACEMENT_CONFIG] })));
  for (const d of described) {
    const value = d.configs.find((x) => x.name === PLACEMENT_CONFIG)?.value;
    if (d.error !== null || !value) continue;
    let count: number;
    try {
      count = parsePlacement(value).observers.reduce((n, g) => n + g.count, 0);
    } catch {
      continue;
    }
    if (count === 0) continue;
    for (const p of rows) if (p.topic === d.name) out.set(`${p.topic}-${p.partition}`, p.replicas.slice(-count));
  }
  return out;
}

async function describe(c: KafkaClient, underOnly: boolean): Promise<void> {
  const dc = await c.request(DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1 });
  KafkaResponseError.check(dc.errorCode, { api: 'DescribeCluster' }, dc.errorMessage);
  const meta = await partitions(c, null);
  const observers = await observersOf(c, meta.partitions);
  // Observers stay out of the ISR by design: a partition is under-replicated when a synchronous replica is missing from it.
  const isUnder = (p: PartitionInfo): boolean => p.replicas.some((r) => !p.isr.includes(r) && !(observers.get(`${p.topic}-${p.partition}`) ?? []).includes(r));
  const under = meta.partitions.filter(isUnder);
  let text = `Cluster ${dc.clusterId}, controller ${dc.controllerId}\n\nBrokers (${dc.brokers.length}):\n`;
  text += table(['ID', 'HOST:PORT', 'RACK'], [...dc.brokers].sort((a, b) => a.brokerId - b.brokerId).map((b) => [String(b.brokerId), `${b.host}:${b.port}`, b.rack ?? '-']));
  const shown = underOnly ? under : meta.partitions;
  text += `\nPartitions (${meta.partitions.length}, ${under.length} under-replicated):\n`;
  if (shown.length > 0) {
    text += table(['TOPIC', 'PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'OFFLINE', 'STATUS'], shown.map((p) => [
      p.topic, String(p.partition), p.leader < 0 ? 'none' : String(p.leader), String(p.leaderEpoch), p.replicas.join(','), p.isr.join(','), p.offline.length === 0 ? '-' : p.offline.join(','),
      p.leader < 0 ? 'offline' : isUnder(p) ? 'under-replicated' : 'ok',
    ]));
  }
  const observed = shown.filter((p) => observers.has(`${p.topic}-${p.partition}`));
  if (observed.length > 0) text += `\nObservers (copy asynchronously, never in the ISR): ${observed.map((p) => `${p.topic}-${p.partition}: ${observers.get(`${p.topic}-${p.partition}`)!.join(',')}`).join('; ')}\n`;
  await writeOut(text);
}

function planJson(entries: PlanEntry[]): string {
  return JSON.stringify({ version: 1, partitions: entries.map((e) => ({ topic: e.topic, partition: e.partition, replicas: e.replicas, log_dirs: e.replicas.map(() => 'any') })) });
}

function byTopic(plan: PlanEntry[], replicas: (e: PlanEntry) => number[] | null): Array<{ name: string; partitions: Array<{ partitionIndex: number; replicas: number[] | null }> }> {
  const topics = new Map<string, Array<{ partitionIndex: number; replicas: number[] | null }>>();
  for (const e of plan) {
    const list = topics.get(e.topic) ?? [];
    list.push({ partitionIndex: e.partition, replicas: replicas(e) });
    topics.set(e.topic, list);
  }
  return [...topics].map(([name, partitions]) => ({ name, partitions }));
}

async function alter(c: KafkaClient, plan: PlanEntry[], cancel: boolean): Promise<string[]> {
  const res = await c.request(AlterPartitionReassignmentsApi, { timeoutMs: 30_000, topics: byTopic(plan, (e) => (cancel ? null : e.replicas)) });
  KafkaResponseError.check(res.errorCode, { api: 'AlterPartitionReassignments' }, res.errorMessage);
  const failed: string[] = [];
  for (const t of res.responses) {
    for (const p of t.partitions) if (p.errorCode !== 0) failed.push(new KafkaResponseError(p.errorCode, { api: 'AlterPartitionReassignments', topic: t.name, partition: p.partitionIndex }, p.errorMessage).message);
  }
  return failed;
}

async function execute(c: KafkaClient, plan: PlanEntry[]): Promise<void> {
  const meta = await partitions(c, [...new Set(plan.map((e) => e.topic))]);
  const current = plan.map((e) => {
    const p = meta.partitions.find((x) => x.topic === e.topic && x.partition === e.partition);
    if (p === undefined) throw new KafkaResponseError(3, { api: 'Metadata', topic: e.topic, partition: e.partition }, `partition ${e.topic}-${e.partition} does not exist`);
    return { topic: e.topic, partition: e.partition, replicas: p.replicas };
  });
  await writeOut(`Current partition replica assignment\n\n${planJson(current)}\n\nSave this to use as the --reassignment-json-file option during rollback\n`);
  const failed = await alter(c, plan, false);
  if (failed.length > 0) throw new Error(`Error reassigning partition(s):\n${failed.join('\n')}`);
  await writeOut(`Successfully started partition reassignment${plan.length === 1 ? '' : 's'} for ${plan.map((e) => `${e.topic}-${e.partition}`).join(',')}\n`);
}

async function verify(c: KafkaClient, plan: PlanEntry[]): Promise<void> {
  const ongoing = await c.request(ListPartitionReassignmentsApi, { timeoutMs: 30_000, topics: byTopic(plan, () => null).map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) })) });
  KafkaResponseError.check(ongoing.errorCode, { api: 'ListPartitionReassignments' }, ongoing.errorMessage);
  const inProgress = new Set(ongoing.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}`)));
  const meta = await partitions(c, [...new Set(plan.map((e) => e.topic))]);
  const lines = ['Status of partition reassignment:'];
  let incomplete = false;
  for (const e of plan) {
    const id = `${e.topic}-${e.partition}`;
    const p = meta.partitions.find((x) => x.topic === e.topic && x.partition === e.partition);
    if (inProgress.has(id)) {
      incomplete = true;
      lines.push(`Reassignment of partition ${id} is still in progress.`);
    } else if (p !== undefined && p.replicas.join(',') === e.replicas.join(',')) {
      lines.push(`Reassignment of partition ${id} is completed.`);
    } else {
      incomplete = true;
      lines.push(`There is no active reassignment of partition ${id}, but replica set is ${p?.replicas.join(',') ?? 'unknown'} rather than ${e.replicas.join(',')}.`);
    }
  }
  await writeOut(lines.join('\n') + '\n');
  // Like kafka-reassign-partitions.sh --verify, a plan not (yet) in place is not an error of the tool;
  // the exit code still tells scripts: 0 completed, 3 not yet.
  if (incomplete) process.exitCode = 3;
}

async function cancel(c: KafkaClient, plan: PlanEntry[]): Promise<void> {
  const failed = await alter(c, plan, true);
  if (failed.length > 0) throw new Error(`Error cancelling partition reassignment(s):\n${failed.join('\n')}`);
  await writeOut(`Successfully cancelled partition reassignment${plan.length === 1 ? '' : 's'} for: ${plan.map((e) => `${e.topic}-${e.partition}`).join(',')}\n`);
}
