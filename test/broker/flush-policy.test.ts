/**
 * flush.messages / flush.ms and the broker's log.flush.interval.messages / log.flush.interval.ms,
 * through kafkajs against an in-process broker, with fsyncs counted exactly (io.fsyncCount):
 * N messages with flush.messages=M cost floor(N / M) fsyncs, a topic override wins over the
 * broker's setting, flush.ms makes acks=all wait for a periodic group fsync, and both together
 * fsync at whichever comes first. DescribeConfigs shows what is in force and where it comes from.
 */
import { ConfigResourceTypes, type Producer } from 'kafkajs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { io } from '../../src/io/index.js';
import { logger } from '../../src/logger.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/frame.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import { createTopics, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

const MESSAGES = 10;

async function start(config: Record<string, string>): Promise<{ broker: Broker; bootstrap: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'strand-flush-'));
  // No checkpoint or retention timer may fsync while fsyncs are counted.
  const source = new Map(Object.entries({ 'log.dirs': dir, 'listeners': 'PLAINTEXT://127.0.0.1:0', 'log.flush.offset.checkpoint.interval.ms': '3600000', ...config }));
  const broker = await Broker.start(new BrokerConfig(source), logger.child({}, { level: 'warn' }));
  return {
    broker,
    bootstrap: `${broker.advertisedHost}:${broker.advertisedPort}`,
    async stop() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The log of `topic` after one message and a sync, so that what follows counts only its own
 * fsyncs: a new segment file's first fsync also fsyncs its directory.
 */
async function synced(broker: Broker, producer: Producer, topic: string) {
  const log = broker.topics.log(topic, 0)!;
  await producer.send({ topic, acks: 1, messages: [{ value: 'first' }] });
  await log.sync();
  await log.flushed();
  expect(log.endOffset).toBe(1);
  return log;
}

/**
 * fsyncs while `MESSAGES` messages go to `topic` one Produce request at a time. Each request
 * waits for the flush it may have started (flushes that overlap merge into one, as a group
 * commit should, which would make the count depend on timing).
 */
async function fsyncsFor(broker: Broker, producer: Producer, topic: string, acks = -1): Promise<number> {
  const log = await synced(broker, producer, topic);
  const before = io.fsyncCount();
  for (let i = 0; i < MESSAGES; i++) {
    await producer.send({ topic, acks, messages: [{ value: `m${i}` }] });
    await log.flushed();
  }
  expect(log.endOffset).toBe(1 + MESSAGES);
  return io.fsyncCount() - before;
}

async function described(bootstrap: string, type: ConfigResourceTypes, name: string, configNames: string[]): Promise<Record<string, { value: string; source: number }>> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  try {
    const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type, name, configNames }] });
    return Object.fromEntries(res.resources[0]!.configEntries.map((e) => [e.configName, { value: e.configValue, source: (e as unknown as { configSource: number }).configSource }]));
  } finally {
    await admin.disconnect();
  }
}

const DYNAMIC_TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;
const LONG_MAX = '9223372036854775807';

