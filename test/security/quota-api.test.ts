/**
 * DescribeClientQuotas and AlterClientQuotas over the wire (every advertised version), their
 * errors, persistence across a restart, and the throttle a Produce over its quota gets: exact
 * throttle_time_ms, and the connection not read again until it has passed.
 */
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js';
import { AlterClientQuotasApi, ApiVersionsApi, CreateTopicsApi, DescribeClientQuotasApi, FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tmpDir } from '../helpers/tmp.js';

const op = (key: string, value: number, remove = false) => ({ key, value, remove });
const ent = (...parts: Array<[string, string | null]>) => parts.map(([entityType, entityName]) => ({ entityType, entityName }));

describe('DescribeClientQuotas / AlterClientQuotas', () => {
  it('round trip at v0 and v1, with validate_only, Kafka errors, filters, and a restart', async () => {
    const dataDir = tmpDir();
    let broker = await startBroker({ dataDir });
    let c = await RawClient.open(broker.bootstrap);
    const keys = (await c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys;
    expect(keys.filter((k) => k.apiKey === 48 || k.apiKey === 49)).toEqual([{ apiKey: 48, minVersion: 0, maxVersion: 1 }, { apiKey: 49, minVersion: 0, maxVersion: 1 }]);

    const entries = [
      { entity: ent(['user', 'alice'], ['client-id', 'app']), ops: [op('producer_byte_rate', 1024), op('request_percentage', 12.5)] },
      { entity: ent(['user', null]), ops: [op('consumer_byte_rate', 2048)] },
      { entity: ent(['client-id', null]), ops: [op('producer_byte_rate', 4096)] },
      { entity: ent(['ip', '127.0.0.1']), ops: [op('connection_creation_rate', 10)] },
      { entity: ent(['user', 'bob'], ['ip', '1.2.3.4']), ops: [op('producer_byte_rate', 1)] },
      { entity: ent(['group', 'g']), ops: [op('producer_byte_rate', 1)] },
      { entity: ent(['user', 'bob']), ops: [op('connection_creation_rate', 1)] },
      { entity: ent(['user', 'bob']), ops: [op('producer_byte_rate', 1.5)] },
      { entity: ent(['ip', 'not-an-ip']), ops: [op('connection_creation_rate', 1)] },
      { entity: [], ops: [op('producer_byte_rate', 1)] },
    ];
    const errors = [
      [0, null],
      [0, null],
      [0, null],
      [0, null],
      [42, 'Invalid quota entity combination, IP entity should not be combined with User or ClientId entity.'],
      [42, 'Unhandled client quota entity type: group'],
      [42, 'Invalid configuration key connection_creation_rate'],
      [42, 'Configuration producer_byte_rate must be a Long value'],
      [42, 'not-an-ip is not a valid IP or resolvable host.'],
      [42, 'Invalid empty client quota entity'],
    ];
    const validated = await c.request(AlterClientQuotasApi, 0, { entries, validateOnly: true });
    expect(validated.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual(errors);
    expect((await c.request(DescribeClientQuotasApi, 0, { components: [], strict: false })).entries).toEqual([]);
    const altered = await c.request(AlterClientQuotasApi, 1, { entries, validateOnly: false });
    expect(altered.entries.map((e) => [e.errorCode, e.errorMessage])).toEqual(errors);
    expect(altered.entries[0]!.entity).toEqual(ent(['user', 'alice'], ['client-id', 'app']));
    c.close();
    await broker.stop();

    broker = await startBroker({ dataDir });
    c = await RawClient.open(broker.bootstrap);
    const all = await c.request(DescribeClientQuotasApi, 1, { components: [], strict: false });
    expect(all).toEqual({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries: [
      { entity: ent(['user', 'alice'], ['client-id', 'app']), values: [{ key: 'producer_byte_rate', value: 1024 }, { key: 'request_percentage', value: 12.5 }] },
      { entity: ent(['user', null]), values: [{ key: 'consumer_byte_rate', value: 2048 }] },
      { entity: ent(['client-id', null]), values: [{ key: 'producer_byte_rate', value: 4096 }] },
      { entity: ent(['ip', '127.0.0.1']), values: [{ key: 'connection_creation_rate', value: 10 }] },
    ] });
    const names = async (components: Array<{ entityType: string; matchType: number; match: string | null }>, strict: boolean) =>
      (await c.request(DescribeClientQuotasApi, 0, { components, strict })).entries?.map((e) => e.entity.map((p) => `${p.entityType}=${p.entityName ?? '<default>'}`).join('/'));
    expect(await names([{ entityType: 'user', matchType: 0, match: 'alice' }], false)).toEqual(['user=alice/client-id=app']);
    expect(await names([{ entityType: 'user', matchType: 0, match: 'alice' }], true)).toEqual([]);
    expect(await names([{ entityType: 'user', matchType: 1, match: null }], true)).toEqual(['user=<default>']);
    expect(await names([{ entityType: 'user', matchType: 2, match: null }], false)).toEqual(['user=alice/client-id=app']);
    expect(await names([{ entityType: 'client-id', matchType: 1, match: null }], false)).toEqual(['client-id=<default>']);
    const bad = await c.request(DescribeClientQuotasApi, 1, { components: [{ entityType: 'user', matchType: 1, match: null }, { entityType: 'user', matchType: 2, match: null }], strict: false });
    expect(bad).toEqual({ throttleTimeMs: 0, errorCode: 42, errorMessage: 'Entity type user cannot appear more than once in the filter.', entries: null });
    // Removing every key of an entity forgets it.
    const removed = await c.request(AlterClientQuotasApi, 1, { entries: [{ entity: ent(['user', null]), ops: [op('consumer_byte_rate', 0, true)] }], validateOnly: false });
    expect(removed.entries[0]!.errorCode).toBe(0);
    expect(await names([{ entityType: 'user', matchType: 1, match: null }], false)).toEqual([]);
    c.close();
    await broker.stop();
  });
});

describe('a Produce over producer_byte_rate', () => {
  it('is answered at once with the exact throttle_time_ms, and the connection is not read until it passes', async () => {
    // Two windows of 1 s: the first request's rate is its size over one full window (1 s).
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    const c = await RawClient.open(broker.bootstrap);
    const bound = 10_000;
    await c.request(CreateTopicsApi, 5, { topics: [{ name: 'quota', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    await c.request(AlterClientQuotasApi, 1, { entries: [{ entity: ent(['client-id', 'raw-test']), ops: [op('producer_byte_rate', bound)] }], validateOnly: false });
    const body = { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'quota', partitionData: [{ index: 0, records: encodeBatch([{ value: Buffer.alloc(12_000, 'q') }]) }] }] };
    // Kafka's request size: the frame without its 4-byte size prefix.
    const size = encodeRequestFrame(ProduceApi, 9, 0, 'raw-test', body).reduce((n, b) => n + b.length, 0) - 4;
    const expected = Math.round(((size - bound) / bound) * 1000);
    expect(expected).toBeGreaterThan(200);
    const sent = Date.now();
    const res = await c.request(ProduceApi, 9, body);
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    expect(res.throttleTimeMs).toBe(expected);
    // The next request is read only once the throttle has passed.
    await c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(Date.now() - sent).toBeGreaterThanOrEqual(expected);
    c.close();
    // Another client id has no quota: not throttled.
    const other = await RawClient.open(broker.bootstrap);
    const req = encodeRequestFrame(ProduceApi, 9, 7, 'unthrottled', body);
    other.write(req);
    const frame = await other.readFrame();
    expect(decodeResponseFrame(ProduceApi, 9, frame!).body.throttleTimeMs).toBe(0);
    other.close();
    await broker.stop();
  });
});

describe('a Fetch over consumer_byte_rate, a request over request_percentage', () => {
  it('is answered empty with the exact throttle its records would cause, which are taken back; request time is throttled at most one window', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    const c = await RawClient.open(broker.bootstrap);
    await c.request(CreateTopicsApi, 5, { topics: [{ name: 'f', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const records = encodeBatch([{ value: Buffer.alloc(3000, 'f') }]);
    await c.request(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'f', partitionData: [{ index: 0, records }] }] });
    const bound = 1000;
    await c.request(AlterClientQuotasApi, 1, { entries: [{ entity: ent(['client-id', 'raw-test']), ops: [op('consumer_byte_rate', bound)] }], validateOnly: false });
    const fetch = { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'f', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' };
    const small = encodeBatch([{ value: Buffer.alloc(300, 's') }]);
    await c.request(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'f', partitionData: [{ index: 0, records: small }] }] });
    // A new fetch session (epoch 0) whose answer is throttled: as Kafka, the answer is empty (no
    // records, no partitions, no session id) and carries the throttle its bytes would have caused
    // (strand counts the record bytes, the first batch here: Kafka's budget of bound x (samples - 1)
    // x window, 1000 bytes, lets the first batch through whole): over one full window.
    const res = await c.request(FetchApi, 12, { ...fetch, sessionEpoch: 0 });
    expect(res).toMatchObject({ errorCode: 0, sessionId: 0, responses: [], throttleTimeMs: Math.round(((records.length - bound) / bound) * 1000) });
    // The bytes were taken back (unrecordQuotaSensor): another connection of the same client id,
    // not muted, fetches the 300-byte batch unthrottled, as it would be had nothing been fetched.
    const d = await RawClient.open(broker.bootstrap);
    const next = await d.request(FetchApi, 12, { ...fetch, topics: [{ ...fetch.topics[0]!, partitions: [{ ...fetch.topics[0]!.partitions[0]!, fetchOffset: 1n }] }] });
    expect(next.throttleTimeMs).toBe(0);
    const got = next.responses[0]!.partitions[0]!.records!;
    expect([got.length, got.readBigInt64BE(0)]).toEqual([small.length, 1n]); // the batch, stored at offset 1
    // The 3000-byte batch is refused again (its throttle depends on the time the windows span by now).
    const again = await d.request(FetchApi, 12, fetch);
    expect(again.responses).toEqual([]);
    expect(again.throttleTimeMs).toBeGreaterThan(0);
    c.close();
    d.close();

    // request_percentage: a tiny share of one second; the throttle never exceeds one window (ClientRequestQuotaManager).
    const r = await RawClient.open(broker.bootstrap);
    await r.request(AlterClientQuotasApi, 1, { entries: [{ entity: ent(['client-id', 'raw-test']), ops: [op('consumer_byte_rate', 0, true), op('request_percentage', 0.000001)] }], validateOnly: false });
    const throttles: number[] = [];
    for (let i = 0; i < 3; i++) throttles.push((await r.request(FetchApi, 12, fetch)).throttleTimeMs);
    expect(throttles.every((t) => t > 0 && t <= 1000), throttles.join(',')).toBe(true);
    r.close();
    await broker.stop();
  });
});

