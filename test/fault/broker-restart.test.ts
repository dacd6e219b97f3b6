import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { spawnBroker } from '../helpers/broker-process.js';
import { fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { tmpDir } from '../helpers/tmp.js';

async function produce(bootstrap: string, topic: string, from: number, count: number) {
  const producer = kafkajs(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let i = from; i < from + count; i += 50) {
    const n = Math.min(50, from + count - i);
    await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, j) => ({ partition: (i + j) % 2, key: `k${i + j}`, value: `value-${i + j}` })) });
  }
  await producer.disconnect();
}

async function check(bootstrap: string, topic: string, total: number) {
  const kafka = kafkajs(bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  expect(meta.topics[0]!.partitions.length).toBe(2);
  const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
  expect(cfg.resources[0]!.configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '86400000' });
  await admin.disconnect();
  const values: string[] = [];
  for (const p of [0, 1]) values.push(...(await fetchAll(kafka, topic, p)).map((m) => m.value!.toString()));
  expect(values.sort()).toEqual(Array.from({ length: total }, (_, i) => `value-${i}`).sort());
}

describe('broker restart', () => {
  it('keeps topics, configs and data across a graceful stop and a SIGKILL', async () => {
    const dir = tmpDir();
    let b = await spawnBroker(dir);
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
    await admin.disconnect();
    await produce(b.bootstrap, 'durable', 0, 500);

    // Graceful: SIGTERM, exit 0, clean-shutdown marker written.
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(true);
    b = await spawnBroker(dir);
    await check(b.bootstrap, 'durable', 500);
    await produce(b.bootstrap, 'durable', 500, 300);

    // Crash: SIGKILL, then recovery on the next start.
    b.child.kill('SIGKILL');
    expect(await b.exited).toBe('SIGKILL');
    expect(existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(false);
    b = await spawnBroker(dir);
    await check(b.bootstrap, 'durable', 800);
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});
