/**
 * ConsumerGroupHeartbeat (68), v0-1: the consumer group protocol of KIP-848 (the state machine
 * is in groups/consumer/manager.ts).
 *
 * The generated codec covers v0, the version of Kafka 3.9's schemas. Kafka 4.0's v1 adds
 * SubscribedTopicRegex (a nullable string after SubscribedTopicNames) and has members pick
 * their own member id (KIP-1082); librdkafka 2.12 speaks only v1. Its request is read here by
 * hand; the response is v0's unchanged.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import {
  ConsumerGroupHeartbeatApi as GeneratedApi,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../../protocol/messages/index.js';
import type { Reader } from '../../../protocol/reader.js';
import type { ApiCodec, Complete } from '../../../protocol/types.js';
import type { Writer } from '../../../protocol/writer.js';
import type { Handler } from '../../context.js';
import { clientHost, coordinator, unavailable } from './common.js';

export interface ConsumerGroupHeartbeatRequestV1 extends ConsumerGroupHeartbeatRequest {
  /** v1+: null if not used or unchanged since the last heartbeat. */
  subscribedTopicRegex?: string | null;
}

function decodeRequest(r: Reader, version: number): Complete<ConsumerGroupHeartbeatRequestV1> {
  const groupId = r.compactString();
  const memberId = r.compactString();
  const memberEpoch = r.int32();
  const instanceId = r.compactNullableString();
  const rackId = r.compactNullableString();
  const rebalanceTimeoutMs = r.int32();
  let subscribedTopicNames: string[] | null = null;
  const n = r.compactNullableArrayLength();
  if (n >= 0) {
    subscribedTopicNames = [];
    for (let i = 0; i < n && r.ok; i++) subscribedTopicNames.push(r.compactString());
  }
  const subscribedTopicRegex = version >= 1 ? r.compactNullableString() : null;
  const serverAssignor = r.compactNullableString();
  let topicPartitions: Array<{ topicId: string; partitions: number[] }> | null = null;
  const m = r.compactNullableArrayLength();
  if (m >= 0) {
    topicPartitions = [];
    for (let i = 0; i < m && r.ok; i++) {
      const topicId = r.uuid();
      const partitions: number[] = [];
      const k = r.compactArrayLength();
      for (let j = 0; j < k && r.ok; j++) partitions.push(r.int32());
      r.taggedFields();
      topicPartitions.push({ topicId, partitions });
    }
  }
  r.taggedFields();
  return { groupId, memberId, memberEpoch, instanceId, rackId, rebalanceTimeoutMs, subscribedTopicNames, subscribedTopicRegex, serverAssignor, topicPartitions } as Complete<ConsumerGroupHeartbeatRequestV1>;
}

function encodeRequest(w: Writer, v: ConsumerGroupHeartbeatRequestV1, version: number): void {
  w.compactString(v.groupId);
  w.compactString(v.memberId);
  w.int32(v.memberEpoch);
  w.compactNullableString(v.instanceId ?? null);
  w.compactNullableString(v.rackId ?? null);
  w.int32(v.rebalanceTimeoutMs ?? -1);
  const names = v.subscribedTopicNames ?? null;
  w.uvarint(names === null ? 0 : names.length + 1);
  for (const t of names ?? []) w.compactString(t);
  if (version >= 1) w.compactNullableString(v.subscribedTopicRegex ?? null);
  w.compactNullableString(v.serverAssignor ?? null);
  const tps = v.topicPartitions ?? null;
  w.uvarint(tps === null ? 0 : tps.length + 1);
  for (const tp of tps ?? []) {
    w.uuid(tp.topicId);
    w.uvarint(tp.partitions.length + 1);
    for (const p of tp.partitions) w.int32(p);
    w.taggedFields(undefined);
  }
  w.taggedFields(undefined);
}

/** The codec served for key 68: v0 as generated, v1 with the regex field. */
export const ConsumerGroupHeartbeatV1Api: ApiCodec<ConsumerGroupHeartbeatRequestV1, ConsumerGroupHeartbeatResponse> = {
  ...GeneratedApi,
  maxVersion: 1,
  latestVersionUnstable: false,
  decodeRequest,
  encodeRequest,
};

export const handleConsumerGroupHeartbeat: Handler<ConsumerGroupHeartbeatRequestV1, ConsumerGroupHeartbeatResponse> = async (req, ctx) => {
  const c = coordinator(ctx, req.groupId);
  if (c === undefined) return { throttleTimeMs: 0, errorCode: unavailable(ctx, req.groupId), errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  const r = await c.consumer.heartbeat({
    groupId: req.groupId,
    memberId: req.memberId,
    memberEpoch: req.memberEpoch,
    instanceId: req.instanceId ?? null,
    rackId: req.rackId ?? null,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? -1,
    subscribedTopicNames: req.subscribedTopicNames ?? null,
    subscribedTopicRegex: req.subscribedTopicRegex ?? null,
    serverAssignor: req.serverAssignor ?? null,
    topicPartitions: req.topicPartitions?.map((tp) => ({ topicId: tp.topicId, partitions: tp.partitions })) ?? null,
    clientId: ctx.clientId ?? '',
    clientHost: clientHost(ctx),
    apiVersion: ctx.apiVersion,
  });
  return { throttleTimeMs: 0, ...r };
};
/** Lets the dispatcher decode v1 with this codec (see ApiRegistry.register). */
(handleConsumerGroupHeartbeat as { codec?: ApiCodec }).codec = ConsumerGroupHeartbeatV1Api;