describe('flush.messages and flush.ms on a broker without flush defaults', () => {
  let b: Awaited<ReturnType<typeof start>>;
  let producer: Producer;
  beforeAll(async () => {
    b = await start({});
    await createTopics(b.bootstrap, [
      { topic: 'every3', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: '3' }] },
      { topic: 'plain', numPartitions: 1 },
      { topic: 'timed', numPartitions: 1, configEntries: [{ name: 'flush.ms', value: '150' }] },
      { topic: 'both', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: '3' }, { name: 'flush.ms', value: '60000' }] },
    ]);
    producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await b.stop();
  });

  it('flush.messages=3: 10 messages, one request each, cost exactly 3 fsyncs (one per 3 messages), not one per message and not none', async () => {
    expect(b.broker.topics.log('every3', 0)!.config.flush).toEqual({ messages: 3 });
    expect(await fsyncsFor(b.broker, producer, 'every3')).toBe(3);
  });

  it('no flush setting: no fsync', async () => {
    expect(await fsyncsFor(b.broker, producer, 'plain')).toBe(0);
  });

  it('flush.ms=150: each acks=all request waits for the next periodic group fsync, one fsync each when sent one at a time', async () => {
    const log = await synced(b.broker, producer, 'timed');
    expect(log.config.flush).toEqual({ intervalMs: 150 });
    const before = io.fsyncCount();
    const started = Date.now();
    for (let i = 0; i < 4; i++) await producer.send({ topic: 'timed', acks: -1, messages: [{ value: `t${i}` }] });
    const elapsed = Date.now() - started;
    expect(io.fsyncCount() - before).toBe(4);
    // Each fsync runs 150 ms after the previous one (the first, after the sync above, sooner).
    expect(elapsed).toBeGreaterThanOrEqual(3 * 150);
  });

  it('flush.ms=60000 with flush.messages=3: three pipelined acks=all messages are answered after the one fsync the third starts, not after a minute', async () => {
    const log = await synced(b.broker, producer, 'both');
    expect(log.config.flush).toEqual({ intervalMs: 60_000, messages: 3 });
    const c = await RawClient.open(b.bootstrap);
    try {
      const before = io.fsyncCount();
      const started = Date.now();
      for (let i = 0; i < 3; i++) c.write(encodeRequestFrame(ProduceApi, 7, 10 + i, 'flush', { transactionalId: null, acks: -1, timeoutMs: 120_000, topicData: [{ name: 'both', partitionData: [{ index: 0, records: encodeBatch([{ value: `b${i}` }]) }] }] }));
      const offsets: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const frame = await c.readFrame(20_000);
        const p = decodeResponseFrame(ProduceApi, 7, frame!).body.responses[0]!.partitionResponses[0]!;
        expect(p.errorCode).toBe(0);
        offsets.push(p.baseOffset);
      }
      expect(offsets).toEqual([1n, 2n, 3n]);
      expect(Date.now() - started).toBeLessThan(20_000);
      await log.flushed();
      expect(io.fsyncCount() - before).toBe(1);
    } finally {
      c.close();
    }
  });

  it('DescribeConfigs shows the overrides as the topic\'s and the rest as defaults', async () => {
    expect(await described(b.bootstrap, ConfigResourceTypes.TOPIC, 'every3', ['flush.messages', 'flush.ms'])).toEqual({
      'flush.messages': { value: '3', source: DYNAMIC_TOPIC_CONFIG },
      'flush.ms': { value: LONG_MAX, source: DEFAULT_CONFIG },
    });
    expect(await described(b.bootstrap, ConfigResourceTypes.TOPIC, 'both', ['flush.messages', 'flush.ms'])).toEqual({
      'flush.messages': { value: '3', source: DYNAMIC_TOPIC_CONFIG },
      'flush.ms': { value: '60000', source: DYNAMIC_TOPIC_CONFIG },
    });
  });
});

describe('log.flush.interval.messages=3 as the broker default', () => {
  let b: Awaited<ReturnType<typeof start>>;
  let producer: Producer;
  beforeAll(async () => {
    b = await start({ 'log.flush.interval.messages': '3' });
    await createTopics(b.bootstrap, [
      { topic: 'inherits', numPartitions: 1 },
      { topic: 'every5', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: '5' }] },
      { topic: 'never', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: LONG_MAX }] },
    ]);
    producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await b.stop();
  });

  it('a topic without an override fsyncs every 3 messages: exactly 3 fsyncs for 10, with acks=1 as with acks=all', async () => {
    expect(await fsyncsFor(b.broker, producer, 'inherits', 1)).toBe(3);
  });

  it('a topic override wins over the broker default: flush.messages=5 gives 2 fsyncs, Long.MAX_VALUE none', async () => {
    expect(await fsyncsFor(b.broker, producer, 'every5')).toBe(2);
    expect(await fsyncsFor(b.broker, producer, 'never')).toBe(0);
  });

  it('DescribeConfigs shows the broker setting as the inherited topic value, and the broker\'s own', async () => {
    expect(await described(b.bootstrap, ConfigResourceTypes.TOPIC, 'inherits', ['flush.messages'])).toEqual({ 'flush.messages': { value: '3', source: STATIC_BROKER_CONFIG } });
    expect(await described(b.bootstrap, ConfigResourceTypes.TOPIC, 'every5', ['flush.messages'])).toEqual({ 'flush.messages': { value: '5', source: DYNAMIC_TOPIC_CONFIG } });
    expect(await described(b.bootstrap, ConfigResourceTypes.BROKER, String(b.broker.nodeId), ['log.flush.interval.messages'])).toEqual({ 'log.flush.interval.messages': { value: '3', source: STATIC_BROKER_CONFIG } });
  });
});
