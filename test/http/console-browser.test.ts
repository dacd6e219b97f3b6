/**
 * The console page in headless Chromium (Debian's `chromium`, driven by playwright-core): it
 * lists a topic created a moment earlier, its lag chart follows a consumer group catching up,
 * and it browses the topic's messages. The screenshot goes to test-artifacts/console.png.
 * Skipped where no Chromium is installed (apt-get install chromium).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { KafkaClient } from '../../src/client/index.js';
import { commitOffsets } from '../../src/client/groups.js';
import { until } from '../helpers/until.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

describe('console page', () => {
  let broker: RunningBroker;
  let base: string;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0', 'offsets.topic.num.partitions': '1' } });
    base = broker.http[0]!;
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => broker?.stop());

  it.skipIf(CHROMIUM === undefined)('shows a new topic, browses it, and charts a group\'s lag falling in headless Chromium', async () => {
    const { chromium } = await import('playwright-core');
    expect((await call(base, 'POST', '/api/topics', { name: 'shown', partitions: 1 })).status).toBe(201);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'shown', messages: Array.from({ length: 20 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}` })) });
    await producer.disconnect();
    // A group that committed 5 of 20 (an OffsetCommit without members, as kafka-consumer-groups --reset-offsets does): lag 15.
    const client = new KafkaClient({ bootstrap: broker.bootstrap });
    const commit = async (offset: number) => expect((await commitOffsets(client, 'readers', [{ topic: 'shown', partition: 0, offset }])).map((r) => r.error)).toEqual([null]);
    await commit(5);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/?refresh=250`);
      await page.locator('#topics tr[data-topic="shown"]').waitFor({ timeout: 15_000 });
      await page.locator('#groups tr[data-group="readers"]').click();
      await until('the lag chart shows 15', async () => (await page.locator('#lag-chart').getAttribute('data-last-lag')) === '15', 15_000);
      await commit(20); // the group catches up
      await until('the lag chart falls to 0', async () => (await page.locator('#lag-chart').getAttribute('data-last-lag')) === '0', 15_000);
      await page.selectOption('#browse-topic', 'shown');
      await page.fill('#browse input[name="at"]', '3');
      await page.fill('#browse input[name="limit"]', '5');
      await page.click('#browse button');
      await page.locator('#messages tr[data-offset="7"]').waitFor({ timeout: 10_000 });
      expect(await page.locator('#messages tbody tr').count()).toBe(5);
      expect(await page.locator('#messages tr[data-offset="3"] td').nth(3).innerText()).toBe('value-3');
      mkdirSync('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/console.png', fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await client.close();
    }
  });
});
