import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { avroSerde, jsonSchemaSerde, protobufSerde, SchemaRegistryClient, SchemaRegistryError, unframe } from '../../src/serdes/index.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';

const v1 = JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'long' }] });
const v2 = JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'long' }, { name: 'qty', type: 'int', default: 1 }] });

describe('strand/serdes against the broker registry', () => {
  let broker: RunningBroker;
  let url: string;
  let registry: SchemaRegistryClient;

  beforeAll(async () => {
    // The REST Proxy consumer below joins a new group: its first rebalance need not wait 3 s here.
    broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': '0' } });
    url = broker.http[0]!;
    registry = new SchemaRegistryClient(url);
    await createTopics(broker.bootstrap, [{ topic: 'orders', numPartitions: 1 }]);
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('writes Avro through kafkajs that the REST proxy, kafkajs and a newer schema read', async () => {
    const serde = avroSerde(registry, { subject: 'orders-value', schema: v1 });
    const value = await serde.serialize({ id: 5 });
    expect(value.toString('hex')).toBe('00000000010a');
    const producer = kafkajs(broker.bootstrap).producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value }] });
    await producer.disconnect();
    const [read] = await fetchAll(kafkajs(broker.bootstrap), 'orders', 0);
    expect(await serde.deserialize(read!.value!)).toEqual({ id: 5 });
    // A reader on the next version gets the default for the field the writer did not have.
    expect(await avroSerde(registry, { subject: 'orders-value', schema: v2 }).deserialize(read!.value!)).toEqual({ id: 5, qty: 1 });
    const v2Bytes = await avroSerde(registry, { subject: 'orders-value', schema: v2 }).serialize({ id: 6, qty: 3 });
    expect(unframe(v2Bytes).id).toBe(2);
    // The REST proxy's v2 avro consumer decodes it with the registry's schema.
    const post = (path: string, body: unknown) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/vnd.kafka.v2+json' }, body: JSON.stringify(body) });
    await post('/consumers/s', { name: 'c', format: 'avro', 'auto.offset.reset': 'earliest' });
    await post('/consumers/s/instances/c/subscription', { topics: ['orders'] });
    const records = await (await fetch(`${url}/consumers/s/instances/c/records?timeout=2000`, { headers: { accept: 'application/vnd.kafka.avro.v2+json' } })).json();
    expect(records).toEqual([{ topic: 'orders', key: null, value: { id: 5 }, partition: 0, offset: 0 }]);
  });

  it('refuses an incompatible schema with the registry error', async () => {
    const bad = avroSerde(registry, { subject: 'orders-value', schema: JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] }) });
    const err = await bad.serialize({ id: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaRegistryError);
    expect((err as SchemaRegistryError).errorCode).toBe(409);
  });

  it('writes JSON Schema and Protobuf with message indexes', async () => {
    const json = jsonSchemaSerde(registry, { subject: 'j-value', schema: JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }) });
    const jb = await json.serialize({ n: 1 });
    expect(jb.subarray(5).toString()).toBe('{"n":1}');
    expect(await json.deserialize(jb)).toEqual({ n: 1 });
    await expect(json.serialize({ n: 'x' })).rejects.toThrow(/does not match/);
    const proto = 'syntax = "proto3";\npackage shop;\nmessage A { int32 x = 1; }\nmessage B { string name = 1; int32 qty = 2; }';
    const first = protobufSerde(registry, { subject: 'p-value', schema: proto, messageType: 'shop.A' });
    const second = protobufSerde(registry, { subject: 'p-value', schema: proto, messageType: 'shop.B' });
    const a = await first.serialize({ x: 3 });
    const b = await second.serialize({ name: 'pen', qty: 2 });
    const id = unframe(a).id;
    // First message: the single index byte 0; the second: count 1, index 1 (zigzag: 2, 2).
    expect(a.toString('hex')).toBe(`00${id.toString(16).padStart(8, '0')}00` + '0803');
    expect(b.subarray(0, 7).toString('hex')).toBe(`00${id.toString(16).padStart(8, '0')}0202`);
    expect(unframe(b, true).messageIndexes).toEqual([1]);
    expect(await second.deserialize(b)).toEqual({ name: 'pen', qty: 2 });
    const stored = await (await fetch(`${url}/subjects/p-value/versions/1`)).json();
    expect(stored).toMatchObject({ subject: 'p-value', version: 1, id, schemaType: 'PROTOBUF' });
  });
});
