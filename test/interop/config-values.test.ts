/**
 * Config values and synonyms as Kafka 3.9 answers them, through kafkajs 2.2.4's admin client and
 * a bare client: message.format.version in every form Kafka accepts (CreateTopics, AlterConfigs,
 * IncrementalAlterConfigs, the broker's log.message.format.version), refused ones with Kafka's
 * message, and DescribeConfigs synonyms that start at the primary broker setting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { API_BY_KEY, ApiKey } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkajs } from '../helpers/kafkajs.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const TOPIC = ConfigResourceTypes.TOPIC;
const BROKER = ConfigResourceTypes.BROKER;
const refused = (v: string, name = 'message.format.version') => `Invalid value ${v} for configuration ${name}: Version ${v} is not a valid version`;

interface Described { name: string; value: string | null; source: number; synonyms: string[] }

async function describeConfigs(admin: Admin, type: ConfigResourceTypes, name: string, configNames: string[]): Promise<Described[]> {
  const res = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type, name, configNames }] });
  return res.resources[0]!.configEntries.map((e) => ({
    name: e.configName,
    value: e.configValue,
    source: e.configSource,
    synonyms: e.configSynonyms.map((s) => `${s.configName}=${s.configValue}:${s.configSource}`),
  }));
}

describe('config values and synonyms as Kafka parses and lists them', () => {
  // A: log.retention.hours set but not log.retention.ms; B: log.retention.ms set too.
  let a: RunningBroker;
  let b: RunningBroker;
  let adminA: Admin;
  let adminB: Admin;
  let raw: RawClient;
  const req = (key: number, v: number, body: unknown): Promise<any> => raw.request(API_BY_KEY[key]!, v, body);

  beforeAll(async () => {
    a = await startBroker({ config: { 'log.retention.hours': '24', 'log.message.format.version': '0.10.0.0' } });
    b = await startBroker({ config: { 'log.retention.ms': '60000', 'log.retention.hours': '24', 'log.roll.hours': '2' } });
    adminA = kafkajs(a.bootstrap).admin();
    adminB = kafkajs(b.bootstrap).admin();
    await Promise.all([adminA.connect(), adminB.connect()]);
    raw = await RawClient.open(a.bootstrap);
  });
  afterAll(async () => {
    raw?.socket.destroy();
    await Promise.all([adminA?.disconnect(), adminB?.disconnect()]);
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('creates topics with message.format.version in each form Kafka 3.x accepts', async () => {
    const forms = ['0.8.0', '0.10.0-IV1', '2.8', '3.0-IV1', '0.10.0.0', '0.10.0.1', '2.8.2'];
    expect(await adminA.createTopics({ topics: forms.map((v, i) => ({ topic: `mfv-${i}`, configEntries: [{ name: 'message.format.version', value: v }] })) })).toBe(true);
    for (const [i, v] of forms.entries()) {
      expect(await describeConfigs(adminA, TOPIC, `mfv-${i}`, ['message.format.version'])).toEqual([{
        name: 'message.format.version', value: v, source: 1,
        synonyms: [`message.format.version=${v}:1`, 'log.message.format.version=0.10.0.0:4', 'log.message.format.version=3.0-IV1:5'],
      }]);
    }
  });

  it('refuses other strings with INVALID_CONFIG and Kafka\'s message, on CreateTopics, AlterConfigs and IncrementalAlterConfigs', async () => {
    const created = await req(ApiKey.CreateTopics, 7, {
      topics: [{ name: 'mfv-bad', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'message.format.version', value: '0.10' }] }],
      timeoutMs: 5000, validateOnly: false,
    });
    expect(created.topics[0]).toMatchObject({ name: 'mfv-bad', errorCode: ErrorCode.INVALID_CONFIG, errorMessage: refused('0.10') });
    const viaKafkajs = await adminA.createTopics({ topics: [{ topic: 'mfv-bad', configEntries: [{ name: 'message.format.version', value: '3.0-IV7' }] }] }).then(() => null, (e) => e);
    expect(viaKafkajs.errors[0]).toMatchObject({ type: 'INVALID_CONFIG', topic: 'mfv-bad' });

    await adminA.createTopics({ topics: [{ topic: 'mfv-alter' }] });
    const altered = await req(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: 2, resourceName: 'mfv-alter', configs: [{ name: 'message.format.version', value: '0.9' }] }], validateOnly: false });
    expect(altered.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: refused('0.9') });
    const incremental = await req(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'mfv-alter', configs: [{ name: 'message.format.version', configOperation: 0, value: 'latest' }] }], validateOnly: false,
    });
    expect(incremental.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: refused('latest') });
    expect(await adminA.listTopics()).not.toContain('mfv-bad');
  });

  it('alters message.format.version to four-part and IV forms (AlterConfigs through kafkajs, IncrementalAlterConfigs on the wire)', async () => {
    await adminA.createTopics({ topics: [{ topic: 'mfv-change' }] });
    await adminA.alterConfigs({ validateOnly: false, resources: [{ type: TOPIC, name: 'mfv-change', configEntries: [{ name: 'message.format.version', value: '0.10.0.1' }] }] });
    expect((await describeConfigs(adminA, TOPIC, 'mfv-change', ['message.format.version']))[0]!.value).toBe('0.10.0.1');
    const set = await req(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'mfv-change', configs: [{ name: 'message.format.version', configOperation: 0, value: '0.11.0-IV2' }] }], validateOnly: false,
    });
    expect(set.responses[0].errorCode).toBe(0);
    expect((await describeConfigs(adminA, TOPIC, 'mfv-change', ['message.format.version']))[0]!.value).toBe('0.11.0-IV2');
  });

  it('a broker refuses to start with a log.message.format.version Kafka refuses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strand-mfv-'));
    try {
      await expect(startBroker({ dataDir: dir, config: { 'log.message.format.version': '0.10' } })).rejects.toThrow(refused('0.10', 'log.message.format.version'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('topic synonyms: none while log.retention.ms is unset, the whole family from it when set; overrides first', async () => {
    await adminA.createTopics({ topics: [{ topic: 'plain' }, { topic: 'over', configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'segment.ms', value: '5000' }] }] });
    await adminB.createTopics({ topics: [{ topic: 'plain' }, { topic: 'over', configEntries: [{ name: 'retention.ms', value: '1000' }, { name: 'segment.ms', value: '5000' }] }] });
    const keys = ['retention.ms', 'segment.ms', 'cleanup.policy'];
    expect(await describeConfigs(adminA, TOPIC, 'plain', keys)).toEqual([
      { name: 'retention.ms', value: '86400000', source: 5, synonyms: [] },
      { name: 'segment.ms', value: '604800000', source: 5, synonyms: [] },
      { name: 'cleanup.policy', value: 'delete', source: 5, synonyms: ['log.cleanup.policy=delete:5'] },
    ]);
    expect(await describeConfigs(adminA, TOPIC, 'over', keys)).toEqual([
      { name: 'retention.ms', value: '1000', source: 1, synonyms: ['retention.ms=1000:1'] },
      { name: 'segment.ms', value: '5000', source: 1, synonyms: ['segment.ms=5000:1'] },
      { name: 'cleanup.policy', value: 'delete', source: 5, synonyms: ['log.cleanup.policy=delete:5'] },
    ]);
    expect(await describeConfigs(adminB, TOPIC, 'plain', keys)).toEqual([
      { name: 'retention.ms', value: '60000', source: 4, synonyms: ['log.retention.ms=60000:4', 'log.retention.hours=24:4', 'log.retention.hours=168:5'] },
      { name: 'segment.ms', value: '7200000', source: 5, synonyms: [] },
      { name: 'cleanup.policy', value: 'delete', source: 5, synonyms: ['log.cleanup.policy=delete:5'] },
    ]);
    expect(await describeConfigs(adminB, TOPIC, 'over', keys)).toEqual([
      { name: 'retention.ms', value: '1000', source: 1, synonyms: ['retention.ms=1000:1', 'log.retention.ms=60000:4', 'log.retention.hours=24:4', 'log.retention.hours=168:5'] },
      { name: 'segment.ms', value: '5000', source: 1, synonyms: ['segment.ms=5000:1'] },
      { name: 'cleanup.policy', value: 'delete', source: 5, synonyms: ['log.cleanup.policy=delete:5'] },
    ]);
  });

  it('broker synonyms: a setting and the lower-priority ones of its family; the cluster-wide resource has no dynamic defaults', async () => {
    const keys = ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours', 'log.roll.ms', 'log.roll.hours'];
    expect(await describeConfigs(adminA, BROKER, '0', keys)).toEqual([
      { name: 'log.retention.ms', value: null, source: 5, synonyms: [] },
      { name: 'log.retention.minutes', value: null, source: 5, synonyms: [] },
      { name: 'log.retention.hours', value: '24', source: 4, synonyms: ['log.retention.hours=24:4', 'log.retention.hours=168:5'] },
      { name: 'log.roll.ms', value: null, source: 5, synonyms: [] },
      { name: 'log.roll.hours', value: '168', source: 5, synonyms: ['log.roll.hours=168:5'] },
    ]);
    expect(await describeConfigs(adminB, BROKER, '0', keys)).toEqual([
      { name: 'log.retention.ms', value: '60000', source: 4, synonyms: ['log.retention.ms=60000:4', 'log.retention.hours=24:4', 'log.retention.hours=168:5'] },
      { name: 'log.retention.minutes', value: null, source: 5, synonyms: [] },
      { name: 'log.retention.hours', value: '24', source: 4, synonyms: ['log.retention.hours=24:4', 'log.retention.hours=168:5'] },
      { name: 'log.roll.ms', value: null, source: 5, synonyms: [] },
      { name: 'log.roll.hours', value: '2', source: 4, synonyms: ['log.roll.hours=2:4', 'log.roll.hours=168:5'] },
    ]);
    // (kafkajs refuses an empty resource name, so on the wire.)
    const cluster = await req(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: '', configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
    expect(cluster.results[0]).toMatchObject({ errorCode: 0, resourceName: '', configs: [] });
  });
});
