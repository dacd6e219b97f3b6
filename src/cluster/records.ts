/** JSON encoding of the cluster records in etcd, checked on the way in so a bad value names its key. */
import type { IKeyValue } from 'etcd3';
import { ClusterMetadataError } from './errors.js';
import type { BrokerRegistration, ControllerInfo, PartitionState, TopicRecord } from './types.js';

function parse(kv: IKeyValue): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(kv.value.toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ClusterMetadataError(`etcd key ${kv.key.toString()} does not hold a JSON object`);
}

const isInt = (v: unknown): v is number => Number.isInteger(v);
const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

function bad(kv: IKeyValue, field: string): never {
  throw new ClusterMetadataError(`etcd key ${kv.key.toString()}: field ${field} is missing or malformed`);
}

export function decodeBroker(kv: IKeyValue): BrokerRegistration {
  const v = parse(kv);
  if (!isInt(v.nodeId)) bad(kv, 'nodeId');
  if (!Array.isArray(v.listeners)) bad(kv, 'listeners');
  if (v.rack !== null && typeof v.rack !== 'string') bad(kv, 'rack');
  if (typeof v.incarnationId !== 'string') bad(kv, 'incarnationId');
  return { nodeId: v.nodeId, listeners: v.listeners as BrokerRegistration['listeners'], rack: v.rack, incarnationId: v.incarnationId, brokerEpoch: Number(kv.mod_revision) };
}

export function encodeBroker(b: Omit<BrokerRegistration, 'brokerEpoch'>): string {
  return JSON.stringify({ nodeId: b.nodeId, listeners: b.listeners, rack: b.rack, incarnationId: b.incarnationId });
}

export function decodeController(kv: IKeyValue): ControllerInfo {
  const v = parse(kv);
  if (!isInt(v.nodeId)) bad(kv, 'nodeId');
  if (!isInt(v.epoch)) bad(kv, 'epoch');
  return { nodeId: v.nodeId, epoch: v.epoch };
}

export function decodeTopic(kv: IKeyValue): TopicRecord {
  const v = parse(kv);
  if (typeof v.name !== 'string') bad(kv, 'name');
  if (typeof v.topicId !== 'string') bad(kv, 'topicId');
  if (!isInt(v.numPartitions)) bad(kv, 'numPartitions');
  if (!isInt(v.replicationFactor)) bad(kv, 'replicationFactor');
  if (v.assignment !== null && !(Array.isArray(v.assignment) && v.assignment.every(isIntArray))) bad(kv, 'assignment');
  return v as unknown as TopicRecord;
}

export function decodePartition(kv: IKeyValue): PartitionState {
  const v = parse(kv);
  if (typeof v.topic !== 'string') bad(kv, 'topic');
  for (const f of ['partition', 'leader', 'leaderEpoch', 'partitionEpoch', 'controllerEpoch']) if (!isInt(v[f])) bad(kv, f);
  if (!isIntArray(v.replicas)) bad(kv, 'replicas');
  if (!isIntArray(v.isr)) bad(kv, 'isr');
  if (v.observers !== undefined && !isIntArray(v.observers)) bad(kv, 'observers');
  return v as unknown as PartitionState;
}

/** Field order fixed, so equal states are equal strings. */
export function encodePartition(s: PartitionState): string {
  const observers = s.observers !== undefined && s.observers.length > 0 ? { observers: s.observers } : {};
  return JSON.stringify({ topic: s.topic, partition: s.partition, replicas: s.replicas, isr: s.isr, leader: s.leader, leaderEpoch: s.leaderEpoch, partitionEpoch: s.partitionEpoch, controllerEpoch: s.controllerEpoch, ...observers });
}

export function encodeTopic(t: TopicRecord): string {
  return JSON.stringify(t);
}

/** `admin/reassignments/<topic>/<p>`: a reassignment in progress (KIP-455). */
export interface ReassignmentRecord {
  /** The replicas the partition is to end with, in the order asked for (the first is the preferred leader). */
  target: number[];
  /** The replicas when the reassignment started: what a cancellation goes back to. */
  original: number[];
  /** Set by a cancellation: the controller reverts to `original` at once, without waiting for the ISR. */
  cancel?: boolean;
}

export function decodeReassignment(kv: IKeyValue): ReassignmentRecord {
  const v = parse(kv);
  if (!isIntArray(v.target)) bad(kv, 'target');
  if (!isIntArray(v.original)) bad(kv, 'original');
  return { target: v.target, original: v.original, ...(v.cancel === true ? { cancel: true } : {}) };
}

export function encodeReassignment(r: ReassignmentRecord): string {
  return JSON.stringify({ target: r.target, original: r.original, ...(r.cancel ? { cancel: true } : {}) });
}
