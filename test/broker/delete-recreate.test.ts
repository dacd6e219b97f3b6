/**
 * Topics deleted and created again under the same names, concurrently and many times (by
 * Metadata auto-creation and by CreateTopics, deleted by name and by topic id), on compacted
 * topics so the cleaner is often busy in a directory being deleted. Every incarnation's data reads
 * back intact, the graceful stop succeeds, and after a restart the last incarnations are there
 * with the topic ids seen.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { CreateTopicsApi, DeleteTopicsApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../src/protocol/reader.js';
import { fetchAll, kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

const NAMES = ['dr-a', 'dr-b', 'dr-c', 'dr.d'];
// npm test's second pass (the portable backend) runs 20 rounds: its file operations (directory
// renames and deletions racing creations) are met 80 times over; the native pass keeps all 50.
const ROUNDS = process.env.STRAND_BACKEND === 'portable' ? 20 : 50;
const PARTITIONS = 2;
const RECORDS = 30;
const CONFIG = {
  'num.partitions': String(PARTITIONS),
  'log.cleanup.policy': 'compact',
  'log.segment.bytes': '1024',
  'log.cleaner.backoff.ms': '1',
  'log.cleaner.min.cleanable.ratio': '0.01',
  'offsets.topic.num.partitions': '1',
};

interface Incarnation {
  topicId: string;
  values: string[][]; // per partition
}

async function topicId(c: RawClient, name: string, autoCreate: boolean): Promise<{ errorCode: number; topicId: string }> {
  const res = await c.request(MetadataApi, 12, { topics: [{ name, topicId: ZERO_UUID }], allowAutoTopicCreation: autoCreate, includeTopicAuthorizedOperations: false });
  const t = res.topics[0]!;
  return { errorCode: t.errorCode, topicId: t.topicId };
}

/** Create `name` again (it may still be the old one for a moment): until a topic with another id than `oldId` is there. */
async function recreate(c: RawClient, name: string, oldId: string, byCreateTopics: boolean): Promise<string> {
  for (let attempt = 0; attempt < 10_000; attempt++) {
    if (byCreateTopics) {
      const res = await c.request(CreateTopicsApi, 7, {
        topics: [{ name, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '1100' }] }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      const t = res.topics[0]!;
      if (t.errorCode === 0) return t.topicId;
      expect(t.errorCode).toBe(36); // TOPIC_ALREADY_EXISTS: the delete has not happened yet
    } else {
      const t = await topicId(c, name, true);
      expect(t.errorCode).toBe(0);
      if (t.topicId !== oldId) return t.topicId;
    }
  }
  throw new Error(`${name} was never created again`);
}

async function produce(c: RawClient, name: string, round: number): Promise<string[][]> {
  const values: string[][] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const vs = Array.from({ length: RECORDS }, (_, i) => `${name}/${round}/${p}/${i}`);
    values.push(vs);
    // Distinct keys, so compaction rewrites segments but keeps every record.
    for (let i = 0; i < RECORDS; i += 3) {
      const records = encodeBatch(vs.slice(i, i + 3).map((value, j) => ({ key: `k${i + j}`, value })));
      const res = await c.request(ProduceApi, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name, partitionData: [{ index: p, records }] }] });
      const r = res.responses[0]!.partitionResponses[0]!;
      expect({ errorCode: r.errorCode, baseOffset: Number(r.baseOffset) }).toEqual({ errorCode: 0, baseOffset: i });
    }
  }
  return values;
}

async function readBack(bootstrap: string, name: string): Promise<string[][]> {
  const kafka = kafkajs(bootstrap);
  const out: string[][] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const got = await fetchAll(kafka, name, p);
    expect(got.map((m) => Number(m.offset))).toEqual(Array.from({ length: got.length }, (_, i) => i));
    out.push(got.map((m) => m.value!.toString()));
  }
  return out;
}

describe('deleting topics while they are created again', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strand-delete-recreate-'));
  let broker: RunningBroker | undefined;
  afterAll(async () => {
    await broker?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${ROUNDS} rounds over ${NAMES.length} names: every incarnation keeps its data, and the last ones survive a restart`, async () => {
    broker = await startBroker({ dataDir, config: CONFIG, logLevel: process.env.DELETE_RECREATE_LOG ?? 'silent' });
    const clients = await Promise.all(NAMES.map(async () => ({ deleter: await RawClient.open(broker!.bootstrap), creator: await RawClient.open(broker!.bootstrap) })));
    const last = new Map<string, Incarnation>();
    try {
      // First incarnations.
      await Promise.all(NAMES.map(async (name, n) => {
        const c = clients[n]!.creator;
        const id = await recreate(c, name, '', false);
        last.set(name, { topicId: id, values: await produce(c, name, 0) });
      }));
      for (let round = 1; round <= ROUNDS; round++) {
        await Promise.all(NAMES.map(async (name, n) => {
          const { deleter, creator } = clients[n]!;
          const old = last.get(name)!;
          const byId = (round + n) % 2 === 0;
          const deleting = deleter.request(DeleteTopicsApi, 6, { topics: [byId ? { name: null, topicId: old.topicId } : { name, topicId: ZERO_UUID }], timeoutMs: 5000 });
          const created = recreate(creator, name, old.topicId, (round + n) % 3 === 0);
          const res = await deleting;
          expect({ errorCode: res.responses[0]!.errorCode, topicId: res.responses[0]!.topicId }).toEqual({ errorCode: 0, topicId: old.topicId });
          const id = await created;
          expect(id).not.toBe(old.topicId);
          expect(await topicId(creator, name, false)).toEqual({ errorCode: 0, topicId: id });
          const values = await produce(creator, name, round);
          expect(await readBack(broker!.bootstrap, name)).toEqual(values);
          last.set(name, { topicId: id, values });
        }));
      }
    } finally {
      for (const c of clients) {
        c.deleter.close();
        c.creator.close();
      }
    }
    // The graceful stop must succeed (it failed when a partition's directory was removed under it).
    await broker.stop();
    broker = undefined;
    expect(readdirSync(dataDir).filter((d) => NAMES.some((name) => d.startsWith(name))).sort()).toEqual(NAMES.flatMap((name) => Array.from({ length: PARTITIONS }, (_, p) => `${name}-${p}`)).sort());

    broker = await startBroker({ dataDir, config: CONFIG, logLevel: process.env.DELETE_RECREATE_LOG ?? 'silent' });
    const c = await RawClient.open(broker.bootstrap);
    try {
      for (const name of NAMES) {
        expect(await topicId(c, name, false)).toEqual({ errorCode: 0, topicId: last.get(name)!.topicId });
        expect(await readBack(broker.bootstrap, name)).toEqual(last.get(name)!.values);
      }
    } finally {
      c.close();
    }
  }, 300_000);
});
