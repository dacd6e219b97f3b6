/**
 * A decompression bomb sent to the broker: a 1 GiB gzip batch (about 1 MB on the wire, under
 * max.message.bytes, with well-formed records) is refused with INVALID_RECORD before more than
 * the bound (64 x max.message.bytes by default) is inflated; the broker goes on serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { compressBatch } from '../../src/format/compression.js';
import { ApiVersionsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { gzipBomb } from '../helpers/gzip-bomb.js';
import { createTopics, fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

const MIB = 1024 * 1024;

describe('decompression bombs', () => {
  let broker: RunningBroker;
  let c: RawClient;
  beforeAll(async () => {
    broker = await startBroker();
    c = await RawClient.open(broker.bootstrap);
    await createTopics(broker.bootstrap, [{ topic: 'bombs' }]);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  const produce = (topic: string, records: Buffer) =>
    c.request(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!);

  it('refuses a 1 GiB gzip bomb without inflating it, and serves the next requests', async () => {
    // Large enough for the worker pool: its threads start here, not during the measurement.
    const warm = compressBatch(Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, value: `warm-up ${i}`.padEnd(120, '-') })), 'gzip');
    expect((await produce('bombs', warm)).errorCode).toBe(0);

    const bomb = await gzipBomb(1024 * MIB);
    expect(bomb.length).toBeLessThan(1048588);
    const rssBefore = process.memoryUsage().rss;
    const r = await produce('bombs', bomb);
    // Peak resident memory of this process (the broker runs in it): inflating the bomb would
    // have added over 1 GiB; the bound keeps it to about 64 MiB per decompression.
    const grew = process.resourceUsage().maxRSS * 1024 - rssBefore;
    expect(r).toMatchObject({ errorCode: 87, baseOffset: -1n });
    expect(r.errorMessage).toBe(`bombs-0: batch 0 at byte 0: gzip records decompress to more than ${64 * 1048588} bytes`);
    expect(grew).toBeLessThan(512 * MIB);

    // Up and serving: the same connection, a new client, the log unchanged by the refusal.
    expect((await c.request(ApiVersionsApi, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).errorCode).toBe(0);
    expect((await produce('bombs', compressBatch([{ key: 'after', value: 'the bomb' }], 'gzip'))).baseOffset).toBe(3000n);
    const all = await fetchAll(kafkajs(broker.bootstrap), 'bombs', 0);
    expect(all.length).toBe(3001);
    expect(all[3000]!.value!.toString()).toBe('the bomb');
  });
});
