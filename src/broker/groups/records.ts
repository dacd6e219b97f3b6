/**
 * The records of `__consumer_offsets`, byte for byte as Kafka 3.9 writes and reads them, so a
 * Kafka tool reading the topic (or a Kafka broker given the log) understands strand's, and the
 * other way round. Every key and value starts with an int16 version.
 *
 * Keys:
 *   version 0 and 1: OffsetCommitKey   group string, topic string, partition int32
 *   version 2:       GroupMetadataKey  group string
 *   versions 3-8:    consumer-protocol groups (KIP-848), see consumer/records.ts
 *   (Kafka 3.9 writes offset keys at version 1.)
 *
 * OffsetCommitValue (a null value is a tombstone: the offset was deleted or expired):
 *   v0: offset int64, metadata string, commitTimestamp int64
 *   v1: offset int64, metadata string, commitTimestamp int64, expireTimestamp int64
 *   v2: offset int64, metadata string, commitTimestamp int64
 *   v3: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *   v4: v3 in the flexible encoding (compact string, tagged fields); newer versions are read
 *       as v4 (KIP-915: later versions only add tagged fields)
 *   Kafka 3.9 writes v1 when the commit carried a retention time (OffsetCommit v2-v4), else v3.
 *
 * GroupMetadataValue (null: the group was deleted):
 *   protocolType string, generation int32, protocol nullable string, leader nullable string,
 *   [v2+] currentStateTimestamp int64, members array of:
 *     memberId string, [v3+] groupInstanceId nullable string, clientId string,
 *     clientHost string, [v1+] rebalanceTimeout int32, sessionTimeout int32,
 *     subscription bytes, assignment bytes
 *   v4: v3 in the flexible encoding. Kafka 3.9 writes v3.
 *
 * Strings are classic int16-length UTF-8, bytes int32-length, arrays int32-count, all
 * big-endian (the same primitives as the wire protocol).
 */
import { ProtocolDecodeError } from '../../protocol/errors.js';
import { Reader } from '../../protocol/reader.js';
import { Writer } from '../../protocol/writer.js';
import { type ConsumerRecordKey, decodeConsumerKey } from './consumer/records.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
export const GROUP_METADATA_VALUE_VERSION = 3;

export type RecordKey =
  | { kind: 'offset'; group: string; topic: string; partition: number }
  | { kind: 'group'; group: string }
  | ConsumerRecordKey;

export interface OffsetCommitValue {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only for commits that carried a retention time (OffsetCommit v2-v4); null otherwise. */
  expireTimestamp: number | null;
}

export interface MemberMetadataValue {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when unknown (values before v2). */
  currentStateTimestamp: number;
  members: MemberMetadataValue[];
}

function fail(what: string, r: Reader): never {
  throw r.error() ?? new ProtocolDecodeError(`${what}: malformed record`, r.pos);
}

// ---- keys ------------------------------------------------------------------------------

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(8 + group.length + topic.length);
  w.int16(OFFSET_COMMIT_KEY_VERSION);
  w.string(group);
  w.string(topic);
  w.int32(partition);
  return w.toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  const w = new Writer(4 + group.length);
  w.int16(GROUP_METADATA_KEY_VERSION);
  w.string(group);
  return w.toBuffer();
}

/** The key of a record, or null for a key version this broker does not know (skipped on load). */
export function decodeKey(buf: Buffer): RecordKey | null {
  const r = new Reader(buf);
  const version = r.int16();
  if (!r.ok) fail('key', r);
  if (version === 0 || version === 1) {
    const group = r.string();
    const topic = r.string();
    const partition = r.int32();
    if (!r.ok) fail('offset commit key', r);
    return { kind: 'offset', group, topic, partition };
  }
  if (version === 2) {
    const group = r.string();
    if (!r.ok) fail('group metadata key', r);
    return { kind: 'group', group };
  }
  // Versions 3-8: the records of consumer-protocol groups (consumer/records.ts).
  return decodeConsumerKey(version, r);
}

// ---- offset commit values --------------------------------------------------------------

export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const w = new Writer(40 + v.metadata.length * 3);
  if (v.expireTimestamp !== null) {
    w.int16(OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY);
    w.int64(v.offset);
    w.string(v.metadata);
    w.int64(BigInt(v.commitTimestamp));
    w.int64(BigInt(v.expireTimestamp));
  } else {
    w.int16(OFFSET_COMMIT_VALUE_VERSION);
    w.int64(v.offset);
    w.int32(v.leaderEpoch);
    w.string(v.metadata);
    w.int64(BigInt(v.commitTimestamp));
  }
  return w.toBuffer();
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf);
  const version = r.int16();
  const out: OffsetCommitValue = { offset: -1n, leaderEpoch: -1, metadata: '', commitTimestamp: -1, expireTimestamp: null };
  if (version < 0) fail(`offset commit value version ${version}`, r);
  out.offset = r.int64();
  if (version >= 4) {
    out.leaderEpoch = r.int32();
    out.metadata = r.compactString();
    out.commitTimestamp = Number(r.int64());
    r.taggedFields();
  } else {
    if (version === 3) out.leaderEpoch = r.int32();
    out.metadata = r.string();
    out.commitTimestamp = Number(r.int64());
    if (version === 1) out.expireTimestamp = Number(r.int64());
  }
  if (!r.ok) fail(`offset commit value v${version}`, r);
  return out;
}

// ---- group metadata values -------------------------------------------------------------

export function encodeGroupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256);
  w.int16(GROUP_METADATA_VALUE_VERSION);
  w.string(v.protocolType);
  w.int32(v.generation);
  w.nullableString(v.protocol);
  w.nullableString(v.leader);
  w.int64(BigInt(v.currentStateTimestamp));
  w.int32(v.members.length);
  for (const m of v.members) {
    w.string(m.memberId);
    w.nullableString(m.groupInstanceId);
    w.string(m.clientId);
    w.string(m.clientHost);
    w.int32(m.rebalanceTimeout);
    w.int32(m.sessionTimeout);
    w.bytes(m.subscription);
    w.bytes(m.assignment);
  }
  return w.toBuffer();
}

/** Decodes a group metadata value; the member byte fields are copies (not views of `buf`). */
export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) fail(`group metadata value version ${version}`, r);
  const flexible = version >= 4;
  const str = () => (flexible ? r.compactString() : r.string());
  const nstr = () => (flexible ? r.compactNullableString() : r.nullableString());
  const bytes = () => Buffer.from(flexible ? r.compactBytes() : r.bytes());
  const protocolType = str();
  const generation = r.int32();
  const protocol = nstr();
  const leader = nstr();
  const currentStateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const count = flexible ? r.compactArrayLength() : r.arrayLength();
  const members: MemberMetadataValue[] = [];
  for (let i = 0; i < count && r.ok; i++) {
    const memberId = str();
    const groupInstanceId = version >= 3 ? nstr() : null;
    const clientId = str();
    const clientHost = str();
    const rebalanceTimeout = version >= 1 ? r.int32() : -1;
    const sessionTimeout = r.int32();
    const subscription = bytes();
    const assignment = bytes();
    if (flexible) r.taggedFields();
    // v0 had no rebalance timeout: Kafka uses the session timeout in its place.
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout: rebalanceTimeout < 0 ? sessionTimeout : rebalanceTimeout, sessionTimeout, subscription, assignment });
  }
  if (flexible) r.taggedFields();
  if (!r.ok) fail(`group metadata value v${version}`, r);
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}
