/**
 * The admin APIs on the wire, at every version strand serves, through a bare client: per-item
 * error codes and messages, version-dependent fields (topic ids, configs in CreateTopics v5+,
 * config sources and synonyms, documentation), and the single-node answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { API_BY_KEY, ApiKey } from '../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import type { ApiCodec } from '../../src/protocol/types.js';
import { RawClient } from '../helpers/raw-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const api = (key: number): ApiCodec => API_BY_KEY[key]!;
const versions = (key: number): number[] => {
  const a = api(key);
  return Array.from({ length: a.maxVersion - a.minVersion + 1 }, (_, i) => a.minVersion + i);
};

describe('admin APIs on the wire', () => {
  let broker: RunningBroker;
  let client: RawClient;
  const req = (key: number, v: number, body: unknown): Promise<any> => client.request(api(key), v, body);
  const create = (v: number, topics: unknown[], validateOnly = false) => req(ApiKey.CreateTopics, v, { topics, timeoutMs: 5000, validateOnly });
  const topic = (name: string, numPartitions = 1, configs: Array<{ name: string; value: string | null }> = [], replicationFactor = 1) => ({ name, numPartitions, replicationFactor, assignments: [], configs });

  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '3' } });
    client = await RawClient.open(broker.bootstrap);
  });
  afterAll(async () => {
    client?.socket.destroy();
    await broker?.stop();
  });

  it('CreateTopics, every version: success, per-topic errors with messages, v5+ configs, v7 topic id', async () => {
    for (const v of versions(ApiKey.CreateTopics)) {
      const res = await create(v, [
        topic(`ct-${v}`, 2, [{ name: 'retention.ms', value: '1000' }]),
        topic(`ct-${v}-default`, -1, [], -1),
        topic(`ct-${v}-badcfg`, 1, [{ name: 'retention.ms', value: 'soon' }]),
        topic(`ct-${v}-unknowncfg`, 1, [{ name: 'no.such', value: '1' }]),
        topic(`ct-${v}-nullcfg`, 1, [{ name: 'retention.ms', value: null }]),
        topic(`ct-${v} bad`, 1),
        topic(`ct-${v}-rf`, 1, [], 3),
        topic(`ct-${v}-zero`, 0),
        topic(`ct-${v}`, 1),
      ]);
      const by = (i: number) => res.topics[i];
      expect(by(0)).toMatchObject({ name: `ct-${v}`, errorCode: ErrorCode.INVALID_REQUEST }); // listed twice
      expect(by(8).errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect(by(1).errorCode).toBe(0);
      expect(by(2).errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect(by(3).errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect(by(4).errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect(by(5).errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
      expect(by(6).errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
      expect(by(7).errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
      if (v >= 1) {
        expect(by(1).errorMessage).toBeNull();
        expect(by(2).errorMessage).toMatch(/invalid value "soon" for topic config retention\.ms: expected a 64-bit integer >= -1/);
        expect(by(3).errorMessage).toMatch(/unknown topic config "no\.such"/);
        expect(by(5).errorMessage).toMatch(/illegal/);
        expect(by(6).errorMessage).toMatch(/replication factor of 3/);
      }
      if (v >= 5) {
        expect(by(1)).toMatchObject({ numPartitions: 3, replicationFactor: 1 });
        expect(by(1).configs.find((c: any) => c.name === 'retention.ms')).toMatchObject({ value: '604800000', configSource: 5, readOnly: false, isSensitive: false });
        expect(by(2)).toMatchObject({ numPartitions: -1, replicationFactor: -1 });
      }
      if (v >= 7) expect(by(1).topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      if (v >= 7) expect(by(1).topicId).not.toBe(ZERO_UUID);
      // The one good, unique topic exists now; again it is TOPIC_ALREADY_EXISTS.
      const again = await create(v, [topic(`ct-${v}-default`, 1)]);
      expect(again.topics[0].errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
      const first = await create(v, [topic(`ct-${v}`, 2, [{ name: 'retention.ms', value: '1000' }])]);
      expect(first.topics[0].errorCode).toBe(0);
      if (v >= 5) expect(first.topics[0].configs.find((c: any) => c.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: 1 });
    }
  });

  it('CreateTopics: validate-only, manual assignments, names colliding on . and _', async () => {
    const dry = await create(4, [topic('ct-dry', 2)], true);
    expect(dry.topics[0].errorCode).toBe(0);
    expect((await create(4, [topic('ct-dry', 2)])).topics[0].errorCode).toBe(0); // it was not created before
    const assigned = await create(4, [
      { name: 'ct-assigned', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 1, brokerIds: [0] }, { partitionIndex: 0, brokerIds: [0] }], configs: [] },
      { name: 'ct-elsewhere', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [7] }], configs: [] },
      { name: 'ct-both', numPartitions: 2, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }], configs: [] },
    ]);
    expect(assigned.topics.map((t: any) => t.errorCode)).toEqual([0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REQUEST]);
    const collide = await create(4, [topic('ct.dot'), topic('ct_dot')]);
    expect(collide.topics[0].errorCode).toBe(0);
    expect(collide.topics[1]).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: expect.stringMatching(/collides with existing topic: ct\.dot/) });
  });

  it('DeleteTopics, every version: by name, v6 by id; unknown names and ids', async () => {
    for (const v of versions(ApiKey.DeleteTopics)) {
      const made = await create(7, [topic(`dt-${v}`), topic(`dt-${v}-id`)]);
      const id = made.topics[1].topicId as string;
      const body = v >= 6
        ? { topics: [{ name: `dt-${v}`, topicId: ZERO_UUID }, { name: null, topicId: id }, { name: 'dt-missing', topicId: ZERO_UUID }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], timeoutMs: 5000 }
        : { topicNames: [`dt-${v}`, 'dt-missing'], timeoutMs: 5000 };
      const res = await req(ApiKey.DeleteTopics, v, body);
      expect(res.responses[0]).toMatchObject({ name: `dt-${v}`, errorCode: 0 });
      expect(res.responses[v >= 6 ? 2 : 1]).toMatchObject({ name: 'dt-missing', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      if (v >= 5) expect(res.responses[v >= 6 ? 2 : 1].errorMessage).toMatch(/does not exist/);
      if (v >= 6) {
        expect(res.responses[1]).toMatchObject({ name: `dt-${v}-id`, topicId: id, errorCode: 0 });
        expect(res.responses[3]).toMatchObject({ name: null, errorCode: ErrorCode.UNKNOWN_TOPIC_ID });
      }
      const left = await create(4, [topic(`dt-${v}`)], true);
      expect(left.topics[0].errorCode).toBe(0); // gone
    }
  });

  it('CreatePartitions, every version', async () => {
    for (const v of versions(ApiKey.CreatePartitions)) {
      await create(4, [topic(`cp-${v}`, 1)]);
      const res = await req(ApiKey.CreatePartitions, v, {
        topics: [
          { name: `cp-${v}`, count: 3, assignments: null },
          { name: 'cp-missing', count: 3, assignments: null },
          { name: `ct-${0}`, count: 1, assignments: null },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(res.results.map((r: any) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_PARTITIONS]);
      expect(res.results[2].errorMessage).toMatch(/higher than the requested 1/);
      const assigned = await req(ApiKey.CreatePartitions, v, {
        topics: [{ name: `cp-${v}`, count: 5, assignments: [{ brokerIds: [0] }] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(assigned.results[0].errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      const ok = await req(ApiKey.CreatePartitions, v, { topics: [{ name: `cp-${v}`, count: 4, assignments: [{ brokerIds: [0] }] }], timeoutMs: 5000, validateOnly: false });
      expect(ok.results[0].errorCode).toBe(0);
    }
  });

  it('DescribeConfigs, every version: topics, brokers, sources, synonyms, types and docs', async () => {
    await create(4, [topic('dc', 1, [{ name: 'retention.ms', value: '5000' }])]);
    for (const v of versions(ApiKey.DescribeConfigs)) {
      const res = await req(ApiKey.DescribeConfigs, v, {
        resources: [
          { resourceType: 2, resourceName: 'dc', configurationKeys: null },
          { resourceType: 2, resourceName: 'dc', configurationKeys: ['retention.ms', 'segment.ms', 'bogus'] },
          { resourceType: 2, resourceName: 'dc-missing', configurationKeys: null },
          { resourceType: 2, resourceName: 'bad name', configurationKeys: null },
          { resourceType: 4, resourceName: '0', configurationKeys: ['num.partitions', 'log.retention.hours'] },
          { resourceType: 4, resourceName: '', configurationKeys: ['num.partitions'] },
          { resourceType: 4, resourceName: '9', configurationKeys: null },
          { resourceType: 8, resourceName: '0', configurationKeys: null },
        ],
        includeSynonyms: true,
        includeDocumentation: true,
      });
      const [all, some, missing, bad, brokerRes, clusterDefault, otherBroker, logger] = res.results;
      expect(all.errorCode).toBe(0);
      expect(all.configs.length).toBe(36);
      expect(some.configs.map((c: any) => c.name)).toEqual(['retention.ms', 'segment.ms']);
      const r = some.configs[0];
      expect(r).toMatchObject({ name: 'retention.ms', value: '5000', readOnly: false, isSensitive: false });
      if (v === 0) {
        expect(r.isDefault).toBe(false);
        expect(some.configs[1].isDefault).toBe(true);
      } else {
        expect(r.configSource).toBe(1);
        expect(r.synonyms.map((s: any) => [s.name, s.source])).toEqual([['retention.ms', 1]]); // log.retention.ms unset: no broker synonym, as in Kafka
        expect(some.configs[1].configSource).toBe(5);
      }
      if (v >= 3) {
        expect(r.configType).toBe(5); // LONG
        expect(r.documentation).toMatch(/segment/);
      }
      expect(missing).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, configs: [] });
      expect(missing.errorMessage).toMatch(/does not exist/);
      expect(bad.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
      expect(brokerRes.configs.find((c: any) => c.name === 'num.partitions')).toMatchObject({ value: '3', readOnly: true });
      if (v >= 1) expect(brokerRes.configs.find((c: any) => c.name === 'num.partitions').configSource).toBe(4);
      expect(clusterDefault).toMatchObject({ errorCode: 0, configs: [] }); // no dynamic defaults, as Kafka answers
      expect(otherBroker.errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect(logger.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    }
  });

  it('AlterConfigs, every version: replace the set, validate-only, per-resource errors', async () => {
    for (const v of versions(ApiKey.AlterConfigs)) {
      const name = `ac-${v}`;
      await create(4, [topic(name, 1, [{ name: 'retention.ms', value: '5000' }])]);
      const res = await req(ApiKey.AlterConfigs, v, {
        resources: [
          { resourceType: 2, resourceName: name, configs: [{ name: 'segment.ms', value: '60000' }] },
          { resourceType: 2, resourceName: 'ac-missing', configs: [] },
          { resourceType: 4, resourceName: '0', configs: [{ name: 'num.partitions', value: '1' }] },
          { resourceType: 4, resourceName: '0', configs: [] },
        ],
        validateOnly: false,
      });
      expect(res.responses.map((r: any) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
      const bad = await req(ApiKey.AlterConfigs, v, { resources: [{ resourceType: 2, resourceName: name, configs: [{ name: 'segment.ms', value: '0' }] }], validateOnly: false });
      expect(bad.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(/segment\.ms.*>= 1/) });
      const dry = await req(ApiKey.AlterConfigs, v, { resources: [{ resourceType: 2, resourceName: name, configs: [] }], validateOnly: true });
      expect(dry.responses[0].errorCode).toBe(0);
      const d = await req(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: ['retention.ms', 'segment.ms'] }], includeSynonyms: false });
      expect(d.results[0].configs.map((c: any) => [c.name, c.value, c.configSource])).toEqual([['retention.ms', '604800000', 5], ['segment.ms', '60000', 1]]);
    }
  });

  it('IncrementalAlterConfigs, every version: set, delete, append, subtract', async () => {
    for (const v of versions(ApiKey.IncrementalAlterConfigs)) {
      const name = `iac-${v}`;
      await create(4, [topic(name, 1, [{ name: 'retention.ms', value: '5000' }])]);
      const op = (configs: Array<[string, number, string | null]>, validateOnly = false) =>
        req(ApiKey.IncrementalAlterConfigs, v, { resources: [{ resourceType: 2, resourceName: name, configs: configs.map(([n, o, val]) => ({ name: n, configOperation: o, value: val })) }], validateOnly });
      expect((await op([['segment.ms', 0, '60000'], ['retention.ms', 1, null], ['cleanup.policy', 2, 'compact']])).responses[0].errorCode).toBe(0);
      const describe = async () => {
        const d = await req(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: 2, resourceName: name, configurationKeys: ['retention.ms', 'segment.ms', 'cleanup.policy'] }], includeSynonyms: false });
        return Object.fromEntries(d.results[0].configs.map((c: any) => [c.name, c.value]));
      };
      expect(await describe()).toEqual({ 'retention.ms': '604800000', 'segment.ms': '60000', 'cleanup.policy': 'delete,compact' });
      expect((await op([['cleanup.policy', 3, 'delete']])).responses[0].errorCode).toBe(0);
      expect((await describe())['cleanup.policy']).toBe('compact');
      const appendToLong = await op([['retention.ms', 2, '5']]);
      expect(appendToLong.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(/append is not allowed/) });
      expect((await op([['retention.ms', 0, 'x']])).responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect((await op([['no.such', 0, '1']])).responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect((await op([['retention.ms', 9, '1']])).responses[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect((await op([['retention.ms', 0, '1'], ['retention.ms', 1, null]])).responses[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect((await op([['segment.ms', 0, '1']], true)).responses[0].errorCode).toBe(0);
      expect((await describe())['segment.ms']).toBe('60000');
    }
  });

  it('DeleteRecords, every version', async () => {
    const { kafkajs } = await import('../helpers/kafkajs.js');
    await create(4, [topic('dr', 1)]);
    const producer = kafkajs(broker.bootstrap).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'dr', acks: 1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: `v${i}` })) });
    await producer.disconnect();
    let low = 0;
    for (const v of versions(ApiKey.DeleteRecords)) {
      low += 3;
      const res = await req(ApiKey.DeleteRecords, v, {
        topics: [
          { name: 'dr', partitions: [{ partitionIndex: 0, offset: BigInt(low) }, { partitionIndex: 5, offset: 1n }] },
          { name: 'dr-missing', partitions: [{ partitionIndex: 0, offset: 1n }] },
        ],
        timeoutMs: 5000,
      });
      expect(res.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, lowWatermark: BigInt(low), errorCode: 0 });
      expect(res.topics[0].partitions[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect(res.topics[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const beyond = await req(ApiKey.DeleteRecords, v, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 21n }] }], timeoutMs: 5000 });
      expect(beyond.topics[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
    const hw = await req(ApiKey.DeleteRecords, 2, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: -1n }] }], timeoutMs: 5000 });
    expect(hw.topics[0].partitions[0]).toMatchObject({ lowWatermark: 20n, errorCode: 0 });
  });

  it('DescribeCluster, every version', async () => {
    for (const v of versions(ApiKey.DescribeCluster)) {
      const res = await req(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      expect(res).toMatchObject({ errorCode: 0, controllerId: 0, brokers: [{ brokerId: 0, host: broker.host, port: broker.port, rack: null }] });
      expect(res.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(res.clusterAuthorizedOperations).toBe(8096); // Kafka's CLUSTER operations: CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE
      if (v >= 1) {
        const controllers = await req(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType: 2 });
        expect(controllers.errorCode).toBe(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
      }
    }
  });

  it('DescribeLogDirs, every version: the data directory and partition sizes', async () => {
    await create(4, [topic('ld', 2)]);
    const { kafkajs } = await import('../helpers/kafkajs.js');
    const producer = kafkajs(broker.bootstrap).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'ld', acks: 1, messages: [{ partition: 1, value: 'x'.repeat(1000) }] });
    await producer.disconnect();
    for (const v of versions(ApiKey.DescribeLogDirs)) {
      const res = await req(ApiKey.DescribeLogDirs, v, { topics: [{ topic: 'ld', partitions: [0, 1, 9] }, { topic: 'ld-missing', partitions: [0] }] });
      expect(res.results.length).toBe(1);
      const dir = res.results[0];
      expect(dir.errorCode).toBe(0);
      expect(dir.logDir).toBe(broker.dataDir);
      expect(dir.topics).toEqual([{ name: 'ld', partitions: [expect.objectContaining({ partitionIndex: 0, partitionSize: 0n }), expect.objectContaining({ partitionIndex: 1, offsetLag: 0n, isFutureKey: false })] }]);
      expect(dir.topics[0].partitions[1].partitionSize).toBeGreaterThan(1000n);
      if (v >= 4) expect(dir.totalBytes).toBeGreaterThan(0n);
      const all = await req(ApiKey.DescribeLogDirs, v, { topics: null });
      expect(all.results[0].topics.map((t: any) => t.name)).toContain('ld');
    }
  });

  it('OffsetForLeaderEpoch, every version: epoch 0 ends at the log end offset', async () => {
    for (const v of versions(ApiKey.OffsetForLeaderEpoch)) {
      const res = await req(ApiKey.OffsetForLeaderEpoch, v, {
        replicaId: -1,
        topics: [
          { topic: 'dr', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }, { partition: 0, currentLeaderEpoch: 0, leaderEpoch: 3 }, { partition: 7, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
          { topic: 'oe-missing', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
        ],
      });
      const [a, b, c] = res.topics[0].partitions;
      expect(a).toMatchObject({ errorCode: 0, partition: 0, endOffset: 20n });
      if (v >= 1) expect(a.leaderEpoch).toBe(0);
      expect(b).toMatchObject({ errorCode: 0, endOffset: -1n });
      expect(c.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      expect(res.topics[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      if (v >= 2) {
        const future = await req(ApiKey.OffsetForLeaderEpoch, v, { replicaId: -1, topics: [{ topic: 'dr', partitions: [{ partition: 0, currentLeaderEpoch: 5, leaderEpoch: 0 }] }] });
        expect(future.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
      }
    }
  });

  it('the broker advertises every version of the admin APIs', async () => {
    const res = await req(ApiKey.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    for (const key of [19, 20, 21, 23, 32, 33, 35, 37, 44, 60]) {
      expect(res.apiKeys.find((k: any) => k.apiKey === key)).toMatchObject({ minVersion: api(key).minVersion, maxVersion: api(key).maxVersion });
    }
  });
});
