/**
 * The operator's requests any broker takes (ElectLeaders, AlterPartitionReassignments,
 * ListPartitionReassignments, CreatePartitions, topic config changes), written to etcd by the
 * broker that received them. Elections are decided here and written with a compare-and-swap on
 * the partition's mod revision, as AlterPartition is (isr.ts): etcd is the arbiter, as Kafka's
 * controller is, and a decision taken on a state that moved meanwhile is taken again. The others
 * are requests the controller carries out (reassignment records it watches, a topic record's
 * new partition count); topic configs are a compare-and-swap on the topic record, which every
 * broker applies from its watch.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { KafkaErrorCode, StrandError } from '../errors.js';
import { keyOf, readPrefix } from './etcd-client.js';
import type { ClusterKeys } from './keys.js';
import { type ElectionOutcome, preferredElection, uncleanElection } from './leader-election.js';
import { addingRemoving } from './reassignment.js';
import { decodeBroker, decodePartition, decodeReassignment, decodeTopic, encodePartition, encodeReassignment, encodeTopic, type ReassignmentRecord } from './records.js';
import { initialPartitionState } from './partition-change.js';
import type { PartitionState, TopicRecord } from './types.js';

/** ElectLeaders' election_type. */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface PartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  message: string | null;
}

const CAS_ATTEMPTS = 5;

async function eligibility(client: Etcd3, keys: ClusterKeys): Promise<(broker: number) => boolean> {
  const live = new Set((await readPrefix(client, keys.brokers)).kvs.map((kv) => decodeBroker(kv).nodeId));
  const shutting = new Set<number>();
  for (const kv of (await readPrefix(client, keys.shutdowns)).kvs) {
    const parsed = keys.parse(keyOf(kv));
    if (parsed?.kind === 'shutdown') shutting.add(parsed.nodeId);
  }
  return (b) => live.has(b) && !shutting.has(b);
}

/**
 * ElectLeaders for `partitions` (null: every partition, and then, as Kafka does, only those an
 * election was attempted for and did not find unneeded are reported).
 */
export async function electLeaders(client: Etcd3, keys: ClusterKeys, type: number, partitions: Array<{ topic: string; partition: number }> | null, controllerEpoch: number): Promise<PartitionResult[]> {
  const eligible = await eligibility(client, keys);
  const elect = (s: PartitionState): ElectionOutcome => (type === ElectionType.UNCLEAN ? uncleanElection(s, eligible, controllerEpoch) : preferredElection(s, eligible, controllerEpoch));
  const all = partitions === null;
  const targets = partitions ?? (await readPrefix(client, keys.partitions)).kvs.map((kv) => decodePartition(kv)).map((s) => ({ topic: s.topic, partition: s.partition }));
  const out: PartitionResult[] = [];
  for (const { topic, partition } of targets) {
    const r = await electOne(client, keys.partition(topic, partition), topic, partition, elect);
    if (all && r.errorCode === KafkaErrorCode.ELECTION_NOT_NEEDED) continue;
    out.push(r);
  }
  return out;
}

async function electOne(client: Etcd3, key: string, topic: string, partition: number, elect: (s: PartitionState) => ElectionOutcome): Promise<PartitionResult> {
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const kv = (await client.get(key).exec()).kvs[0] as IKeyValue | undefined;
    if (kv === undefined) return { topic, partition, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `The partition ${topic}-${partition} does not exist.` };
    const outcome = elect(decodePartition(kv));
    if (!('state' in outcome)) return { topic, partition, errorCode: outcome.errorCode, message: outcome.message };
    const res = await client.if(key, 'Mod', '==', Number(kv.mod_revision)).then(client.put(key).value(encodePartition(outcome.state))).commit();
    if (res.succeeded) return { topic, partition, errorCode: 0, message: null };
  }
  return { topic, partition, errorCode: KafkaErrorCode.REQUEST_TIMED_OUT, message: `${topic}-${partition} kept changing while its leader was being elected` };
}

/**
 * One partition of AlterPartitionReassignments: `replicas` null cancels. Checked as KRaft's
 * ReplicationControlManager checks it (unknown partition, empty or duplicate replica lists,
 * unregistered brokers: INVALID_REPLICA_ASSIGNMENT; nothing to cancel: NO_REASSIGNMENT_IN_PROGRESS).
 * A new target for a partition already being reassigned replaces the target and keeps the original.
 */
