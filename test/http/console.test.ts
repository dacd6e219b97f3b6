/**
 * The console's JSON API over real HTTP: topics created, described and deleted, the message
 * browser's byte-safe previews from an offset or a time, 4xx JSON for bad input. The page itself
 * is tested in console-browser.test.ts.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

describe('console API', () => {
  let broker: RunningBroker;
  let base: string;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
    base = broker.http[0]!;
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => broker?.stop());

  it('creates, describes and deletes topics, refusing bad input with 4xx JSON', async () => {
    const created = await call(base, 'POST', '/api/topics', { name: 'orders', partitions: 3, configs: { 'retention.ms': '60000' } });
    expect(created.status).toBe(201);
    expect(created.body.partitions.map((p: any) => [p.partition, p.leader, p.endOffset])).toEqual([[0, 0, 0], [1, 0, 0], [2, 0, 0]]);
    expect(created.body.configs).toEqual({ 'retention.ms': '60000' });
    expect((await call(base, 'GET', '/api/topics')).body).toEqual([{ name: 'orders', internal: false, partitions: 3, sizeBytes: 0, offsets: 0, configs: { 'retention.ms': '60000' } }]);
    expect((await call(base, 'POST', '/api/topics', { name: 'orders' })).status).toBe(409);
    expect((await call(base, 'POST', '/api/topics', { name: 'bad name!' })).status).toBe(400);
    expect((await call(base, 'POST', '/api/topics', { name: 'x', partitions: 'many' })).status).toBe(400);
    expect((await call(base, 'POST', '/api/topics', { name: 'x', partitions: 1e12 })).status).toBe(400);
    expect((await call(base, 'POST', '/api/topics', { name: 'x', configs: { 'retention.ms': 'soon' } })).status).toBe(400);
    expect((await call(base, 'GET', '/api/topics/nope')).status).toBe(404);
    expect((await call(base, 'DELETE', '/api/topics/nope')).body).toEqual({ error_code: 404, message: 'topic nope does not exist' });
    expect((await call(base, 'DELETE', '/api/topics/orders')).status).toBe(204);
    expect((await call(base, 'GET', '/api/topics')).body).toEqual([]);
  });

  it('browses messages from an offset or a time, with byte-safe previews', async () => {
    expect((await call(base, 'POST', '/api/topics', { name: 'browse', partitions: 1 })).status).toBe(201);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'browse', messages: [
      { key: 'k0', value: 'hello', timestamp: '1000', headers: { h: 'v' } },
      { key: null, value: Buffer.from([0, 1, 2, 255]), timestamp: '2000' },
      { key: 'k2', value: 'x'.repeat(3000), timestamp: '3000' },
    ] });
    await producer.disconnect();
    const all = await call(base, 'GET', '/api/topics/browse/messages?partition=0&offset=0&limit=10');
    expect(all.status).toBe(200);
    expect(all.body.endOffset).toBe(3);
    const [m0, m1, m2] = all.body.messages;
    expect(m0).toEqual({ offset: 0, timestamp: 1000, key: { encoding: 'utf8', text: 'k0', bytes: 2, truncated: false }, value: { encoding: 'utf8', text: 'hello', bytes: 5, truncated: false }, headers: [{ key: 'h', value: { encoding: 'utf8', text: 'v', bytes: 1, truncated: false } }] });
    expect(m1.key).toEqual({ encoding: 'null', text: '', bytes: 0, truncated: false });
    expect(m1.value).toEqual({ encoding: 'hex', text: '000102ff', bytes: 4, truncated: false });
    expect(m2.value).toMatchObject({ encoding: 'utf8', bytes: 3000, truncated: true });
    expect(m2.value.text).toHaveLength(1024);
    const byTime = await call(base, 'GET', '/api/topics/browse/messages?timestamp=1500&limit=1');
    expect(byTime.body.messages.map((m: any) => m.offset)).toEqual([1]);
    expect(byTime.body.next).toBe(2);
    expect((await call(base, 'GET', '/api/topics/browse/messages?offset=2')).body.messages.map((m: any) => m.offset)).toEqual([2]);
    for (const bad of ['offset=abc', 'offset=-5', 'limit=100000', 'partition=7', 'timestamp=1e99', `offset=${'9'.repeat(40)}`]) {
      const r = await call(base, 'GET', `/api/topics/browse/messages?${bad}`);
      expect([r.status, typeof r.body.message], bad).toEqual([400, 'string']);
    }
    expect((await call(base, 'GET', '/api/topics/nope/messages')).status).toBe(404);
  });
});
