/**
 * `strand top --once` against a running broker's admin listener: one frame whose totals are
 * exactly what a client produced and whose lag is what a group left unread; a broker without the
 * listener is a clear error.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { KafkaClient } from '../../src/client/index.js';
import { commitOffsets } from '../../src/client/groups.js';
import { parseMetrics } from '../../src/cli/top/scrape.js';
import { runCli } from './run-cli.js';

describe('strand top', () => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0', 'offsets.topic.num.partitions': '1' } });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'events', messages: Array.from({ length: 42 }, (_, i) => ({ value: `e${i}` })) });
    await producer.disconnect();
    const client = new KafkaClient({ bootstrap: broker.bootstrap });
    await commitOffsets(client, 'billing', [{ topic: 'events', partition: 0, offset: 30 }]);
    await client.close();
  });
  afterAll(async () => broker?.stop());

  it('--once prints one frame with the exact totals and lag', async () => {
    const r = await runCli(['top', '--url', broker.http[0]!, '--once', '--interval', '200']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toContain(`strand top  ${broker.http[0]}`);
    expect(lines[1]).toMatch(/under-replicated 0 {2}offline 0/);
    const topic = lines.find((l) => l.startsWith('events '))!.split(/\s+/);
    // TOPIC, MSG IN/S, BYTES IN/S, MSG OUT/S, BYTES OUT/S, MSG IN, MSG OUT: nothing moved during the interval.
    expect(topic).toEqual(['events', '0', '0B', '0', '0B', '42', '0']);
    expect(lines.find((l) => l.startsWith('billing '))!.split(/\s+/)).toEqual(['billing', 'events', '0', '12']);
    expect(lines.some((l) => /^Produce\s+0\s+0\.00\s+1$/.test(l))).toBe(true);
  });

  it('says where it looked when no admin listener answers', async () => {
    const r = await runCli(['top', '--url', 'http://127.0.0.1:1', '--once']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read http://127.0.0.1:1/metrics');
  });

  it('parses the Prometheus text format, labels with escapes included', () => {
    expect(parseMetrics('# HELP x y\nx_total{a="b\\"c",d="e"} 3\nup 1 1700000000000\nh_bucket{le="+Inf"} +Inf\n')).toEqual([
      { name: 'x_total', labels: { a: 'b"c', d: 'e' }, value: 3 },
      { name: 'up', labels: {}, value: 1 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: Infinity },
    ]);
  });
});
