/**
 * The `__consumer_offsets` records of consumer-protocol groups (KIP-848), as Kafka's group
 * coordinator writes them (group-coordinator/src/main/resources/common/message/ConsumerGroup*.json).
 * Keys are an int16 version followed by a non-flexible struct; values an int16 version (0)
 * followed by a flexible struct (compact strings and arrays, tagged fields).
 *
 *   key v3  ConsumerGroupMetadataKey                  group      → Epoch int32
 *   key v4  ConsumerGroupPartitionMetadataKey         group      → Topics [TopicId uuid, TopicName, NumPartitions int32, PartitionRacks [Partition int32, Racks [string]]]
 *           (Kafka 3.7-4.0's value; the KIP-848 preview of 3.6 had a group Epoch before Topics, and 4.1 stops writing it)
 *   key v5  ConsumerGroupMemberMetadataKey            group, member → InstanceId?, RackId?, ClientId, ClientHost, SubscribedTopicNames [string], SubscribedTopicRegex?, RebalanceTimeoutMs int32, ServerAssignor?,
 *           tag 0: ClassicMemberMetadata? [SessionTimeoutMs int32, SupportedProtocols [Name, Metadata bytes]] (a member using JoinGroup/SyncGroup, Kafka 3.8+)
 *   key v6  ConsumerGroupTargetAssignmentMetadataKey  group      → AssignmentEpoch int32
 *   key v7  ConsumerGroupTargetAssignmentMemberKey    group, member → TopicPartitions [TopicId uuid, Partitions [int32]]
 *   key v8  ConsumerGroupCurrentMemberAssignmentKey   group, member → MemberEpoch int32, PreviousMemberEpoch int32, State int8, AssignedPartitions, PartitionsPendingRevocation
 *
 * A null value is a tombstone: the group, the member or its assignment is gone.
 */
import { ProtocolDecodeError } from '../../../protocol/errors.js';
import { Reader } from '../../../protocol/reader.js';
import { Writer } from '../../../protocol/writer.js';
import type { Assignment } from './assignment.js';

export const enum ConsumerKeyVersion {
  GroupMetadata = 3,
  PartitionMetadata = 4,
  MemberMetadata = 5,
  TargetAssignmentMetadata = 6,
  TargetAssignmentMember = 7,
  CurrentMemberAssignment = 8,
}

export type ConsumerRecordKey =
  | { kind: 'consumer-group'; group: string }
  | { kind: 'consumer-partition-metadata'; group: string }
  | { kind: 'consumer-member'; group: string; member: string }
  | { kind: 'consumer-target-epoch'; group: string }
  | { kind: 'consumer-target-member'; group: string; member: string }
  | { kind: 'consumer-current-assignment'; group: string; member: string };

const KIND_BY_VERSION: Readonly<Record<number, ConsumerRecordKey['kind']>> = {
  3: 'consumer-group',
  4: 'consumer-partition-metadata',
  5: 'consumer-member',
  6: 'consumer-target-epoch',
  7: 'consumer-target-member',
  8: 'consumer-current-assignment',
};

/** Kafka's ClassicMemberMetadata: what a member of the classic protocol hosted by a consumer group joined with. */
export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
}

export interface MemberMetadataValue {
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  /** Null for a member of the consumer protocol. */
  classic: ClassicMemberMetadata | null;
}

export interface CurrentAssignmentValue {
  memberEpoch: number;
  previousMemberEpoch: number;
  /** MemberState: 0 STABLE, 1 UNREVOKED_PARTITIONS, 2 UNRELEASED_PARTITIONS, 127 UNKNOWN (Kafka's MemberState values). */
  state: number;
  assigned: Assignment;
  pendingRevocation: Assignment;
}

export interface TopicMetadataValue {
  topicId: string;
  topicName: string;
  numPartitions: number;
}

export function encodeConsumerKey(version: ConsumerKeyVersion, group: string, member?: string): Buffer {
  const w = new Writer(8 + group.length + (member?.length ?? 0));
  w.int16(version);
  w.string(group);
  if (member !== undefined) w.string(member);
  return w.toBuffer();
}

