/**
 * Authorized operations (KIP-430) on the wire, every version: Metadata (topics v8+, cluster
 * v8-10, KIP-700), DescribeCluster and DescribeGroups answer the operations that apply to the
 * resource, as Kafka 3.9 without an authorizer does (AclEntry.supportedOperations as a bit
 * field), and Integer.MIN_VALUE when not asked for or for an item answered with an error. The
 * group is a real one, joined by a kafkajs consumer (kafkajs itself never asks for the
 * operations: its Metadata stops at v6 and its DescribeGroups at v2).
 */
import { type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { API_BY_KEY, ApiKey } from '../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { RawClient } from '../helpers/raw-client.js';
import { createTopics, kafkajs } from '../helpers/kafkajs.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const NOT_PROVIDED = -2147483648;
// Bit n for AclOperation code n: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
const field = (...codes: number[]) => codes.reduce((f, c) => f + 2 ** c, 0);
const TOPIC = field(3, 4, 5, 6, 7, 8, 10, 11); // READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS
const CLUSTER = field(5, 7, 8, 9, 10, 11, 12); // CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE
const GROUP = field(3, 6, 8); // READ DELETE DESCRIBE

describe('authorized operations', () => {
  let broker: RunningBroker;
  let raw: RawClient;
  let consumer: Consumer;
  const req = (key: number, v: number, body: unknown): Promise<any> => raw.request(API_BY_KEY[key]!, v, body);

  beforeAll(async () => {
    broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'auto.create.topics.enable': 'false' } });
    await createTopics(broker.bootstrap, [{ topic: 'ops', numPartitions: 1 }]);
    raw = await RawClient.open(broker.bootstrap);
    consumer = kafkajs(broker.bootstrap).consumer({ groupId: 'ops-group' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['ops'] });
    await consumer.run({ eachMessage: async () => {} });
  });
  afterAll(async () => {
    await consumer?.disconnect();
    raw?.socket.destroy();
    await broker?.stop();
  });

  it('the bit fields are Kafka\'s', () => {
    expect([TOPIC, CLUSTER, GROUP]).toEqual([3576, 8096, 328]);
  });

  it('Metadata: topic operations from v8 when asked for, cluster operations only in v8-10', async () => {
    for (let v = 0; v <= 12; v++) {
      const topics = [{ name: 'ops', topicId: ZERO_UUID }, { name: 'ops-missing', topicId: ZERO_UUID }];
      const asked = await req(ApiKey.Metadata, v, { topics, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
      const [known, missing] = asked.topics;
      expect(known).toMatchObject({ name: 'ops', errorCode: 0 });
      expect(missing).toMatchObject({ name: 'ops-missing', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      if (v >= 8) {
        // Kafka gives the operations of unknown topics asked for by name too.
        expect([known.topicAuthorizedOperations, missing.topicAuthorizedOperations], `v${v}`).toEqual([TOPIC, TOPIC]);
      }
      if (v >= 8 && v <= 10) expect(asked.clusterAuthorizedOperations, `v${v}`).toBe(CLUSTER);
      if (v >= 11) expect(asked.clusterAuthorizedOperations ?? NOT_PROVIDED, `v${v}`).toBe(NOT_PROVIDED);

      if (v >= 8) {
        const notAsked = await req(ApiKey.Metadata, v, { topics, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        expect(notAsked.topics.map((t: any) => t.topicAuthorizedOperations), `v${v}`).toEqual([NOT_PROVIDED, NOT_PROVIDED]);
        if (v <= 10) expect(notAsked.clusterAuthorizedOperations).toBe(NOT_PROVIDED);
      }
    }
    // All topics (null), and an unknown topic id, which keeps the default (v10+ ask by id).
    const all = await req(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
    expect(all.topics.filter((t: any) => !t.isInternal).map((t: any) => [t.name, t.topicAuthorizedOperations])).toEqual([['ops', TOPIC]]);
    expect(all.topics.filter((t: any) => t.isInternal).map((t: any) => t.topicAuthorizedOperations)).toEqual(all.topics.filter((t: any) => t.isInternal).map(() => TOPIC));
    const byId = await req(ApiKey.Metadata, 12, { topics: [{ name: null, topicId: Buffer.alloc(16, 7).toString('base64url') }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
    expect(byId.topics[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, topicAuthorizedOperations: NOT_PROVIDED });
  });

  it('DescribeCluster: the cluster\'s operations when asked for, none with an endpoint-type error', async () => {
    for (const v of [0, 1]) {
      expect((await req(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: true, endpointType: 1 })).clusterAuthorizedOperations).toBe(CLUSTER);
      expect((await req(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType: 1 })).clusterAuthorizedOperations).toBe(NOT_PROVIDED);
      if (v >= 1) {
        const controllers = await req(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: true, endpointType: 2 });
        expect(controllers.errorCode).not.toBe(0);
        expect(controllers.clusterAuthorizedOperations).toBe(NOT_PROVIDED);
      }
    }
  });

  it('DescribeGroups: a group\'s operations from v3 when asked for, for a live and an unknown (Dead) group', async () => {
    // Wait until kafkajs's consumer holds its assignment.
    for (let i = 0; i < 200; i++) {
      const g = (await req(ApiKey.DescribeGroups, 5, { groups: ['ops-group'], includeAuthorizedOperations: false })).groups[0];
      if (g.groupState === 'Stable') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let v = 0; v <= 5; v++) {
      const res = await req(ApiKey.DescribeGroups, v, { groups: ['ops-group', 'no-such-group'], includeAuthorizedOperations: true });
      const [live, dead] = res.groups;
      expect(live).toMatchObject({ groupId: 'ops-group', errorCode: 0, groupState: 'Stable', protocolType: 'consumer' });
      expect(dead).toMatchObject({ groupId: 'no-such-group', errorCode: 0, groupState: 'Dead' });
      if (v >= 3) {
        expect([live.authorizedOperations, dead.authorizedOperations], `v${v}`).toEqual([GROUP, GROUP]);
        const notAsked = await req(ApiKey.DescribeGroups, v, { groups: ['ops-group'], includeAuthorizedOperations: false });
        expect(notAsked.groups[0].authorizedOperations).toBe(NOT_PROVIDED);
      }
    }
  });
});
