/**
 * Responses written by strand, read by a real client: every response below is encoded as a
 * whole frame by `encodeResponseFrame` and handed to kafkajs 2.2.4's own response decoder and
 * parser for that version, exactly as its connection would after reading the correlation id.
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { encodeApiVersionsFallback, encodeResponseFrame, supportedApiVersions } from '../../src/protocol/frame.js';
import * as M from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/reader.js';
import type { ApiCodec } from '../../src/protocol/types.js';

const require = createRequire(import.meta.url);
interface KafkajsResponse {
  decode(payload: Buffer): Promise<unknown>;
  parse(decoded: unknown): Promise<unknown>;
}
interface KafkajsDefs {
  versions: string[];
  protocol(o: { version: number }): (...args: unknown[]) => { response: KafkajsResponse };
}
const Long = require('kafkajs/src/utils/long.js') as { fromNumber(n: number): unknown };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch(o: unknown): Promise<{ buffer: Buffer }> };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (o: unknown) => unknown;

/** Encodes `body` as strand would, then decodes and parses it with kafkajs. */
async function viaKafkajs<Res>(dir: string, api: ApiCodec<unknown, Res>, version: number, body: Res): Promise<unknown> {
  const defs = require(`kafkajs/src/protocol/requests/${dir}/index.js`) as KafkajsDefs;
  const { response } = defs.protocol({ version })({ topics: [], groupIds: [], resources: [] });
  const chunks = encodeResponseFrame(api, version, 1234, body);
  const frame = Buffer.concat(chunks);
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  expect(frame.readInt32BE(4)).toBe(1234);
  // kafkajs's connection strips size and correlation id, then hands the rest to the decoder.
  return response.parse(await response.decode(frame.subarray(8)));
}

const versionsOf = (dir: string, min = 0): number[] =>
  (require(`kafkajs/src/protocol/requests/${dir}/index.js`) as KafkajsDefs).versions.map(Number).filter((v) => v >= min);

async function recordBatch(): Promise<Buffer> {
  const records = [
    Record({ key: Buffer.from('k1'), value: Buffer.from('v1'), timestampDelta: 0, offsetDelta: 0, headers: { h: Buffer.from('x') } }),
    Record({ key: null, value: Buffer.alloc(1500, 0x61), timestampDelta: 5, offsetDelta: 1 }),
  ];
  const batch = await RecordBatch({ records, firstOffset: Long.fromNumber(100), firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_005, lastOffsetDelta: 1 });
  return batch.buffer;
}