/** The key of a consumer group record (versions 3-8), or null for another version. */
export function decodeConsumerKey(version: number, r: Reader): ConsumerRecordKey | null {
  const kind = KIND_BY_VERSION[version];
  if (kind === undefined) return null;
  const group = r.string();
  if (kind === 'consumer-member' || kind === 'consumer-target-member' || kind === 'consumer-current-assignment') {
    const member = r.string();
    if (!r.ok) throw r.error() ?? new ProtocolDecodeError(`consumer group key v${version}: malformed`, r.pos);
    return { kind, group, member };
  }
  if (!r.ok) throw r.error() ?? new ProtocolDecodeError(`consumer group key v${version}: malformed`, r.pos);
  return { kind, group };
}

function value(): Writer {
  const w = new Writer(64);
  w.int16(0);
  return w;
}

function reader(buf: Buffer, what: string): Reader {
  const r = new Reader(buf);
  const version = r.int16();
  if (!r.ok || version !== 0) throw new ProtocolDecodeError(`${what}: unknown value version ${version}`, 0);
  return r;
}

function done<T>(r: Reader, what: string, v: T): T {
  r.taggedFields();
  if (!r.ok) throw r.error() ?? new ProtocolDecodeError(`${what}: malformed`, r.pos);
  return v;
}

function writeAssignment(w: Writer, a: Assignment): void {
  w.uvarint(a.size + 1);
  for (const [topicId, partitions] of a) {
    w.uuid(topicId);
    w.uvarint(partitions.size + 1);
    for (const p of [...partitions].sort((x, y) => x - y)) w.int32(p);
    w.taggedFields(undefined);
  }
}

function readAssignment(r: Reader): Assignment {
  const out: Assignment = new Map();
  const n = r.compactArrayLength();
  for (let i = 0; i < n && r.ok; i++) {
    const topicId = r.uuid();
    const m = r.compactArrayLength();
    const set = new Set<number>();
    for (let j = 0; j < m && r.ok; j++) set.add(r.int32());
    r.taggedFields();
    if (set.size > 0) out.set(topicId, set);
  }
  return out;
}

export function encodeEpochValue(epoch: number): Buffer {
  const w = value();
  w.int32(epoch);
  w.taggedFields(undefined);
  return w.toBuffer();
}

export function decodeEpochValue(buf: Buffer): number {
  const r = reader(buf, 'consumer group epoch value');
  return done(r, 'consumer group epoch value', r.int32());
}

export function encodePartitionMetadataValue(topics: TopicMetadataValue[]): Buffer {
  const w = value();
  w.uvarint(topics.length + 1);
  for (const t of topics) {
    w.uuid(t.topicId);
    w.compactString(t.topicName);
    w.int32(t.numPartitions);
    w.uvarint(1); // PartitionRacks: none (strand has no racks)
    w.taggedFields(undefined);
  }
  w.taggedFields(undefined);
  return w.toBuffer();
}

export function decodePartitionMetadataValue(buf: Buffer): { topics: TopicMetadataValue[] } {
  const r = reader(buf, 'consumer group partition metadata');
  const topics: TopicMetadataValue[] = [];
  const n = r.compactArrayLength();
  for (let i = 0; i < n && r.ok; i++) {
    const topicId = r.uuid();
    const topicName = r.compactString();
    const numPartitions = r.int32();
    const racks = r.compactArrayLength();
    for (let j = 0; j < racks && r.ok; j++) {
      r.int32();
      const m = r.compactArrayLength();
      for (let k = 0; k < m && r.ok; k++) r.compactString();
      r.taggedFields();
    }
    r.taggedFields();
    topics.push({ topicId, topicName, numPartitions });
  }
  return done(r, 'consumer group partition metadata', { topics });
}

