/**
 * Client quotas against real clients: a kafkajs producer over its producer_byte_rate is held to
 * it (bytes acknowledged per window, counted in the test), kafkajs sees the throttle (KIP-219)
 * while a second client id does not; kcat (librdkafka) produces and consumes through
 * producer_byte_rate and consumer_byte_rate to the last record.
 */
import { type LogEntry, Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { AlterClientQuotasApi } from '../../src/protocol/messages/index.js';
import { createTopics } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { tmpDir } from '../helpers/tmp.js';

async function setClientQuota(bootstrap: string, clientId: string, values: Record<string, number>): Promise<void> {
  const c = await RawClient.open(bootstrap);
  const res = await c.request(AlterClientQuotasApi, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: Object.entries(values).map(([key, value]) => ({ key, value, remove: false })) }], validateOnly: false });
  c.close();
  expect(res.entries[0]!.errorCode).toBe(0);
}

/** A kafkajs client that counts the client-side throttles it applies. */
function client(bootstrap: string, clientId: string): { kafka: Kafka; throttles: () => number } {
  let throttles = 0;
  const logCreator = () => (entry: LogEntry) => {
    if (entry.log.message.startsWith('Client side throttling in effect')) throttles++;
  };
  const kafka = new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.DEBUG, logCreator, retry: { retries: 3, initialRetryTime: 50 } });
  return { kafka, throttles: () => throttles };
}

describe('client quotas with real clients', () => {
  it('holds a kafkajs producer to producer_byte_rate within 20% over five 1 s windows; another client id is not throttled', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    const quota = 256 * 1024;
    await createTopics(broker.bootstrap, [{ topic: 'q', numPartitions: 1 }]);
    await setClientQuota(broker.bootstrap, 'held', { producer_byte_rate: quota });
    const held = client(broker.bootstrap, 'held');
    const free = client(broker.bootstrap, 'free');
    const p1 = held.kafka.producer();
    const p2 = free.kafka.producer();
    await Promise.all([p1.connect(), p2.connect()]);
    const value = Buffer.alloc(1024, 'v');
    const messages = Array.from({ length: 16 }, () => ({ value }));
    const start = Date.now();
    const warmUpMs = 2000;
    const windows = 5;
    const perWindow = new Array<number>(windows).fill(0);
    const run = async (p: typeof p1, counted: boolean) => {
      while (Date.now() - start < warmUpMs + windows * 1000) {
        await p.send({ topic: 'q', acks: 1, messages });
        const w = Math.floor((Date.now() - start - warmUpMs) / 1000);
        if (counted && w >= 0 && w < windows) perWindow[w]! += messages.length * value.length;
      }
    };
    // The second producer sends 32 requests, far over the first one's quota in total, unthrottled.
    const freeRun = (async () => {
      for (let i = 0; i < 32; i++) await p2.send({ topic: 'q', acks: 1, messages });
    })();
    await Promise.all([run(p1, true), freeRun]);
    await Promise.all([p1.disconnect(), p2.disconnect()]);
    await broker.stop();
    const mean = perWindow.reduce((a, b) => a + b, 0) / windows;
    // Record payload only: the quota also counts the request's framing (about 2% here).
    expect(mean / quota, `bytes per 1 s window: ${perWindow.join(', ')}`).toBeGreaterThan(0.8);
    expect(mean / quota, `bytes per 1 s window: ${perWindow.join(', ')}`).toBeLessThan(1.2);
    expect(held.throttles()).toBeGreaterThan(0);
    expect(free.throttles()).toBe(0);
  }, 30_000);

  it('kcat produces and consumes every record through producer_byte_rate and consumer_byte_rate', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    await setClientQuota(broker.bootstrap, 'kcat-held', { producer_byte_rate: 512 * 1024, consumer_byte_rate: 512 * 1024 });
    const lines = Array.from({ length: 1500 }, (_, i) => `${String(i).padStart(6, '0')}${'x'.repeat(994)}`);
    const p = await kcat(['-b', broker.bootstrap, '-X', 'client.id=kcat-held', '-P', '-t', 'kq'], lines.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat(['-b', broker.bootstrap, '-X', 'client.id=kcat-held', '-C', '-t', 'kq', '-e', '-o', 'beginning', '-f', '%s\n']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.split('\n').filter((l) => l !== '')).toEqual(lines);
    await broker.stop();
  }, 30_000);
});