export async function alterReassignment(client: Etcd3, keys: ClusterKeys, topic: string, partition: number, replicas: number[] | null): Promise<PartitionResult> {
  const ok = (): PartitionResult => ({ topic, partition, errorCode: 0, message: null });
  const fail = (errorCode: number, message: string): PartitionResult => ({ topic, partition, errorCode, message });
  const pkey = keys.partition(topic, partition);
  const rkey = keys.reassignment(topic, partition);
  const live = new Set((await readPrefix(client, keys.brokers)).kvs.map((kv) => decodeBroker(kv).nodeId));
  if (replicas !== null) {
    if (replicas.length === 0) return fail(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.');
    if (new Set(replicas).size !== replicas.length) return fail(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${replicas.find((b, i) => replicas.indexOf(b) !== i)} more than once.`);
    const missing = replicas.find((b) => !live.has(b));
    if (missing !== undefined) return fail(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${missing}, but no such broker is registered.`);
  }
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const [pkv, rkv] = await Promise.all([client.get(pkey).exec().then((r) => r.kvs[0] as IKeyValue | undefined), client.get(rkey).exec().then((r) => r.kvs[0] as IKeyValue | undefined)]);
    if (pkv === undefined) return fail(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}-${partition}.`);
    const state = decodePartition(pkv);
    const current = rkv === undefined ? null : decodeReassignment(rkv);
    let record: ReassignmentRecord;
    if (replicas === null) {
      if (current === null || current.cancel) return fail(KafkaErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `Unable to cancel reassignment of ${topic}-${partition}: no reassignment is in progress.`);
      record = { ...current, cancel: true };
    } else {
      record = { target: [...replicas], original: current?.original ?? [...state.replicas] };
    }
    const res = await client
      .if(pkey, 'Mod', '==', Number(pkv.mod_revision))
      .and(rkey, 'Mod', '==', rkv === undefined ? 0 : Number(rkv.mod_revision))
      .then(client.put(rkey).value(encodeReassignment(record)))
      .commit();
    if (res.succeeded) return ok();
  }
  return fail(KafkaErrorCode.REQUEST_TIMED_OUT, `${topic}-${partition} kept changing while its reassignment was being recorded`);
}

export interface ReassignmentView {
  topic: string;
  partition: number;
  replicas: number[];
  adding: number[];
  removing: number[];
}

/** ListPartitionReassignments: the reassignments in progress (of `wanted` only, when given), by topic and partition. */
export async function listReassignments(client: Etcd3, keys: ClusterKeys, wanted: Array<{ topic: string; partition: number }> | null): Promise<ReassignmentView[]> {
  const { kvs } = await readPrefix(client, keys.reassignments);
  const out: ReassignmentView[] = [];
  for (const kv of kvs) {
    const parsed = keys.parse(keyOf(kv));
    if (parsed?.kind !== 'reassignment') continue;
    if (wanted !== null && !wanted.some((w) => w.topic === parsed.topic && w.partition === parsed.partition)) continue;
    const r = decodeReassignment(kv);
    const pkv = (await client.get(keys.partition(parsed.topic, parsed.partition)).exec()).kvs[0] as IKeyValue | undefined;
    if (pkv === undefined) continue;
    out.push({ topic: parsed.topic, partition: parsed.partition, replicas: decodePartition(pkv).replicas, ...addingRemoving(r) });
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/** A compare-and-swap on a topic record: `change` returns the new record, or throws to refuse. */
export async function updateTopic(client: Etcd3, keys: ClusterKeys, name: string, change: (t: TopicRecord) => TopicRecord, onMissing: () => Error): Promise<TopicRecord> {
  const key = keys.topic(name);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    const kv = (await client.get(key).exec()).kvs[0] as IKeyValue | undefined;
    if (kv === undefined) throw onMissing();
    const next = change(decodeTopic(kv));
    const res = await client.if(key, 'Mod', '==', Number(kv.mod_revision)).then(client.put(key).value(encodeTopic(next))).commit();
    if (res.succeeded) return next;
  }
  throw new Error(`topic ${name} kept changing while it was being updated`);
}

function invalidAssignment(message: string): StrandError {
  return new StrandError(message, 'ERR_STRAND_INVALID_REPLICA_ASSIGNMENT', KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT);
}

/**
 * CreatePartitions with a manual assignment: each new partition's replicas must be registered
 * brokers, given once each, as many as the topic's other partitions have (KRaft's
 * ReplicationControlManager.createPartitions checks). The partitions and the topic record's new
 * assignment are written in one transaction guarded by the topic record's mod revision.
 */
export async function addAssignedPartitions(client: Etcd3, keys: ClusterKeys, name: string, total: number, assignments: number[][], live: ReadonlySet<number>, controllerEpoch: number): Promise<TopicRecord> {
  const key = keys.topic(name);
  const kv = (await client.get(key).exec()).kvs[0] as IKeyValue | undefined;
  if (kv === undefined) throw new StrandError(`unknown topic ${name}`, 'ERR_STRAND_UNKNOWN_TOPIC_OR_PARTITION', KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const topic = decodeTopic(kv);
  const current = topic.assignment;
  if (current === null) throw new StrandError(`topic ${name} is still being created`, 'ERR_STRAND_UNKNOWN_TOPIC_OR_PARTITION', KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (assignments.length !== total - current.length) throw invalidAssignment(`Attempted to add ${total - current.length} additional partition(s), but only ${assignments.length} assignment(s) were specified.`);
  const rf = current[0]?.length ?? topic.replicationFactor;
  for (const replicas of assignments) {
    if (replicas.length === 0) throw invalidAssignment('The manual partition assignment includes an empty replica list.');
    if (new Set(replicas).size !== replicas.length) throw invalidAssignment(`The manual partition assignment includes the broker ${replicas.find((b, i) => replicas.indexOf(b) !== i)} more than once.`);
    const missing = replicas.find((b) => !live.has(b));
    if (missing !== undefined) throw invalidAssignment(`The manual partition assignment includes broker ${missing}, but no such broker is registered.`);
    if (replicas.length !== rf) throw invalidAssignment(`The manual partition assignment includes a partition with ${replicas.length} replica(s), but this is not consistent with previous partitions, which have ${rf} replica(s).`);
  }
  const next: TopicRecord = { ...topic, numPartitions: total, assignment: [...current, ...assignments] };
  const puts = assignments.map((replicas, i) => client.put(keys.partition(name, current.length + i)).value(encodePartition(initialPartitionState(name, current.length + i, replicas, controllerEpoch))));
  let txn = client.if(key, 'Mod', '==', Number(kv.mod_revision));
  for (let i = 0; i < assignments.length; i++) txn = txn.and(keys.partition(name, current.length + i), 'Create', '==', 0);
  const res = await txn.then(client.put(key).value(encodeTopic(next)), ...puts).commit();
  if (!res.succeeded) throw new StrandError(`topic ${name} changed while its partitions were being added; try again`, 'ERR_STRAND_CONCURRENT_CHANGE', KafkaErrorCode.REASSIGNMENT_IN_PROGRESS);
  return next;
}
