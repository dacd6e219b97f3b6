/**
 * `/ready` while a large data directory is recovered: a topic of many partitions, each of many
 * segments, left as a crash leaves it (no clean-shutdown marker, no recovery-point checkpoint, a
 * torn write at the end of every partition), written once with the storage API and once by a
 * broker process that is SIGKILLed. The broker
 * binds its admin listener before it opens the directory; while recovery runs, `/ready` answers
 * 503 and `/health` 200, and once the broker is up `/ready` answers 200. The probes' answers and
 * recovery's warnings are put in one sequence, so "during" is shown by order, not by timing.
 */
import { appendFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { logger as rootLogger } from '../../src/logger.js';
import { Store } from '../../src/storage/store.js';
import { spawnBroker } from '../helpers/broker-process.js';
import { tmpDir } from '../helpers/tmp.js';

const TOPIC = 'recovering';
const PARTITIONS = 48;
const BATCHES = 24;
const RECORDS_PER_BATCH = 20;
const TORN = Buffer.from('a torn write: not a record batch, whatever the crash left of it.....');

afterEach(() => {
  vi.restoreAllMocks();
});

/** The topic made by a broker (so it is known as a topic), its data written and left unclean with the storage API. */
async function crashedDirectory(dataDir: string): Promise<void> {
  const config = () => new BrokerConfig(new Map([['log.dirs', dataDir], ['listeners', 'PLAINTEXT://127.0.0.1:0'], ['offsets.topic.num.partitions', '1']]));
  const quiet = pino({ level: 'silent' });
  const broker = await Broker.start(config(), quiet);
  broker.topics.create(TOPIC, PARTITIONS, new Map());
  await broker.stop();
  const store = await Store.open(dataDir);
  const value = Buffer.alloc(900, 'v');
  for (let p = 0; p < PARTITIONS; p++) {
    // 16 KiB segments: about one batch each, so every partition has many segments to scan.
    const log = (await store.partition(TOPIC, p, { create: true, config: { segmentBytes: 16 * 1024 } }))!;
    for (let b = 0; b < BATCHES; b++) await log.append(Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `${p}-${b}-${i}`, value })));
  }
  await store.close();
  rmSync(join(dataDir, '.kafka_cleanshutdown'));
  rmSync(join(dataDir, 'recovery-point-offset-checkpoint'));
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = join(dataDir, `${TOPIC}-${p}`);
    const last = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
    appendFileSync(join(dir, last), TORN);
  }
}

/**
 * The same directory as a crash leaves it for real: a broker process takes the records through
 * kafkajs and is SIGKILLed (no clean-shutdown marker; its recovery checkpoint, written every
 * 60 s, not yet written), then each partition's last segment gets the torn tail a power cut
 * could leave, so recovery has something to drop in every partition.
 */
async function killedDirectory(dataDir: string): Promise<void> {
  const broker = await spawnBroker(dataDir, { env: { STRAND_TEST_BROKER_CONFIG: JSON.stringify({ 'log.segment.bytes': String(24 * 1024), 'offsets.topic.num.partitions': '1' }) } });
  try {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const value = Buffer.alloc(900, 'v');
    for (let b = 0; b < BATCHES; b++) {
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: PARTITIONS * RECORDS_PER_BATCH }, (_, i) => ({ partition: i % PARTITIONS, key: `${i % PARTITIONS}-${b}-${i}`, value })) });
    }
    await producer.disconnect();
  } finally {
    broker.child.kill('SIGKILL');
    await broker.exited;
  }
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = join(dataDir, `${TOPIC}-${p}`);
    const last = readdirSync(dir).filter((f) => f.endsWith('.log')).sort().at(-1)!;
    appendFileSync(join(dir, last), TORN);
  }
}

describe('/ready during recovery', () => {
  it.each([['written with the storage API', crashedDirectory], ['of a SIGKILLed broker', killedDirectory]] as const)('is 503 while the logs %s are recovered and 200 after, with /health 200 throughout', async (_, crash) => {
    const dataDir = tmpDir('strand-ready-');
    await crash(dataDir);

    const events: string[] = [];
    vi.spyOn(rootLogger, 'warn').mockImplementation(((_obj: unknown, msg?: string) => {
      if (typeof msg === 'string' && msg.startsWith('recovery: truncated')) events.push('truncated');
    }) as typeof rootLogger.warn);
    // The admin listener's address, from its own log line, written before the directory is opened.
    let announce: (url: string) => void = () => {};
    const bound = new Promise<string>((resolve) => {
      announce = resolve;
    });
    const sink = pino({ level: 'info' }, {
      write(line: string) {
        const entry = JSON.parse(line) as { msg: string; http?: string[] };
        if (entry.msg === 'admin http listening') announce(entry.http![0]!);
      },
    });
    const config = new BrokerConfig(new Map([['log.dirs', dataDir], ['listeners', 'PLAINTEXT://127.0.0.1:0'], ['http.listeners', 'http://127.0.0.1:0']]));
    let up = false;
    const starting = Broker.start(config, sink).then((b) => {
      up = true;
      events.push('started');
      return b;
    });
    const base = await bound;
    const probe = async (path: string) => {
      const res = await fetch(base + path);
      await res.arrayBuffer();
      events.push(`${path} ${res.status}`);
    };
    // Back to back until the broker is up: each probe is answered between two partitions' recovery.
    while (!up) await Promise.all([probe('/health'), probe('/ready')]);
    const broker = await starting;
    try {
      await probe('/ready');
      expect(events.at(-1)).toBe('/ready 200');
      expect(events.filter((e) => e === 'truncated')).toHaveLength(PARTITIONS);
      const first = events.indexOf('truncated');
      const last = events.lastIndexOf('truncated');
      const during = events.slice(first, last);
      expect(during).toContain('/ready 503');
      expect(during).toContain('/health 200');
      expect(events.filter((e) => e.startsWith('/health') && e !== '/health 200')).toEqual([]);
      // Not ready until started, ready from then on.
      const started = events.indexOf('started');
      expect(events.slice(0, started).filter((e) => e.startsWith('/ready') && e !== '/ready 503')).toEqual([]);

      // What recovery kept: every batch written, the torn tails dropped.
      const kafka = new Kafka({ brokers: [broker.addresses()[0]!], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(TOPIC);
      await admin.disconnect();
      expect(offsets.map((o) => Number(o.high)).sort()).toEqual(Array.from({ length: PARTITIONS }, () => BATCHES * RECORDS_PER_BATCH));
    } finally {
      await broker.stop();
    }
  });
});
