import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { call } from './serve.js';

describe('REST proxy v3 on the broker admin listener', () => {
  let broker: RunningBroker;
  let url: string;
  let cluster: string;
  const req = (method: string, path: string, body?: unknown, type = 'application/json') => call(url, method, path, body, type);

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0' } });
    url = broker.http[0]!;
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    cluster = (await admin.describeCluster()).clusterId;
    await admin.disconnect();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('describes the cluster and its brokers', async () => {
    const base = `${url}/v3/clusters/${cluster}`;
    const list = await req('GET', '/v3/clusters');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({
      kind: 'KafkaClusterList',
      metadata: { self: `${url}/v3/clusters`, next: null },
      data: [{
        kind: 'KafkaCluster',
        metadata: { self: base, resource_name: `crn:///kafka=${cluster}` },
        cluster_id: cluster,
        controller: { related: `${base}/brokers/0` },
        acls: { related: `${base}/acls` },
        brokers: { related: `${base}/brokers` },
        broker_configs: { related: `${base}/broker-configs` },
        consumer_groups: { related: `${base}/consumer-groups` },
        topics: { related: `${base}/topics` },
        partition_reassignments: { related: `${base}/topics/-/partitions/-/reassignment` },
      }],
    });
    const brokers = (await req('GET', `/v3/clusters/${cluster}/brokers`)).body as { data: Array<Record<string, unknown>> };
    expect(brokers.data.map((b) => [b.broker_id, b.host, b.port])).toEqual([[0, broker.host, broker.port]]);
    expect(await req('GET', '/v3/clusters/nope/topics')).toMatchObject({ status: 404, body: { error_code: 404, message: 'Cluster nope cannot be found.' } });
  });

  it('creates, describes, configures and deletes a topic', async () => {
    const created = await req('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'v3t', partitions_count: 3, configs: [{ name: 'cleanup.policy', value: 'compact' }] });
    expect(created.status).toBe(201);
    const base = `${url}/v3/clusters/${cluster}/topics/v3t`;
    expect(created.body).toEqual({
      kind: 'KafkaTopic',
      metadata: { self: base, resource_name: `crn:///kafka=${cluster}/topic=v3t` },
      cluster_id: cluster,
      topic_name: 'v3t',
      is_internal: false,
      replication_factor: 1,
      partitions_count: 3,
      partitions: { related: `${base}/partitions` },
      configs: { related: `${base}/configs` },
      partition_reassignments: { related: `${base}/partitions/-/reassignment` },
      authorized_operations: [],
    });
    expect((await req('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'v3t' })).body).toEqual({ error_code: 40002, message: "Topic 'v3t' already exists." });
    const parts = (await req('GET', `/v3/clusters/${cluster}/topics/v3t/partitions`)).body as { kind: string; data: Array<{ partition_id: number; leader: unknown }> };
    expect(parts.kind).toBe('KafkaPartitionList');
    expect(parts.data.map((x) => [x.partition_id, x.leader])).toEqual([0, 1, 2].map((n) => [n, { related: `${base}/partitions/${n}/replicas/0` }]));
    const configs = (await req('GET', `/v3/clusters/${cluster}/topics/v3t/configs`)).body as { data: Array<{ name: string; value: string; is_default: boolean; source: string }> };
    expect(configs.data.find((c) => c.name === 'cleanup.policy')).toMatchObject({ value: 'compact', is_default: false, source: 'DYNAMIC_TOPIC_CONFIG' });
    expect((await req('POST', `/v3/clusters/${cluster}/topics/v3t/configs:alter`, { data: [{ name: 'retention.ms', value: '60000' }] })).status).toBe(204);
    const after = (await req('GET', `/v3/clusters/${cluster}/topics/v3t/configs`)).body as { data: Array<{ name: string; value: string }> };
    expect(after.data.find((c) => c.name === 'retention.ms')?.value).toBe('60000');
    expect((await req('DELETE', `/v3/clusters/${cluster}/topics/v3t`)).status).toBe(204);
    expect(await req('GET', `/v3/clusters/${cluster}/topics/v3t`)).toMatchObject({ status: 404, body: { error_code: 404, message: 'This server does not host this topic-partition.' } });
  });

  it('produces records as BINARY, JSON, STRING and AVRO, read back by kafkajs', async () => {
    await req('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'rec', partitions_count: 1 });
    const path = `/v3/clusters/${cluster}/topics/rec/records`;
    const bin = await req('POST', path, { partition_id: 0, key: { type: 'BINARY', data: Buffer.from('k').toString('base64') }, value: { type: 'JSON', data: { n: 1 } }, timestamp: '2026-01-02T03:04:05.000Z' });
    expect(bin).toMatchObject({ status: 200, body: { error_code: 200, cluster_id: cluster, topic_name: 'rec', partition_id: 0, offset: 0, timestamp: '2026-01-02T03:04:05.000Z', key: { type: 'BINARY', size: 1 }, value: { type: 'JSON', size: 7 } } });
    const str = await req('POST', path, { value: { type: 'STRING', data: 'plain' }, headers: [{ name: 'h', value: Buffer.from('x').toString('base64') }] });
    expect(str.body).toMatchObject({ offset: 1, key: null, value: { type: 'STRING', size: 5 } });
    const schema = JSON.stringify({ type: 'record', name: 'P', fields: [{ name: 'x', type: 'int' }] });
    const av = await req('POST', path, { value: { type: 'AVRO', schema, data: { x: 5 } } });
    expect(av.body).toMatchObject({ offset: 2, value: { type: 'AVRO', size: 6, schema_id: 1 } });
    const got = await fetchAll(kafkajs(broker.bootstrap), 'rec', 0);
    expect(got.map((m) => [m.key?.toString() ?? null, m.value!.subarray(0, m.value![0] === 0 ? 5 : undefined).toString('hex'), m.timestamp])).toEqual([
      ['k', Buffer.from('{"n":1}').toString('hex'), String(Date.parse('2026-01-02T03:04:05.000Z'))],
      [null, Buffer.from('plain').toString('hex'), got[1]!.timestamp],
      [null, '0000000001', got[2]!.timestamp],
    ]);
    expect(got[1]!.headers).toEqual({ h: Buffer.from('x') });
    expect(avro.Type.forSchema(JSON.parse(schema) as avro.Schema).fromBuffer(got[2]!.value!.subarray(5))).toEqual({ x: 5 });
    // The schema is in the registry on the same listener.
    expect((await call(url, 'GET', '/subjects/rec-value/versions/1')).body).toEqual({ subject: 'rec-value', version: 1, id: 1, schema });
  });

  it('streams: records back to back in one request get one result line each, in order', async () => {
    await req('POST', `/v3/clusters/${cluster}/topics`, { topic_name: 'streamed', partitions_count: 1 });
    const body = [
      { value: { type: 'STRING', data: 'a' } },
      { partition_id: 9, value: { type: 'STRING', data: 'lost' } },
      { value: { type: 'STRING', data: 'b' } },
    ].map((o) => JSON.stringify(o)).join('');
    const res = await fetch(`${url}/v3/clusters/${cluster}/topics/streamed/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.error_code, l.offset ?? null, l.message ?? null])).toEqual([
      [200, 0, null],
      [404, null, 'This server does not host this topic-partition.'],
      [200, 1, null],
    ]);
    expect((await fetchAll(kafkajs(broker.bootstrap), 'streamed', 0)).map((m) => m.value!.toString())).toEqual(['a', 'b']);
  });

  it('reports a group committed through the v2 consumer with its lag', async () => {
    const v2 = 'application/vnd.kafka.v2+json';
    await call(url, 'POST', '/consumers/lagging', { name: 'c', format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' }, v2);
    await call(url, 'POST', '/consumers/lagging/instances/c/offsets', { offsets: [{ topic: 'rec', partition: 0, offset: 0 }] }, v2);
    const lags = (await req('GET', `/v3/clusters/${cluster}/consumer-groups/lagging/lags`)).body as { data: Array<Record<string, unknown>> };
    expect(lags.data.map((l) => [l.topic_name, l.partition_id, l.current_offset, l.log_end_offset, l.lag])).toEqual([['rec', 0, 1, 3, 2]]);
    const summary = (await req('GET', `/v3/clusters/${cluster}/consumer-groups/lagging/lag-summary`)).body;
    expect(summary).toMatchObject({ kind: 'KafkaConsumerGroupLagSummary', consumer_group_id: 'lagging', max_lag: 2, total_lag: 2, max_lag_topic_name: 'rec', max_lag_partition_id: 0 });
    const groups = (await req('GET', `/v3/clusters/${cluster}/consumer-groups`)).body as { data: Array<{ consumer_group_id: string }> };
    expect(groups.data.map((g) => g.consumer_group_id)).toContain('lagging');
  });
});
