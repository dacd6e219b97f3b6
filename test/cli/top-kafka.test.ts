/**
 * `strand top --bootstrap-server` against a broker with no admin listener: one frame read over
 * the Kafka protocol alone (Metadata, DescribeCluster, ListOffsets, DescribeLogDirs, ListGroups,
 * OffsetFetch), with end offsets, sizes and lag a test can know exactly; and the rates of two
 * samples taken a known time apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { commitOffsets } from '../../src/client/groups.js';
import { KafkaClient } from '../../src/client/index.js';
import { key, type KafkaSample } from '../../src/cli/top/kafka.js';
import { renderKafka } from '../../src/cli/top/render-kafka.js';
import { human } from '../../src/cli/top/render.js';
import { runCli } from './run-cli.js';

function batchBytes(file: Buffer): number {
  let pos = 0;
  while (pos + 12 <= file.length && file.readInt32BE(pos + 8) > 0) pos += 12 + file.readInt32BE(pos + 8);
  return pos;
}

describe('strand top over the Kafka port', () => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'offsets.topic.num.partitions': '1' } });
    expect(broker.http).toEqual([]);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'events', messages: Array.from({ length: 30 }, (_, i) => ({ partition: 0, value: `e${i}` })) });
    await producer.send({ topic: 'events', messages: Array.from({ length: 12 }, (_, i) => ({ partition: 1, value: `f${i}` })) });
    await producer.disconnect();
    const client = new KafkaClient({ bootstrap: broker.bootstrap });
    await commitOffsets(client, 'billing', [{ topic: 'events', partition: 0, offset: 20 }, { topic: 'events', partition: 1, offset: 12 }]);
    await client.close();
  });
  afterAll(async () => broker?.stop());

  it('--once prints the cluster, exact end offsets and sizes, and the lag', async () => {
    const r = await runCli(['top', '--bootstrap-server', broker.bootstrap, '--once', '--interval', '200']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toContain(`strand top  kafka://${broker.bootstrap}  `);
    // Every topic counts, __consumer_offsets (one partition here) included, as Kafka's GlobalTopicCount; the table lists the others.
    expect(lines[1]).toMatch(/^cluster \S+ {2}brokers 1 \[0\] {2}controller 0 {2}topics 2 {2}partitions 3 {2}under-replicated 0 {2}offline 0$/);
    // The size is the record batches in the partitions' log files (the native backend preallocates
    // them, so the files are longer): each batch is its 12-byte offset and length, then length bytes.
    const bytes = [0, 1].map((p) => join(broker.dataDir, `events-${p}`)).flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.log')).map((f) => batchBytes(readFileSync(join(d, f))))).reduce((a, b) => a + b, 0);
    expect(bytes).toBeGreaterThan(0);
    // TOPIC, PARTITIONS, MSG IN/S, BYTES IN/S, SIZE, END OFFSETS: nothing moved during the interval.
    expect(lines.find((l) => l.startsWith('events '))!.split(/\s+/)).toEqual(['events', '2', '0', '0B', human(bytes, 'B'), '42']);
    expect(lines.some((l) => l.startsWith('__consumer_offsets'))).toBe(false);
    expect(lines.find((l) => l.startsWith('billing ') && !l.includes('events'))!.split(/\s+/)).toEqual(['billing', 'Empty', '0', '10']);
    expect(lines.find((l) => l.startsWith('billing ') && l.includes('events'))!.split(/\s+/)).toEqual(['billing', 'events', '0', '20', '30', '10']);
    expect(r.stdout).not.toContain('not read:');
  });

  it('refuses --url with --bootstrap-server', async () => {
    const both = await runCli(['top', '--bootstrap-server', broker.bootstrap, '--url', 'http://127.0.0.1:8080', '--once']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('give --url (the admin listener) or --bootstrap-server (the Kafka port), not both');
  });
});

describe('rates from two Kafka samples', () => {
  const sample = (at: number, end: number, size: number, committed: number): KafkaSample => ({
    at, clusterId: 'c1', controller: 1, brokers: [1, 2, 3],
    topics: [{ name: 'orders', internal: false, partitions: 1, underReplicated: 1, offline: 0 }],
    end: new Map([[key('orders', 0), end]]), size: new Map([[key('orders', 0), size]]),
    groups: [{ group: 'g', state: 'Stable' }], committed: [{ group: 'g', state: 'Stable', topic: 'orders', partition: 0, offset: committed }],
    problems: at > 0 ? ['DescribeLogDirs at broker 3: CLUSTER_AUTHORIZATION_FAILED'] : [],
  });

  it('turns end offsets, sizes and committed offsets into per-second rates', () => {
    const lines = renderKafka('k:9092', sample(0, 1000, 100_000, 900), sample(2000, 1500, 160_000, 1300)).split('\n');
    expect(lines[0]).toMatch(/^strand top {2}kafka:\/\/k:9092 {2}\S+ {2}\(rates over 2\.0 s\)$/);
    expect(lines[1]).toBe('cluster c1  brokers 3 [1,2,3]  controller 1  topics 1  partitions 1  under-replicated 1  offline 0');
    expect(lines.find((l) => l.startsWith('orders'))!.split(/\s+/)).toEqual(['orders', '1', '250', '30.0kB', '160.0kB', '1500']);
    expect(lines.find((l) => l.startsWith('g ') && l.includes('Stable'))!.split(/\s+/)).toEqual(['g', 'Stable', '200', '200']);
    expect(lines.find((l) => l.startsWith('g ') && l.includes('orders'))!.split(/\s+/)).toEqual(['g', 'orders', '0', '1300', '1500', '200']);
    expect(lines).toContain('not read: DescribeLogDirs at broker 3: CLUSTER_AUTHORIZATION_FAILED');
  });
});
