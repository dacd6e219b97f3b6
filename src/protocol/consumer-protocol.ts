/**
 * The embedded consumer protocol: the `metadata` of JoinGroup (a subscription) and the
 * `assignment` of SyncGroup are ConsumerProtocolSubscription / ConsumerProtocolAssignment
 * structs prefixed by an int16 version. As in Kafka's ConsumerProtocol, a version newer than
 * the newest we know is read with the newest layout (new versions only append fields), and
 * trailing bytes are ignored.
 */
import { KafkaErrorCode } from '../errors.js';
import { ProtocolDecodeError } from './errors.js';
import {
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
  type ConsumerProtocolAssignment,
} from './messages/consumer-protocol-assignment.js';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
  type ConsumerProtocolSubscription,
} from './messages/consumer-protocol-subscription.js';
import { Reader } from './reader.js';
import type { Complete } from './types.js';
import { Writer } from './writer.js';

/** Newest version of both structs in Kafka 3.9. */
export const CONSUMER_PROTOCOL_VERSION = 3;

function readVersion(r: Reader, what: string): number {
  const version = r.int16();
  if (r.ok && version < 0) throw new ProtocolDecodeError(`${what} has negative version ${version}`, 0, KafkaErrorCode.INVALID_REQUEST);
  return Math.min(version, CONSUMER_PROTOCOL_VERSION);
}

/** Reads JoinGroup protocol metadata of the "consumer" protocol type. */
export function decodeSubscription(buf: Buffer): { version: number; subscription: Complete<ConsumerProtocolSubscription> } {
  const r = new Reader(buf);
  const version = readVersion(r, 'subscription');
  const subscription = decodeConsumerProtocolSubscription(r, version);
  r.complete(KafkaErrorCode.INVALID_REQUEST);
  return { version, subscription };
}

export function encodeSubscription(subscription: ConsumerProtocolSubscription, version = CONSUMER_PROTOCOL_VERSION): Buffer {
  const w = new Writer(128);
  w.int16(version);
  encodeConsumerProtocolSubscription(w, subscription, version);
  return w.toBuffer();
}

/** Reads a SyncGroup member assignment of the "consumer" protocol type. */
export function decodeAssignment(buf: Buffer): { version: number; assignment: Complete<ConsumerProtocolAssignment> } {
  const r = new Reader(buf);
  const version = readVersion(r, 'assignment');
  const assignment = decodeConsumerProtocolAssignment(r, version);
  r.complete(KafkaErrorCode.INVALID_REQUEST);
  return { version, assignment };
}

export function encodeAssignment(assignment: ConsumerProtocolAssignment, version = CONSUMER_PROTOCOL_VERSION): Buffer {
  const w = new Writer(128);
  w.int16(version);
  encodeConsumerProtocolAssignment(w, assignment, version);
  return w.toBuffer();
}
