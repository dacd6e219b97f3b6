/**
 * kcat (librdkafka) producing lines without a key (-K with no delimiter on the line: a null key)
 * to a compacted topic. Debian's librdkafka 2.0.2 sends Produce v7, whose response carries no
 * record_errors, so every message of the refused batch fails with INVALID_RECORD and none is
 * stored; the same lines to a topic that is not compacted, and the keyed lines alone, are stored.
 * (Which records failed is asserted through the wire in test/broker/record-errors.test.ts; a
 * librdkafka that sends Produce v8+ fails only those and reports the others as
 * _INVALID_DIFFERENT_RECORD: this test then asks to be extended.)
 */
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';

const lines = Array.from({ length: 100 }, (_, i) => (i % 10 === 3 ? `nokey ${i}` : `k${i}:v${i}`));

describe('kcat: keyless lines to a compacted topic', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent' });
    kafka = kafkajs(broker.bootstrap);
    await createTopics(broker.bootstrap, [{ topic: 'table', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }, { topic: 'stream' }]);
  });
  afterAll(async () => {
    await broker.stop();
  });

  const produce = (topic: string, input: string[]) =>
    kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-K', ':', '-X', 'linger.ms=200', '-d', 'protocol'], input.join('\n') + '\n', 30_000);

  it('the batch fails as a whole at Produce v7; the keyed lines alone, and a stream, are stored', async () => {
    const refused = await produce('table', lines);
    const version = /Sent ProduceRequest \(v(\d+)/.exec(refused.stderr)?.[1];
    expect(version, 'a librdkafka that sends Produce v8+ sees record_errors: extend this test').toBe('7');
    expect(refused.code).toBe(1);
    expect(refused.stderr.match(/Delivery failed for message: Broker: Broker failed to validate record/g)).toHaveLength(100);
    expect(await fetchAll(kafka, 'table', 0)).toEqual([]);

    const keyed = lines.filter((l) => l.includes(':'));
    expect((await produce('table', keyed)).code).toBe(0);
    expect((await fetchAll(kafka, 'table', 0)).map((m) => m.key?.toString())).toEqual(keyed.map((l) => l.split(':')[0]));

    expect((await produce('stream', lines)).code).toBe(0);
    const stream = await fetchAll(kafka, 'stream', 0);
    expect(stream.filter((m) => m.key === null).map((m) => m.value?.toString())).toEqual(lines.filter((l) => !l.includes(':')));
    expect(stream).toHaveLength(100);
  });
});
