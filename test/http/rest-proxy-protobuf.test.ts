/**
 * Protobuf through the REST Proxy: v2's `application/vnd.kafka.protobuf.v2+json` and v3's
 * `PROTOBUF` produce the schema's first message in Confluent's wire format (magic byte, schema
 * id, message indexes, the encoded message), registered under `<topic>-value`; a v2 protobuf
 * consumer reads records by the message their indexes name, including ones strand/serdes wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protobufSerde, SchemaRegistryClient } from '../../src/serdes/index.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { call, serve, type Served } from './serve.js';

const V2 = 'application/vnd.kafka.v2+json';
const PROTOBUF_V2 = 'application/vnd.kafka.protobuf.v2+json';

const proto = [
  'syntax = "proto3";',
  'package shop;',
  'message Order { int64 id = 1; string item = 2; Status status = 3; enum Status { NEW = 0; SHIPPED = 1; } }',
  'message Refund { int64 order_id = 1; int32 cents = 2; }',
].join('\n');

let s: Served;

beforeAll(async () => {
  s = await serve();
  await createTopics(s.broker.bootstrap, [{ topic: 'orders', numPartitions: 1 }, { topic: 'orders3', numPartitions: 1 }]);
});

afterAll(async () => {
  await s.stop();
});

describe('REST Proxy protobuf', () => {
  it('v2 produces the first message in Confluent wire format; a protobuf consumer reads it and a serdes record of the second message', async () => {
    const produced = await call(s.url, 'POST', '/topics/orders', { value_schema: proto, records: [{ value: { id: 7, item: 'pen', status: 'SHIPPED' } }] }, PROTOBUF_V2);
    expect(produced).toEqual({ status: 200, type: V2, body: { key_schema_id: null, value_schema_id: 1, offsets: [{ partition: 0, offset: 0, error_code: null, error: null }] } });
    expect((await call(s.url, 'GET', '/subjects/orders-value/versions/1')).body).toEqual({ subject: 'orders-value', version: 1, id: 1, schemaType: 'PROTOBUF', schema: proto });

    // A Refund (message index 1) written by strand/serdes through kafkajs.
    const refunds = protobufSerde(new SchemaRegistryClient(s.url), { subject: 'orders-value', schema: proto, messageType: 'shop.Refund' });
    const producer = kafkajs(s.broker.bootstrap).producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: [{ value: await refunds.serialize({ order_id: 7, cents: 250 }) }] });
    await producer.disconnect();

    const raw = await fetchAll(kafkajs(s.broker.bootstrap), 'orders', 0);
    // magic 0, id 1, message indexes [0] as the single byte 0, then id=7, item="pen", status=1;
    // then indexes [1] (count 1, index 1, both zigzag: 02 02), order_id=7, cents=250.
    expect(raw.map((m) => m.value!.toString('hex'))).toEqual(['00000000010008071203' + Buffer.from('pen').toString('hex') + '1801', '00000000010202080710fa01']);
    expect(await refunds.deserialize(raw[1]!.value!)).toEqual({ order_id: 7, cents: 250 });

    expect((await call(s.url, 'POST', '/consumers/pb', { name: 'c', format: 'protobuf', 'auto.offset.reset': 'earliest' }, V2)).status).toBe(200);
    expect((await call(s.url, 'POST', '/consumers/pb/instances/c/assignments', { partitions: [{ topic: 'orders', partition: 0 }] }, V2)).status).toBe(204);
    const res = await fetch(`${s.url}/consumers/pb/instances/c/records?timeout=2000`, { headers: { accept: PROTOBUF_V2 } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { topic: 'orders', key: null, value: { id: 7, item: 'pen', status: 'SHIPPED' }, partition: 0, offset: 0 },
      { topic: 'orders', key: null, value: { order_id: 7, cents: 250 }, partition: 0, offset: 1 },
    ]);
    expect((await call(s.url, 'DELETE', '/consumers/pb/instances/c', undefined, V2)).status).toBe(204);
  });

  it('v2 refuses a value that is not the message (42203), v3 produces PROTOBUF by schema and by schema_id', async () => {
    const bad = await call(s.url, 'POST', '/topics/orders3', { value_schema: proto, records: [{ value: { id: 1, colour: 'red' } }] }, PROTOBUF_V2);
    expect(bad).toEqual({ status: 422, type: V2, body: { error_code: 42203, message: 'Conversion of JSON to Object failed: Order has no field colour' } });

    const cluster = ((await call(s.url, 'GET', '/v3/clusters', undefined, 'application/json')).body as { data: Array<{ cluster_id: string }> }).data[0]!.cluster_id;
    const path = `/v3/clusters/${cluster}/topics/orders3/records`;
    const bySchema = await call(s.url, 'POST', path, { value: { type: 'PROTOBUF', schema: proto, data: { id: 8, item: 'ink' } } }, 'application/json');
    expect(bySchema.body).toMatchObject({ error_code: 200, topic_name: 'orders3', partition_id: 0, offset: 0, value: { type: 'PROTOBUF', size: 13, schema_id: 1 } });
    const byId = await call(s.url, 'POST', path, { value: { schema_id: 1, data: { id: 9 } } }, 'application/json');
    expect(byId.body).toMatchObject({ offset: 1, value: { type: 'PROTOBUF', size: 8, schema_id: 1 } });
    const raw = await fetchAll(kafkajs(s.broker.bootstrap), 'orders3', 0);
    expect(raw.map((m) => m.value!.toString('hex'))).toEqual(['00000000010008081203' + Buffer.from('ink').toString('hex'), '0000000001000809']);
  });
});