describe('kafkajs decodes strand responses', () => {
  test.each(versionsOf('apiVersions'))('ApiVersions v%i', async (v) => {
    const apiKeys = supportedApiVersions();
    const parsed = (await viaKafkajs('apiVersions', M.ApiVersionsApi, v, { errorCode: 0, apiKeys, throttleTimeMs: 0 })) as { apiVersions: unknown[] };
    expect(parsed.apiVersions).toEqual(apiKeys);
  });

  test('ApiVersions fallback for an unknown version: v0 layout with UNSUPPORTED_VERSION, readable by a v0 parser', async () => {
    const frame = Buffer.concat(encodeApiVersionsFallback(5));
    const { response } = (require('kafkajs/src/protocol/requests/apiVersions/index.js') as KafkajsDefs).protocol({ version: 0 })();
    // kafkajs reacts to UNSUPPORTED_VERSION in the v0 body by retrying with a lower version.
    await expect(response.decode(frame.subarray(8))).rejects.toMatchObject({ type: 'UNSUPPORTED_VERSION' });
    // The header is v0: the body starts right after the correlation id, and lists the versions.
    expect(frame.readInt32BE(4)).toBe(5);
    const r = new Reader(frame, 8);
    const body = M.decodeApiVersionsResponse(r, 0);
    r.complete();
    expect(body).toMatchObject({ errorCode: 35, apiKeys: supportedApiVersions() });
  });

  test.each(versionsOf('metadata'))('Metadata v%i', async (v) => {
    const parsed = await viaKafkajs('metadata', M.MetadataApi, v, {
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, rack: 'r1' }],
      clusterId: 'cluster',
      controllerId: 1,
      topics: [
        { errorCode: 0, name: 'orders', isInternal: false, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] },
        { errorCode: 0, name: 'empty', partitions: [] },
      ],
    });
    expect(parsed).toMatchObject({
      brokers: [{ nodeId: 1, host: 'broker-1', port: 9092, ...(v >= 1 ? { rack: 'r1' } : {}) }],
      topicMetadata: [
        { topicErrorCode: 0, topic: 'orders', partitionMetadata: [{ partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1], isr: [1] }] },
        { topicErrorCode: 0, topic: 'empty', partitionMetadata: [] },
      ],
    });
    if (v >= 2) expect(parsed).toMatchObject({ clusterId: 'cluster', controllerId: 1 });
  });

  test.each(versionsOf('produce'))('Produce v%i', async (v) => {
    const parsed = await viaKafkajs('produce', M.ProduceApi, v, {
      responses: [{ name: 'orders', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 9_007_199_254_740_993n, logAppendTimeMs: 1_700_000_000_000n, logStartOffset: 7n }] }],
      throttleTimeMs: 0,
    });
    // kafkajs names the base offset `offset` before v3 and `baseOffset` from v3.
    expect(parsed).toMatchObject({ topics: [{ topicName: 'orders', partitions: [{ partition: 2, errorCode: 0, [v >= 3 ? 'baseOffset' : 'offset']: '9007199254740993' }] }] });
    if (v >= 2) expect(parsed).toMatchObject({ topics: [{ partitions: [{ [v >= 3 ? 'logAppendTime' : 'timestamp']: '1700000000000' }] }] });
    if (v >= 5) expect(parsed).toMatchObject({ topics: [{ partitions: [{ logStartOffset: '7' }] }] });
  });

  test.each(versionsOf('fetch', 4))('Fetch v%i: record batches pass through untouched', async (v) => {
    const batch = await recordBatch();
    const parsed = (await viaKafkajs('fetch', M.FetchApi, v, {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 'orders',
          partitions: [
            { partitionIndex: 0, errorCode: 0, highWatermark: 102n, lastStableOffset: 102n, logStartOffset: 0n, abortedTransactions: [], preferredReadReplica: -1, records: batch },
            { partitionIndex: 1, errorCode: 0, highWatermark: 0n, lastStableOffset: 0n, logStartOffset: 0n, abortedTransactions: null, records: null },
          ],
        },
      ],
    })) as { responses: { partitions: { partition: number; highWatermark: string; messages: { offset: string; key: Buffer | null; value: Buffer; headers: Record<string, Buffer> }[] }[] }[] };
    const [p0, p1] = parsed.responses[0]!.partitions;
    expect(p0!.partition).toBe(0);
    expect(p0!.highWatermark).toBe('102');
    expect(p0!.messages.map((m) => m.offset)).toEqual(['100', '101']);
    expect(p0!.messages[0]!.key!.toString()).toBe('k1');
    expect(p0!.messages[0]!.headers.h!.toString()).toBe('x');
    expect(p0!.messages[1]!.value.length).toBe(1500);
    expect(p1!.messages).toEqual([]);
  });

  test('Fetch response chunks reference the record batches instead of copying them', async () => {
    const batch = await recordBatch();
    const chunks = encodeResponseFrame(M.FetchApi, 11, 1, {
      responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1n, records: batch }] }],
    });
    expect(chunks.some((c) => c === batch)).toBe(true);
  });

  test.each(versionsOf('listOffsets'))('ListOffsets v%i', async (v) => {
    const parsed = await viaKafkajs('listOffsets', M.ListOffsetsApi, v, {
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [10n], timestamp: -1n, offset: 10n }] }],
    });
    expect(parsed).toMatchObject({ responses: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }] });
    if (v >= 1) expect(parsed).toMatchObject({ responses: [{ partitions: [{ offset: '10' }] }] });
  });

  test.each(versionsOf('findCoordinator'))('FindCoordinator v%i', async (v) => {
    const parsed = await viaKafkajs('findCoordinator', M.FindCoordinatorApi, v, { errorCode: 0, errorMessage: null, nodeId: 7, host: 'coord', port: 9093 });
    expect(parsed).toMatchObject({ errorCode: 0, coordinator: { nodeId: 7, host: 'coord', port: 9093 } });
  });

  test.each(versionsOf('joinGroup'))('JoinGroup v%i', async (v) => {
    const parsed = await viaKafkajs('joinGroup', M.JoinGroupApi, v, {
      errorCode: 0,
      generationId: 4,
      protocolName: 'RoundRobinAssigner',
      leader: 'm-1',
      memberId: 'm-1',
      members: [{ memberId: 'm-1', groupInstanceId: null, metadata: Buffer.from('meta') }],
    });
    expect(parsed).toMatchObject({ errorCode: 0, generationId: 4, groupProtocol: 'RoundRobinAssigner', leaderId: 'm-1', memberId: 'm-1' });
    expect((parsed as { members: { memberMetadata: Buffer }[] }).members[0]!.memberMetadata.toString()).toBe('meta');
  });

  test.each(versionsOf('syncGroup'))('SyncGroup v%i', async (v) => {
    const parsed = (await viaKafkajs('syncGroup', M.SyncGroupApi, v, { errorCode: 0, assignment: Buffer.from('assignment') })) as { memberAssignment: Buffer };
    expect(parsed.memberAssignment.toString()).toBe('assignment');
  });

  test.each(versionsOf('heartbeat'))('Heartbeat v%i', async (v) => {
    expect(await viaKafkajs('heartbeat', M.HeartbeatApi, v, { errorCode: 0 })).toMatchObject({ errorCode: 0 });
  });

  test.each(versionsOf('leaveGroup'))('LeaveGroup v%i', async (v) => {
    expect(await viaKafkajs('leaveGroup', M.LeaveGroupApi, v, { errorCode: 0, members: [{ memberId: 'm', groupInstanceId: null, errorCode: 0 }] })).toMatchObject({ errorCode: 0 });
  });

  test.each(versionsOf('offsetCommit'))('OffsetCommit v%i', async (v) => {
    const parsed = await viaKafkajs('offsetCommit', M.OffsetCommitApi, v, { topics: [{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }] }] });
    expect(parsed).toMatchObject({ responses: [{ topic: 't', partitions: [{ partition: 1, errorCode: 0 }] }] });
  });

  test.each(versionsOf('offsetFetch', 1))('OffsetFetch v%i', async (v) => {
    const parsed = await viaKafkajs('offsetFetch', M.OffsetFetchApi, v, {
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 55n, metadata: null, errorCode: 0 }] }],
      errorCode: 0,
    });
    expect(parsed).toMatchObject({ responses: [{ topic: 't', partitions: [{ partition: 0, offset: '55', metadata: null, errorCode: 0 }] }] });
  });

  test.each(versionsOf('describeGroups'))('DescribeGroups v%i', async (v) => {
    const parsed = await viaKafkajs('describeGroups', M.DescribeGroupsApi, v, {
      groups: [
        {
          errorCode: 0,
          groupId: 'g',
          groupState: 'Stable',
          protocolType: 'consumer',
          protocolData: 'RoundRobinAssigner',
          members: [{ memberId: 'm', clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: Buffer.from('a'), memberAssignment: Buffer.from('b') }],
        },
      ],
    });
    expect(parsed).toMatchObject({ groups: [{ errorCode: 0, groupId: 'g', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner', members: [{ memberId: 'm', clientId: 'c', clientHost: '/127.0.0.1' }] }] });
  });

  test.each(versionsOf('listGroups'))('ListGroups v%i', async (v) => {
    const parsed = await viaKafkajs('listGroups', M.ListGroupsApi, v, { errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] });
    expect(parsed).toMatchObject({ errorCode: 0, groups: [{ groupId: 'g', protocolType: 'consumer' }] });
  });

  test.each(versionsOf('saslHandshake'))('SaslHandshake v%i', async (v) => {
    expect(await viaKafkajs('saslHandshake', M.SaslHandshakeApi, v, { errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256'] })).toMatchObject({ errorCode: 0, enabledMechanisms: ['PLAIN', 'SCRAM-SHA-256'] });
  });

  test.each(versionsOf('saslAuthenticate'))('SaslAuthenticate v%i', async (v) => {
    const parsed = (await viaKafkajs('saslAuthenticate', M.SaslAuthenticateApi, v, { errorCode: 0, errorMessage: null, authBytes: Buffer.from('ok'), sessionLifetimeMs: 3_600_000n })) as { authBytes: Buffer };
    // kafkajs hands authBytes, still length-prefixed, to the SASL mechanism's own decoder.
    expect(parsed.authBytes).toEqual(Buffer.from([0, 0, 0, 2, 0x6f, 0x6b]));
    if (v >= 1) expect(parsed).toMatchObject({ sessionLifetimeMs: '3600000' });
  });

  test.each(versionsOf('createTopics'))('CreateTopics v%i', async (v) => {
    expect(await viaKafkajs('createTopics', M.CreateTopicsApi, v, { topics: [{ name: 't', errorCode: 0, errorMessage: null }] })).toMatchObject({ topicErrors: [{ topic: 't', errorCode: 0 }] });
  });

  test.each(versionsOf('deleteTopics'))('DeleteTopics v%i', async (v) => {
    expect(await viaKafkajs('deleteTopics', M.DeleteTopicsApi, v, { responses: [{ name: 't', errorCode: 0 }] })).toMatchObject({ topicErrors: [{ topic: 't', errorCode: 0 }] });
  });

  test.each(versionsOf('initProducerId'))('InitProducerId v%i', async (v) => {
    expect(await viaKafkajs('initProducerId', M.InitProducerIdApi, v, { throttleTimeMs: 0, errorCode: 0, producerId: 1000n, producerEpoch: 2 })).toMatchObject({ errorCode: 0, producerId: '1000', producerEpoch: 2 });
  });

  test.each(versionsOf('addPartitionsToTxn'))('AddPartitionsToTxn v%i', async (v) => {
    const parsed = await viaKafkajs('addPartitionsToTxn', M.AddPartitionsToTxnApi, v, { throttleTimeMs: 0,
      resultsByTopicV3AndBelow: [{ name: 't', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: 0 }] }],
    });
    expect(parsed).toMatchObject({ errors: [{ topic: 't', partitionErrors: [{ partition: 0, errorCode: 0 }] }] });
  });

  test.each(versionsOf('addOffsetsToTxn'))('AddOffsetsToTxn v%i', async (v) => {
    expect(await viaKafkajs('addOffsetsToTxn', M.AddOffsetsToTxnApi, v, { throttleTimeMs: 0, errorCode: 0 })).toMatchObject({ errorCode: 0 });
  });

  test.each(versionsOf('endTxn'))('EndTxn v%i', async (v) => {
    expect(await viaKafkajs('endTxn', M.EndTxnApi, v, { throttleTimeMs: 0, errorCode: 0 })).toMatchObject({ errorCode: 0 });
  });

  test.each(versionsOf('txnOffsetCommit'))('TxnOffsetCommit v%i', async (v) => {
    const parsed = await viaKafkajs('txnOffsetCommit', M.TxnOffsetCommitApi, v, { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect(parsed).toMatchObject({ topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }] });
  });

  test.each(versionsOf('describeConfigs'))('DescribeConfigs v%i', async (v) => {
    const parsed = await viaKafkajs('describeConfigs', M.DescribeConfigsApi, v, { throttleTimeMs: 0,
      results: [
        {
          errorCode: 0,
          errorMessage: null,
          resourceType: 2,
          resourceName: 't',
          configs: [{ name: 'retention.ms', value: '1000', readOnly: false, isDefault: false, configSource: 1, isSensitive: false, synonyms: [{ name: 'retention.ms', value: '1000', source: 1 }] }],
        },
      ],
    });
    expect(parsed).toMatchObject({ resources: [{ errorCode: 0, resourceType: 2, resourceName: 't', configEntries: [{ configName: 'retention.ms', configValue: '1000', readOnly: false, isSensitive: false }] }] });
  });

  test.each(versionsOf('alterConfigs'))('AlterConfigs v%i', async (v) => {
    const parsed = await viaKafkajs('alterConfigs', M.AlterConfigsApi, v, { throttleTimeMs: 0, responses: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 't' }] });
    expect(parsed).toMatchObject({ resources: [{ errorCode: 0, resourceType: 2, resourceName: 't' }] });
  });

  test.each(versionsOf('createPartitions'))('CreatePartitions v%i', async (v) => {
    expect(await viaKafkajs('createPartitions', M.CreatePartitionsApi, v, { throttleTimeMs: 0, results: [{ name: 't', errorCode: 0, errorMessage: null }] })).toMatchObject({ topicErrors: [{ topic: 't', errorCode: 0 }] });
  });

  test.each(versionsOf('deleteGroups'))('DeleteGroups v%i', async (v) => {
    expect(await viaKafkajs('deleteGroups', M.DeleteGroupsApi, v, { throttleTimeMs: 0, results: [{ groupId: 'g', errorCode: 0 }] })).toMatchObject({ results: [{ groupId: 'g', errorCode: 0 }] });
  });

  test.each(versionsOf('deleteRecords'))('DeleteRecords v%i', async (v) => {
    const parsed = await viaKafkajs('deleteRecords', M.DeleteRecordsApi, v, { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, lowWatermark: 77n, errorCode: 0 }] }] });
    expect(parsed).toMatchObject({ topics: [{ topic: 't', partitions: [{ partition: 0, lowWatermark: expect.anything(), errorCode: 0 }] }] });
  });

  test.each(versionsOf('describeAcls'))('DescribeAcls v%i', async (v) => {
    const parsed = await viaKafkajs('describeAcls', M.DescribeAclsApi, v, { throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      resources: [{ resourceType: 2, resourceName: 't', patternType: 3, acls: [{ principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }],
    });
    expect(parsed).toMatchObject({ errorCode: 0, resources: [{ resourceType: 2, resourceName: 't', acls: [{ principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }] });
  });

  test.each(versionsOf('createAcls'))('CreateAcls v%i', async (v) => {
    expect(await viaKafkajs('createAcls', M.CreateAclsApi, v, { throttleTimeMs: 0, results: [{ errorCode: 0, errorMessage: null }] })).toMatchObject({ creationResponses: [{ errorCode: 0 }] });
  });

  test.each(versionsOf('deleteAcls'))('DeleteAcls v%i', async (v) => {
    const parsed = await viaKafkajs('deleteAcls', M.DeleteAclsApi, v, { throttleTimeMs: 0,
      filterResults: [{ errorCode: 0, errorMessage: null, matchingAcls: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 't', patternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }],
    });
    expect(parsed).toMatchObject({ filterResponses: [{ errorCode: 0, matchingAcls: [{ resourceType: 2, resourceName: 't', principal: 'User:alice' }] }] });
  });

  test('AlterPartitionReassignments v0 (flexible, response header v1)', async () => {
    const parsed = await viaKafkajs('alterPartitionReassignments', M.AlterPartitionReassignmentsApi, 0, { throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] }],
    });
    expect(parsed).toMatchObject({ errorCode: 0, responses: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0 }] }] });
  });

  test('ListPartitionReassignments v0 (flexible, response header v1)', async () => {
    const parsed = await viaKafkajs('listPartitionReassignments', M.ListPartitionReassignmentsApi, 0, { throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [1, 2], addingReplicas: [2], removingReplicas: [] }] }],
    });
    expect(parsed).toMatchObject({ errorCode: 0, topics: [{ name: 't', partitions: [{ partition: 0, replicas: [1, 2], addingReplicas: [2], removingReplicas: [] }] }] });
  });
});