export function encodeMemberMetadataValue(v: MemberMetadataValue): Buffer {
  const w = value();
  w.compactNullableString(v.instanceId);
  w.compactNullableString(v.rackId);
  w.compactString(v.clientId);
  w.compactString(v.clientHost);
  w.uvarint(v.subscribedTopicNames.length + 1);
  for (const t of v.subscribedTopicNames) w.compactString(t);
  w.compactNullableString(v.subscribedTopicRegex);
  w.int32(v.rebalanceTimeoutMs);
  w.compactNullableString(v.serverAssignor);
  if (v.classic === null) w.taggedFields(undefined);
  else w.taggedFields([{ tag: 0, data: encodeClassicMemberMetadata(v.classic) }]);
  return w.toBuffer();
}

/** A nullable struct: Kafka's generated code writes a presence byte (1; -1 for null) before its fields. */
function encodeClassicMemberMetadata(c: ClassicMemberMetadata): Buffer {
  const w = new Writer(64);
  w.int8(1);
  w.int32(c.sessionTimeoutMs);
  w.uvarint(c.protocols.length + 1);
  for (const p of c.protocols) {
    w.compactString(p.name);
    w.compactBytes(p.metadata);
    w.taggedFields(undefined);
  }
  w.taggedFields(undefined);
  return w.toBuffer();
}

function decodeClassicMemberMetadata(buf: Buffer): ClassicMemberMetadata | null {
  const r = new Reader(buf);
  // The presence byte; a session timeout's first byte is 0 for any value below 2^24, so data
  // written without it reads too.
  if (buf[0] === 0xff) return null;
  if (buf[0] === 1) r.int8();
  const sessionTimeoutMs = r.int32();
  const protocols: ClassicMemberMetadata['protocols'] = [];
  const n = r.compactArrayLength();
  for (let i = 0; i < n && r.ok; i++) {
    const name = r.compactString();
    const metadata = Buffer.from(r.compactBytes());
    r.taggedFields();
    protocols.push({ name, metadata });
  }
  return done(r, 'classic member metadata', { sessionTimeoutMs, protocols });
}

export function decodeMemberMetadataValue(buf: Buffer): MemberMetadataValue {
  const r = reader(buf, 'consumer group member metadata');
  const instanceId = r.compactNullableString();
  const rackId = r.compactNullableString();
  const clientId = r.compactString();
  const clientHost = r.compactString();
  const subscribedTopicNames: string[] = [];
  const n = r.compactArrayLength();
  for (let i = 0; i < n && r.ok; i++) subscribedTopicNames.push(r.compactString());
  const subscribedTopicRegex = r.compactNullableString();
  const rebalanceTimeoutMs = r.int32();
  const serverAssignor = r.compactNullableString();
  const tagged = r.taggedFields();
  if (!r.ok) throw r.error() ?? new ProtocolDecodeError('consumer group member metadata: malformed', r.pos);
  const raw = tagged?.find((f) => f.tag === 0);
  const classic = raw === undefined ? null : decodeClassicMemberMetadata(raw.data);
  return { instanceId, rackId, clientId, clientHost, subscribedTopicNames, subscribedTopicRegex, rebalanceTimeoutMs, serverAssignor, classic };
}

export function encodeTargetMemberValue(a: Assignment): Buffer {
  const w = value();
  writeAssignment(w, a);
  w.taggedFields(undefined);
  return w.toBuffer();
}

export function decodeTargetMemberValue(buf: Buffer): Assignment {
  const r = reader(buf, 'consumer group target assignment');
  return done(r, 'consumer group target assignment', readAssignment(r));
}

export function encodeCurrentAssignmentValue(v: CurrentAssignmentValue): Buffer {
  const w = value();
  w.int32(v.memberEpoch);
  w.int32(v.previousMemberEpoch);
  w.int8(v.state);
  writeAssignment(w, v.assigned);
  writeAssignment(w, v.pendingRevocation);
  w.taggedFields(undefined);
  return w.toBuffer();
}

export function decodeCurrentAssignmentValue(buf: Buffer): CurrentAssignmentValue {
  const r = reader(buf, 'consumer group current assignment');
  const memberEpoch = r.int32();
  const previousMemberEpoch = r.int32();
  const state = r.int8();
  const assigned = readAssignment(r);
  const pendingRevocation = readAssignment(r);
  return done(r, 'consumer group current assignment', { memberEpoch, previousMemberEpoch, state, assigned, pendingRevocation });
}
