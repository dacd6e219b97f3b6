import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { fetchAll, kafkajs } from '../helpers/kafkajs.js';

describe('kafkajs against strand', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ config: { 'num.partitions': '2' } });
  });
  afterAll(async () => {
    await broker.stop();
  });

  it('admin creates topics with configs, a producer sends keyed messages with headers (acks=-1), and they read back in order, byte-identical', async () => {
    const kafka = kafkajs(broker.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }], waitForLeaders: true })).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
    expect(meta.topics[0]!.partitions.length).toBe(3);
    await admin.disconnect();

    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent: Array<{ partition: number; key: string; value: Buffer; headers: Record<string, string> }> = [];
    for (let i = 0; i < 300; i++) {
      const partition = i % 3;
      const value = Buffer.from(Array.from({ length: 1 + (i % 50) }, (_, j) => (i * 31 + j) & 0xff));
      sent.push({ partition, key: `key-${i}`, value, headers: { seq: String(i), kind: i % 2 ? 'odd' : 'even' } });
    }
    for (let i = 0; i < sent.length; i += 25) {
      const chunk = sent.slice(i, i + 25);
      await producer.send({ topic: 'orders', acks: -1, messages: chunk.map((m) => ({ partition: m.partition, key: m.key, value: m.value, headers: m.headers })) });
    }
    await producer.disconnect();

    for (let p = 0; p < 3; p++) {
      const got = await fetchAll(kafka, 'orders', p);
      const want = sent.filter((m) => m.partition === p);
      expect(got.map((m) => Number(m.offset))).toEqual(want.map((_, i) => i));
      got.forEach((m, i) => {
        expect(m.key!.toString()).toBe(want[i]!.key);
        expect(m.value!.equals(want[i]!.value)).toBe(true);
        expect((m.headers.seq as Buffer).toString()).toBe(want[i]!.headers.seq);
        expect((m.headers.kind as Buffer).toString()).toBe(want[i]!.headers.kind);
      });
    }
  });

  it('auto-creates a topic on first use with num.partitions', async () => {
    const kafka = kafkajs(broker.bootstrap);
    const producer = kafka.producer();
    await producer.connect();
    const [r] = await producer.send({ topic: 'auto-made', messages: [{ value: 'hello' }] });
    expect(r!.errorCode).toBe(0);
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: ['auto-made'] });
    expect(meta.topics[0]!.partitions.length).toBe(2);
    const offsets = await admin.fetchTopicOffsets('auto-made');
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(1);
    await admin.disconnect();
  });
});
