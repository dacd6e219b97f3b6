import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../src/broker/config.js';
import { TopicsFileSchema } from '../../src/broker/meta/topics_pb.js';
import { MAX_PARTITIONS_PER_TOPIC, METADATA_DIR, TOPICS_FILE, TopicManager } from '../../src/broker/topics.js';
import { KafkaErrorCode, StrandError } from '../../src/errors.js';
import { Store } from '../../src/storage/store.js';
import { tmpDir } from '../helpers/tmp.js';

const silent = pino({ level: 'silent' });

function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

async function open(dir: string, settings: Record<string, string> = {}, logger = silent) {
  const config = new BrokerConfig(new Map(Object.entries({ 'log.dirs': dir, ...settings })));
  const store = await Store.open(dir, { defaults: config.logDefaults(), checkpointIntervalMs: 0 });
  try {
    const topics = await TopicManager.open(store, config, logger);
    return { store, topics, config };
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function shut(s: { store: Store; topics: TopicManager }) {
  await s.topics.close();
  await s.store.close();
}

function kafkaCode(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StrandError);
    return (err as StrandError).kafkaCode;
  }
  throw new Error('expected an error');
}

const cfg = (e: Record<string, string> = {}) => new Map(Object.entries(e));

describe('TopicManager', () => {
  it('creates topics with their partition logs and settings, and finds them by name and id', async () => {
    const dir = tmpDir();
    const s = await open(dir, { 'log.retention.hours': '2' });
    const t = s.topics.create('orders', 3, cfg({ 'retention.ms': '60000', 'segment.bytes': '65536', 'cleanup.policy': 'compact, delete' }));
    expect(t).toMatchObject({ name: 'orders', partitions: 3, internal: false });
    expect(t.topicId).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(Object.fromEntries(t.configs)).toEqual({ 'retention.ms': '60000', 'segment.bytes': '65536', 'cleanup.policy': 'compact,delete' });
    expect(s.topics.get('orders')).toBe(t);
    expect(s.topics.byId(t.topicId)).toBe(t);
    for (let p = 0; p < 3; p++) {
      const log = s.topics.log('orders', p)!;
      expect(log.config).toMatchObject({ retentionMs: 60000, segmentBytes: 65536 });
      expect(existsSync(join(dir, `orders-${p}`))).toBe(true);
    }
    expect(s.topics.log('orders', 3)).toBeNull();
    expect(s.topics.log('orders', -1)).toBeNull();
    expect(s.topics.log('missing', 0)).toBeNull();
    // Broker defaults apply where the topic sets nothing.
    s.topics.create('plain', 1, cfg());
    expect(s.topics.log('plain', 0)!.config.retentionMs).toBe(2 * 3600_000);
    expect(s.topics.create('__consumer_offsets', 1, cfg()).internal).toBe(true);
    expect(s.topics.create('hidden', 1, cfg(), { internal: true }).internal).toBe(true);
    expect(s.topics.list().map((x) => x.name).sort()).toEqual(['__consumer_offsets', 'hidden', 'orders', 'plain']);
    await shut(s);
  });

  it('refuses bad topics with the Kafka error to answer, and validate-only changes nothing', async () => {
    const dir = tmpDir();
    const s = await open(dir);
    s.topics.create('a.b', 1, cfg());
    expect(kafkaCode(() => s.topics.create('a.b', 1, cfg()))).toBe(KafkaErrorCode.TOPIC_ALREADY_EXISTS);
    expect(kafkaCode(() => s.topics.create('a_b', 1, cfg()))).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(kafkaCode(() => s.topics.create('bad name', 1, cfg()))).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(kafkaCode(() => s.topics.create('x'.repeat(250), 1, cfg()))).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(kafkaCode(() => s.topics.create('..', 1, cfg()))).toBe(KafkaErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(kafkaCode(() => s.topics.create('zero', 0, cfg()))).toBe(KafkaErrorCode.INVALID_PARTITIONS);
    expect(kafkaCode(() => s.topics.create('neg', -3, cfg()))).toBe(KafkaErrorCode.INVALID_PARTITIONS);
    expect(kafkaCode(() => s.topics.create('huge', MAX_PARTITIONS_PER_TOPIC + 1, cfg()))).toBe(KafkaErrorCode.INVALID_PARTITIONS);
    expect(kafkaCode(() => s.topics.create('cfg', 1, cfg({ 'retention.ms': 'forever' })))).toBe(KafkaErrorCode.INVALID_CONFIG);
    expect(kafkaCode(() => s.topics.create('cfg', 1, cfg({ 'no.such.config': '1' })))).toBe(KafkaErrorCode.INVALID_CONFIG);
    const dry = s.topics.create('dry', 4, cfg({ 'retention.ms': '1' }), { validateOnly: true });
    expect(dry).toMatchObject({ name: 'dry', partitions: 4 });
    expect(s.topics.get('dry')).toBeUndefined();
    expect(existsSync(join(dir, 'dry-0'))).toBe(false);
    expect(kafkaCode(() => s.topics.create('a.b', 1, cfg(), { validateOnly: true }))).toBe(KafkaErrorCode.TOPIC_ALREADY_EXISTS);
    expect(s.topics.list().map((t) => t.name)).toEqual(['a.b']);
    expect(s.store.list().map((r) => r.topic)).toEqual(['a.b']);
    await shut(s);
  });

  it('persists everything as protobuf and gets it back after a restart over the same directory', async () => {
    const dir = tmpDir();
    let s = await open(dir);
    const orders = s.topics.create('orders', 2, cfg({ 'retention.ms': '60000', 'segment.bytes': '65536' }));
    const logs = s.topics.create('logs', 1, cfg({ 'max.message.bytes': '2000' }), { internal: true });
    await s.topics.log('orders', 1)!.append([{ value: 'kept' }]);
    const clusterId = s.topics.clusterId;
    expect(clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await shut(s);

    // The metadata file is a TopicsFile in protobuf binary.
    const bytes = readFileSync(join(dir, METADATA_DIR, TOPICS_FILE));
    const file = fromBinary(TopicsFileSchema, bytes);
    expect(file.version).toBe(1);
    expect(file.topics.map((t) => t.name)).toEqual(['logs', 'orders']);
    expect(Buffer.from(file.topics[1]!.topicId).toString('base64url')).toBe(orders.topicId);
    expect(file.topics[1]!.topicId.length).toBe(16);
    expect(file.topics[1]!.configs).toEqual({ 'retention.ms': '60000', 'segment.bytes': '65536' });
    expect(file.topics[0]!.internal).toBe(true);
    expect(file.topics[0]!.createdAtMs).toBeGreaterThan(0n);
    expect(() => JSON.parse(bytes.toString('utf8'))).toThrow();
    const props = readFileSync(join(dir, 'meta.properties'), 'utf8');
    expect(props).toContain(`cluster.id=${clusterId}\n`);
    expect(props).toContain('node.id=0\n');
    expect(props).toContain('version=1\n');

    s = await open(dir);
    expect(s.topics.clusterId).toBe(clusterId);
    expect(s.topics.get('orders')).toEqual(orders);
    expect(s.topics.get('logs')).toEqual(logs);
    expect(s.topics.byId(orders.topicId)!.name).toBe('orders');
    // The logs were reopened by the store with its defaults, then given the topic's settings.
    expect(s.topics.log('orders', 0)!.config).toMatchObject({ retentionMs: 60000, segmentBytes: 65536 });
    expect(s.topics.log('logs', 0)!.config.maxMessageBytes).toBe(2000);
    expect((await s.topics.log('orders', 1)!.read(0)).records.map((r) => r.value!.toString())).toEqual(['kept']);
    await shut(s);
  });

  it('keeps the cluster id and refuses another configured cluster.id or node.id', async () => {
    const dir = tmpDir();
    let s = await open(dir, { 'cluster.id': 'MkU3OEVBNTcwNTJENDM2Qg' });
    expect(s.topics.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qg');
    await shut(s);
    await expect(open(dir, { 'cluster.id': 'AnotherClusterIdxxxxxx' })).rejects.toThrow(/belongs to another cluster/);
    await expect(open(dir, { 'node.id': '3' })).rejects.toThrow(/belongs to another node/);
    s = await open(dir);
    expect(s.topics.clusterId).toBe('MkU3OEVBNTcwNTJENDM2Qg');
    await shut(s);
  });

  it('deletes topics: logs and metadata, also across a restart; the name can be reused with a new id', async () => {
    const dir = tmpDir();
    let s = await open(dir);
    const old = s.topics.create('gone', 2, cfg());
    s.topics.create('stays', 1, cfg());
    await s.topics.delete('gone');
    expect(s.topics.get('gone')).toBeUndefined();
    expect(s.topics.byId(old.topicId)).toBeUndefined();
    expect(existsSync(join(dir, 'gone-0'))).toBe(false);
    expect(existsSync(join(dir, 'gone-1'))).toBe(false);
    await expect(s.topics.delete('gone')).rejects.toMatchObject({ kafkaCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    await shut(s);
    s = await open(dir);
    expect(s.topics.list().map((t) => t.name)).toEqual(['stays']);
    const again = s.topics.create('gone', 1, cfg());
    expect(again.topicId).not.toBe(old.topicId);
    await shut(s);
  });

  it('adds partitions and alters configs, applying them to the open logs and persisting them', async () => {
    const dir = tmpDir();
    let s = await open(dir);
    s.topics.create('t', 1, cfg({ 'retention.ms': '1000', 'segment.bytes': '65536' }));
    expect(kafkaCode(() => s.topics.addPartitions('t', 1))).toBe(KafkaErrorCode.INVALID_PARTITIONS);
    expect(kafkaCode(() => s.topics.addPartitions('t', 0))).toBe(KafkaErrorCode.INVALID_PARTITIONS);
    expect(kafkaCode(() => s.topics.addPartitions('nope', 3))).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(kafkaCode(() => s.topics.addPartitions('t', MAX_PARTITIONS_PER_TOPIC + 1))).toBe(KafkaErrorCode.INVALID_PARTITIONS);
    expect(s.topics.addPartitions('t', 5, { validateOnly: true }).partitions).toBe(5);
    expect(s.topics.get('t')!.partitions).toBe(1);
    expect(s.topics.addPartitions('t', 3).partitions).toBe(3);
    expect(s.topics.log('t', 2)!.config).toMatchObject({ retentionMs: 1000, segmentBytes: 65536 });

    // Incremental: merge, null deletes (back to the default).
    s.topics.alterConfigs('t', cfg({ 'flush.messages': '1' }));
    expect(Object.fromEntries(s.topics.get('t')!.configs)).toEqual({ 'flush.messages': '1', 'retention.ms': '1000', 'segment.bytes': '65536' });
    expect(s.topics.log('t', 0)!.config.flush).toBe('always');
    s.topics.alterConfigs('t', new Map([['retention.ms', null]]));
    expect(s.topics.get('t')!.configs.has('retention.ms')).toBe(false);
    expect(s.topics.log('t', 1)!.config.retentionMs).toBe(7 * 24 * 3600_000);
    // A bad value changes nothing.
    expect(kafkaCode(() => s.topics.alterConfigs('t', cfg({ 'segment.bytes': '10', 'retention.ms': '5' })))).toBe(KafkaErrorCode.INVALID_CONFIG);
    expect(s.topics.get('t')!.configs.has('retention.ms')).toBe(false);
    // validateOnly changes nothing.
    s.topics.alterConfigs('t', cfg({ 'retention.ms': '5' }), { validateOnly: true });
    expect(s.topics.get('t')!.configs.has('retention.ms')).toBe(false);
    // Replace: the given set becomes the whole set.
    s.topics.alterConfigs('t', cfg({ 'max.message.bytes': '500' }), { replace: true });
    expect(Object.fromEntries(s.topics.get('t')!.configs)).toEqual({ 'max.message.bytes': '500' });
    expect(s.topics.log('t', 0)!.config).toMatchObject({ maxMessageBytes: 500, flush: 'none', segmentBytes: 1024 ** 3 });
    expect(kafkaCode(() => s.topics.alterConfigs('nope', cfg()))).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await shut(s);

    s = await open(dir);
    expect(s.topics.get('t')!.partitions).toBe(3);
    expect(Object.fromEntries(s.topics.get('t')!.configs)).toEqual({ 'max.message.bytes': '500' });
    expect(s.topics.log('t', 2)!.config.maxMessageBytes).toBe(500);
    await shut(s);
  });

  it('reconciles with the store on open: missing partition logs are created, logs of unknown topics are left alone and reported', async () => {
    const dir = tmpDir();
    let s = await open(dir);
    s.topics.create('t', 2, cfg());
    await s.store.partition('stray', 0, { create: true });
    await shut(s);
    rmSync(join(dir, 't-1'), { recursive: true });
    const { logger, lines } = recordingLogger();
    s = await open(dir, {}, logger);
    expect(existsSync(join(dir, 't-1'))).toBe(true);
    expect(s.topics.log('t', 1)).not.toBeNull();
    expect(existsSync(join(dir, 'stray-0'))).toBe(true);
    expect(s.topics.get('stray')).toBeUndefined();
    expect(lines.some((l) => /t-1 was missing/.test(String(l.msg)))).toBe(true);
    expect(lines.some((l) => /unknown topic stray/.test(String(l.msg)))).toBe(true);
    // Creating the topic adopts its existing log.
    s.topics.create('stray', 1, cfg({ 'retention.ms': '1234' }));
    expect(s.topics.log('stray', 0)!.config.retentionMs).toBe(1234);
    await shut(s);
  });

  it('refuses a corrupt metadata file instead of forgetting the topics', async () => {
    const dir = tmpDir();
    const s = await open(dir);
    s.topics.create('t', 1, cfg());
    await shut(s);
    writeFileSync(join(dir, METADATA_DIR, TOPICS_FILE), Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    await expect(open(dir)).rejects.toThrow(/is corrupt/);
  });

  it('Log.reconfigure changes settings of an open log; a bad value changes nothing; leaving an interval flush flushes waiters', async () => {
    const dir = tmpDir();
    const store = await Store.open(dir, { checkpointIntervalMs: 0 });
    const log = store.partitionSync('r', 0, { create: true, config: { flush: { intervalMs: 60_000 } } })!;
    await log.append([{ value: 'first' }]); // the first interval flush runs at once
    const pending = log.append([{ value: 'x' }]);
    let done = false;
    void pending.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    log.reconfigure({ flush: 'none', retentionMs: 5 });
    await pending;
    expect(log.recoveryPoint).toBe(2);
    expect(log.config).toMatchObject({ flush: 'none', retentionMs: 5, segmentBytes: 1024 ** 3 });
    expect(() => log.reconfigure({ segmentBytes: 1 })).toThrow(/segmentBytes/);
    expect(log.config.segmentBytes).toBe(1024 ** 3);
    log.reconfigure({ maxMessageBytes: 10 });
    await expect(log.append([{ value: 'y'.repeat(100) }])).rejects.toThrow(/exceeds the limit/);
    await store.close();
  });

  it('generated protobuf code is up to date with topics.proto', () => {
    const out = mkdtempSync(join(tmpdir(), 'strand-buf-'));
    try {
      const metaDir = join(import.meta.dirname, '../../src/broker/meta');
      const buf = join(import.meta.dirname, '../../node_modules/.bin/buf');
      execFileSync(buf, ['generate', '-o', out], { cwd: metaDir, stdio: 'pipe' });
      expect(readFileSync(join(out, 'topics_pb.ts'), 'utf8')).toBe(readFileSync(join(metaDir, 'topics_pb.ts'), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
