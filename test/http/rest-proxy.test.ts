import { spawn } from 'node:child_process';
import { request } from 'node:http';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { call, serve, type Served } from './serve.js';

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const AVRO = 'application/vnd.kafka.avro.v2+json';

/** kcat (librdkafka) consuming `count` records of a partition, their values printed back to back, as bytes. */
function kcatValues(bootstrap: string, topic: string, count: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(count), '-e', '-q', '-f', '%s']);
    const out: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(out));
    });
  });
}

/** Confluent's GET /offsets takes a body, which fetch() cannot send with a GET. */
function getWithBody(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const r = request(url, { method: 'GET', headers: { 'content-type': 'application/vnd.kafka.v2+json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as unknown }));
    });
    r.on('error', reject);
    r.end(data);
  });
}

const orderSchema = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'long' }, { name: 'note', type: ['null', 'string'], default: null }] };

describe('REST proxy v2', () => {
  let s: Served;
  const req = (method: string, path: string, body?: unknown, contentType = V2) => call(s.url, method, path, body, contentType);
  const b64 = (x: string) => Buffer.from(x).toString('base64');

  beforeAll(async () => {
    s = await serve();
    await createTopics(s.broker.bootstrap, [{ topic: 'orders', numPartitions: 2 }, { topic: 'events', numPartitions: 1 }, { topic: 'typed', numPartitions: 1 }]);
  });
  afterAll(async () => {
    await s.stop();
  });

  it('lists topics, partitions, offsets and brokers', async () => {
    expect(await req('GET', '/topics')).toEqual({ status: 200, type: V2, body: ['events', 'orders', 'typed'] });
    const replicas = [{ broker: 0, leader: true, in_sync: true }];
    expect((await req('GET', '/topics/orders/partitions')).body).toEqual([{ partition: 0, leader: 0, replicas }, { partition: 1, leader: 0, replicas }]);
    expect((await req('GET', '/topics/orders/partitions/1')).body).toEqual({ partition: 1, leader: 0, replicas });
    const topic = (await req('GET', '/topics/orders')).body as { name: string; configs: Record<string, string>; partitions: unknown[] };
    expect(topic.name).toBe('orders');
    expect(topic.configs['cleanup.policy']).toBe('delete');
    expect(topic.partitions).toHaveLength(2);
    expect((await req('GET', '/brokers')).body).toEqual({ brokers: [0] });
    expect(await req('GET', '/topics/nope')).toEqual({ status: 404, type: V2, body: { error_code: 40401, message: 'Topic not found.' } });
    expect((await req('GET', '/topics/orders/partitions/7')).body).toEqual({ error_code: 40402, message: 'Partition not found.' });
  });

  it('produces binary and json records, read back by kafkajs', async () => {
    const binary = await req('POST', '/topics/orders/partitions/0', { records: [{ key: b64('k1'), value: b64('v1') }, { value: b64('v2') }] }, BINARY);
    expect(binary).toEqual({ status: 200, type: V2, body: { key_schema_id: null, value_schema_id: null, offsets: [{ partition: 0, offset: 0, error_code: null, error: null }, { partition: 0, offset: 1, error_code: null, error: null }] } });
    const json = await req('POST', '/topics/events', { records: [{ value: { a: 1 } }, { key: 'k', value: [true, null] }] }, JSON_V2);
    expect((json.body as { offsets: unknown[] }).offsets).toEqual([{ partition: 0, offset: 0, error_code: null, error: null }, { partition: 0, offset: 1, error_code: null, error: null }]);
    const kafka = kafkajs(s.broker.bootstrap);
    const got = await fetchAll(kafka, 'orders', 0);
    expect(got.map((m) => [m.key?.toString() ?? null, m.value?.toString()])).toEqual([['k1', 'v1'], [null, 'v2']]);
    expect((await fetchAll(kafka, 'events', 0)).map((m) => [m.key?.toString() ?? null, m.value?.toString()])).toEqual([[null, '{"a":1}'], ['"k"', '[true,null]']]);
    // The partition follows Kafka's default partitioner for a key.
    const keyed = await req('POST', '/topics/orders', { records: [{ key: b64('same'), value: b64('1') }, { key: b64('same'), value: b64('2') }] }, BINARY);
    const offsets = (keyed.body as { offsets: Array<{ partition: number }> }).offsets;
    expect(offsets[0]!.partition).toBe(offsets[1]!.partition);
  });

  it('produces Avro in Confluent wire format, registering the schema under <topic>-value', async () => {
    const produced = await req('POST', '/topics/typed', { value_schema: JSON.stringify(orderSchema), records: [{ value: { id: 7, note: { string: 'hi' } } }, { value: { id: 8, note: null } }] }, AVRO);
    expect(produced.body).toEqual({ key_schema_id: null, value_schema_id: 1, offsets: [{ partition: 0, offset: 0, error_code: null, error: null }, { partition: 0, offset: 1, error_code: null, error: null }] });
    expect((await req('GET', '/subjects/typed-value/versions')).body).toEqual([1]);
    // kafkajs reads the bytes; avsc decodes them with the registry's schema.
    const schema = (await req('GET', '/schemas/ids/1')).body as { schema: string };
    const type = avro.Type.forSchema(JSON.parse(schema.schema) as avro.Schema);
    const got = await fetchAll(kafkajs(s.broker.bootstrap), 'typed', 0);
    expect(got.map((m) => [m.value![0], m.value!.readInt32BE(1), type.fromBuffer(m.value!.subarray(5))])).toEqual([[0, 1, { id: 7, note: 'hi' }], [0, 1, { id: 8, note: null }]]);
    // librdkafka sees the same bytes: magic 0, id 1, the Avro body.
    const wire = (v: unknown) => Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), type.toBuffer(v)]);
    expect((await kcatValues(s.broker.bootstrap, 'typed', 2)).toString('hex')).toBe(Buffer.concat([wire({ id: 7, note: 'hi' }), wire({ id: 8, note: null })]).toString('hex'));
    // By id, without the schema text.
    const byId = await req('POST', '/topics/typed', { value_schema_id: 1, records: [{ value: { id: 9, note: null } }] }, AVRO);
    expect((byId.body as { offsets: Array<{ offset: number }> }).offsets[0]!.offset).toBe(2);
    expect((await req('POST', '/topics/typed', { records: [{ value: { id: 1 } }] }, AVRO)).body).toEqual({
      error_code: 42202, message: 'Request includes values and uses a format that requires schemas, but does not include the value_schema or value_schema_id fields',
    });
    expect((await req('POST', '/topics/typed', { value_schema_id: 1, records: [{ value: { id: 'x' } }] }, AVRO)).body).toMatchObject({ error_code: 42203 });
    expect((await req('POST', '/topics/typed', { records: [] }, 'text/plain')).status).toBe(415);
    expect(await req('POST', '/topics/typed', '{"records": [', AVRO)).toMatchObject({ status: 400, body: { error_code: 400 } });
    const huge = await fetch(`${s.url}/topics/typed`, { method: 'POST', headers: { 'content-type': BINARY }, body: JSON.stringify({ records: [{ value: 'A'.repeat(2 * 1024 * 1024) }] }) });
    expect(huge.status).toBe(413);
  });

  it('runs a consumer instance: create, subscribe, records, commit, offsets, delete', async () => {
    const created = await req('POST', '/consumers/g1', { name: 'c1', format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
    expect(created).toEqual({ status: 200, type: V2, body: { instance_id: 'c1', base_uri: `${s.url}/consumers/g1/instances/c1` } });
    expect((await req('POST', '/consumers/g1', { name: 'c1', format: 'binary' })).body).toEqual({ error_code: 40902, message: 'Consumer instance with the specified name already exists.' });
    const base = '/consumers/g1/instances/c1';
    expect((await req('POST', `${base}/subscription`, { topics: ['events'] })).status).toBe(204);
    expect((await req('GET', `${base}/subscription`)).body).toEqual({ topics: ['events'] });
    const res = await fetch(`${s.url}${base}/records?timeout=2000`, { headers: { accept: BINARY } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { topic: 'events', key: null, value: b64('{"a":1}'), partition: 0, offset: 0 },
      { topic: 'events', key: b64('"k"'), value: b64('[true,null]'), partition: 0, offset: 1 },
    ]);
    const mismatch = await fetch(`${s.url}${base}/records`, { headers: { accept: AVRO } });
    expect(mismatch.status).toBe(406);
    expect(await mismatch.json()).toEqual({ error_code: 40601, message: 'The requested embedded data format does not match the deserializer for this consumer instance' });
    // The last consumed offset is committed; the group stores the next one.
    expect((await req('POST', `${base}/offsets`, { offsets: [{ topic: 'events', partition: 0, offset: 1 }] })).status).toBe(200);
    const kafka = kafkajs(s.broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.fetchOffsets({ groupId: 'g1', topics: ['events'] })).toEqual([{ topic: 'events', partitions: [{ partition: 0, offset: '2', metadata: null }] }]);
    } finally {
      await admin.disconnect();
    }
    expect(await getWithBody(`${s.url}${base}/offsets`, { partitions: [{ topic: 'events', partition: 0 }] })).toEqual({
      status: 200, body: { offsets: [{ topic: 'events', partition: 0, offset: 2, metadata: '' }] },
    });
    expect((await req('DELETE', base)).status).toBe(204);
    expect((await req('GET', `${base}/subscription`)).body).toEqual({ error_code: 40403, message: 'Consumer instance not found.' });
    // A new instance of the group starts at the committed offset.
    await req('POST', '/consumers/g1', { name: 'c2', format: 'json', 'auto.offset.reset': 'earliest' });
    await req('POST', '/consumers/g1/instances/c2/subscription', { topics: ['events'] });
    await req('POST', '/topics/events', { records: [{ value: { b: 2 } }] }, JSON_V2);
    const next = await fetch(`${s.url}/consumers/g1/instances/c2/records?timeout=2000`, { headers: { accept: JSON_V2 } });
    expect(await next.json()).toEqual([{ topic: 'events', key: null, value: { b: 2 }, partition: 0, offset: 2 }]);
    expect((await req('DELETE', '/consumers/g1/instances/c2')).status).toBe(204);
  });

  it('consumes Avro written by hand in Confluent wire format through an avro consumer', async () => {
    const type = avro.Type.forSchema(orderSchema as avro.Schema);
    const body = type.toBuffer({ id: 42, note: null });
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), body]);
    const producer = kafkajs(s.broker.bootstrap).producer();
    await producer.connect();
    await producer.send({ topic: 'typed', messages: [{ value: wire }] });
    await producer.disconnect();
    await req('POST', '/consumers/g2', { name: 'a', format: 'avro', 'auto.offset.reset': 'earliest' });
    await req('POST', '/consumers/g2/instances/a/assignments', { partitions: [{ topic: 'typed', partition: 0 }] });
    expect((await req('GET', '/consumers/g2/instances/a/assignments')).body).toEqual({ partitions: [{ topic: 'typed', partition: 0 }] });
    expect((await req('POST', '/consumers/g2/instances/a/positions', { offsets: [{ topic: 'typed', partition: 0, offset: 3 }] })).status).toBe(204);
    const res = await fetch(`${s.url}/consumers/g2/instances/a/records?timeout=2000`, { headers: { accept: AVRO } });
    expect(await res.json()).toEqual([{ topic: 'typed', key: null, value: { id: 42, note: null }, partition: 0, offset: 3 }]);
  });
});
