/**
 * A log directory of Apache Kafka 3.x (test/fixtures/kafka-3.7, its layout in make.ts) opens in
 * strand: strand's on-disk format is Kafka's (RecordBatch v2 segments, 8-byte offset and 12-byte
 * time index entries, Kafka's checkpoint files), so the embedded API reads the partitions
 * as they are, through their indexes, and appends after them; a broker on the directory adopts
 * the logs when the topic is created with its partition count (strand keeps its topic metadata
 * apart, Kafka's is in its KRaft log) and kcat reads every record byte for byte.
 */
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { openLog, openStore } from '../../src/index.js';
import { LAYOUT, makeKafkaDataDir, NODE_ID, recordOf, TOPIC } from '../fixtures/kafka-3.7/make.js';
import { createTopics } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';
import { tmpDir } from '../helpers/tmp.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/kafka-3.7/data', import.meta.url));

function copyFixture(): string {
  const dir = join(tmpDir(), 'data');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out.set(join(entry.parentPath, entry.name).slice(dir.length), readFileSync(join(entry.parentPath, entry.name)));
  }
  return out;
}

describe('a Kafka 3.x log directory', () => {
  it('is what make.ts writes from Kafka\'s layout', () => {
    const again = join(tmpDir(), 'data');
    makeKafkaDataDir(again);
    expect(filesOf(again)).toEqual(filesOf(FIXTURE));
  });

  it('opens with openLog: every record, reads through the index, and appends after them', async () => {
    const dir = join(copyFixture(), `${TOPIC}-0`);
    const log = await openLog(dir);
    try {
      expect([log.startOffset, log.endOffset]).toEqual([0, 10]);
      const all = [];
      for (let offset = 0; offset < 10; ) {
        const { records } = await log.read(offset);
        all.push(...records);
        offset = records.at(-1)!.offset + 1;
      }
      expect(all.map((r) => ({ offset: r.offset, key: r.key!.toString(), value: r.value!.toString(), timestamp: r.timestamp, headers: r.headers.map((h) => [h.key, h.value!.toString()]) }))).toEqual(
        Array.from({ length: 10 }, (_, o) => {
          const r = recordOf(0, o);
          return { offset: o, key: r.key, value: r.value, timestamp: r.timestamp, headers: [['source', 'kafka-3.7']] };
        }),
      );
      // Offset 7: in the second segment (base 6), found through its index, in the batch of 6 and 7.
      expect((await log.read(7)).records.map((r) => r.offset)).toEqual([7, 8, 9]);
      expect((await log.append([{ key: 'k', value: 'after kafka' }])).baseOffset).toBe(10);
    } finally {
      await log.close();
    }
    const reopened = await openLog(dir);
    expect(reopened.endOffset).toBe(11);
    expect((await reopened.read(10)).records.map((r) => r.value!.toString())).toEqual(['after kafka']);
    await reopened.close();
  });

  it('opens as a store, with Kafka\'s checkpoints', async () => {
    const store = await openStore(copyFixture());
    try {
      for (const { partition, count } of LAYOUT) {
        const log = (await store.partition(TOPIC, partition))!;
        expect([log.startOffset, log.endOffset]).toEqual([0, count]);
      }
    } finally {
      await store.close();
    }
  });

  it('is served to kcat by a broker once the topic is created over its logs', async () => {
    const dataDir = copyFixture();
    const broker = await startBroker({ dataDir, config: { 'node.id': String(NODE_ID), 'auto.create.topics.enable': 'false' } });
    try {
      await createTopics(broker.bootstrap, [{ topic: TOPIC, numPartitions: LAYOUT.length }]);
      for (const { partition, count } of LAYOUT) {
        const r = await kcat(['-C', '-b', broker.bootstrap, '-t', TOPIC, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o %k %T %h %s\n']);
        expect(r.stdout.trimEnd().split('\n')).toEqual(Array.from({ length: count }, (_, o) => {
          const rec = recordOf(partition, o);
          return `${o} ${rec.key} ${rec.timestamp} source=kafka-3.7 ${rec.value}`;
        }));
      }
    } finally {
      await broker.stop();
    }
  });
});
