/**
 * Dynamic broker configs through kafkajs 2.2.4's admin client and a bare client: AlterConfigs and
 * IncrementalAlterConfigs on this broker (its node id) and on the cluster default (""), what
 * DescribeConfigs then shows (sources 2 and 3, synonyms in Kafka's order), the new log defaults in
 * force for topics without an override (retention deletes by the new value), precedence, a
 * restart, and what Kafka refuses, with its code and message.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Admin, ConfigResourceTypes } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { BROKER_CONFIGS_FILE } from '../../src/broker/dynamic-config.js';
import { logger } from '../../src/logger.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { API_BY_KEY, ApiKey } from '../../src/protocol/messages/index.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const BROKER = ConfigResourceTypes.BROKER;
const quiet = logger.child({}, { level: 'silent' });

describe('dynamic broker configs', () => {
  let dir: string;
  let broker: Broker;
  let admin: Admin;
  let raw: RawClient;
  const bootstrap = () => `${broker.advertisedHost}:${broker.advertisedPort}`;
  const req = (key: number, v: number, body: unknown): Promise<any> => raw.request(API_BY_KEY[key]!, v, body);

  async function start(): Promise<void> {
    const config = new BrokerConfig(new Map([['log.dirs', dir], ['listeners', 'PLAINTEXT://127.0.0.1:0'], ['log.retention.hours', '24']]));
    broker = await Broker.start(config, quiet);
    admin = kafkajs(bootstrap()).admin();
    await admin.connect();
    raw = await RawClient.open(bootstrap());
  }
  async function stop(): Promise<void> {
    raw?.socket.destroy();
    await admin?.disconnect();
    await broker?.stop();
  }

  /** One broker setting as DescribeConfigs v4 answers it for `resourceName`. */
  async function describeBroker(resourceName: string, name: string): Promise<any> {
    const res = await req(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: BROKER, resourceName, configurationKeys: [name] }], includeSynonyms: true, includeDocumentation: false });
    expect(res.results[0].errorCode).toBe(0);
    const c = res.results[0].configs[0];
    return c === undefined ? undefined : { value: c.value, source: c.configSource, readOnly: c.readOnly, synonyms: c.synonyms.map((s: any) => `${s.name}=${s.value}:${s.source}`) };
  }
  const incremental = (resourceName: string, configs: Array<{ name: string; op: number; value: string | null }>, validateOnly = false) =>
    req(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName, configs: configs.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })) }], validateOnly });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strand-dyncfg-'));
    await start();
  });
  afterEach(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a cluster-default log.retention.ms is described, applied to topics without an override, and deletes by it', async () => {
    await admin.createTopics({ topics: [{ topic: 'plain' }, { topic: 'pinned', configEntries: [{ name: 'retention.ms', value: '604800000' }] }] });
    const producer = kafkajs(bootstrap()).producer();
    await producer.connect();
    for (const topic of ['plain', 'pinned']) {
      await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
      broker.topics.log(topic, 0)!.roll();
      await producer.send({ topic, messages: [{ value: 'c' }] });
    }
    await producer.disconnect();
    expect(broker.topics.log('plain', 0)!.config.retentionMs).toBe(86_400_000);

    const res = await req(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', value: '60000' }] }], validateOnly: false });
    expect(res.responses[0]).toMatchObject({ errorCode: 0, errorMessage: null });

    expect(await describeBroker('', 'log.retention.ms')).toEqual({ value: '60000', source: 3, readOnly: false, synonyms: ['log.retention.ms=60000:3', 'log.retention.hours=24:4', 'log.retention.hours=168:5'] });
    expect(await describeBroker('0', 'log.retention.ms')).toEqual({ value: '60000', source: 3, readOnly: false, synonyms: ['log.retention.ms=60000:3', 'log.retention.hours=24:4', 'log.retention.hours=168:5'] });
    expect(await describeBroker('0', 'log.retention.hours')).toEqual({ value: '24', source: 4, readOnly: true, synonyms: ['log.retention.hours=24:4', 'log.retention.hours=168:5'] });
    const topicSide = await req(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: 'plain', configurationKeys: ['retention.ms'] }], includeSynonyms: true, includeDocumentation: false });
    expect(topicSide.results[0].configs.map((c: any) => [c.value, c.configSource, c.synonyms.map((s: any) => `${s.name}=${s.value}:${s.source}`)])).toEqual([
      ['60000', 3, ['log.retention.ms=60000:3', 'log.retention.hours=24:4', 'log.retention.hours=168:5']],
    ]);

    expect(broker.topics.log('plain', 0)!.config.retentionMs).toBe(60_000);
    expect(broker.topics.log('pinned', 0)!.config.retentionMs).toBe(604_800_000);
    const later = Date.now() + 3_600_000; // past the new retention, far within the old and the pinned one
    expect(broker.topics.log('plain', 0)!.applyRetention(later)).toBe(1);
    expect(broker.topics.log('pinned', 0)!.applyRetention(later)).toBe(0);
    expect(broker.topics.log('plain', 0)!.startOffset).toBe(2);
  });

  it('a per-broker value beats the default; both survive a restart; DELETE falls back a level', async () => {
    await admin.createTopics({ topics: [{ topic: 't' }] });
    expect((await incremental('', [{ name: 'log.retention.ms', op: 0, value: '60000' }, { name: 'num.io.threads', op: 0, value: '16' }])).responses[0].errorCode).toBe(0);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '0', configEntries: [{ name: 'log.retention.ms', value: '120000' }] }] });

    expect(await describeBroker('0', 'log.retention.ms')).toEqual({ value: '120000', source: 2, readOnly: false, synonyms: ['log.retention.ms=120000:2', 'log.retention.ms=60000:3', 'log.retention.hours=24:4', 'log.retention.hours=168:5'] });
    expect(await describeBroker('', 'log.retention.ms')).toEqual({ value: '60000', source: 3, readOnly: false, synonyms: ['log.retention.ms=60000:3', 'log.retention.hours=24:4', 'log.retention.hours=168:5'] });
    expect(await describeBroker('0', 'num.io.threads')).toEqual({ value: '16', source: 3, readOnly: false, synonyms: ['num.io.threads=16:3', 'num.io.threads=8:5'] });
    expect(broker.topics.log('t', 0)!.config.retentionMs).toBe(120_000);
    const file = JSON.parse(readFileSync(join(dir, BROKER_CONFIGS_FILE), 'utf8'));
    expect(file).toEqual({ version: 1, default: { 'log.retention.ms': '60000', 'num.io.threads': '16' }, brokers: { 0: { 'log.retention.ms': '120000' } } });
    expect(existsSync(join(dir, BROKER_CONFIGS_FILE + '.tmp'))).toBe(false);

    await stop();
    await start();
    expect(await describeBroker('0', 'log.retention.ms')).toMatchObject({ value: '120000', source: 2 });
    expect(await describeBroker('', 'num.io.threads')).toMatchObject({ value: '16', source: 3 });
    expect(broker.topics.log('t', 0)!.config.retentionMs).toBe(120_000);

    expect((await incremental('0', [{ name: 'log.retention.ms', op: 1, value: null }])).responses[0].errorCode).toBe(0);
    expect(broker.topics.log('t', 0)!.config.retentionMs).toBe(60_000);
    expect(await describeBroker('0', 'log.retention.ms')).toMatchObject({ value: '60000', source: 3 });
  });

  it('refuses read-only, per-broker-only, listener, unknown and invalid settings as a whole resource, leaving other resources alone', async () => {
    await admin.createTopics({ topics: [{ topic: 'other' }] });
    const alter = (resources: Array<{ resourceName: string; resourceType?: number; configs: Array<{ name: string; value: string | null }> }>, validateOnly = false) =>
      req(ApiKey.AlterConfigs, 2, { resources: resources.map((r) => ({ resourceType: r.resourceType ?? BROKER, ...r })), validateOnly });
    const res = await alter([
      { resourceName: '0', configs: [{ name: 'log.retention.ms', value: '1000' }, { name: 'log.dirs', value: '/elsewhere' }, { name: 'broker.id', value: '3' }] },
      { resourceName: '', configs: [{ name: 'listeners', value: 'PLAINTEXT://127.0.0.1:9093' }] },
      { resourceType: 2, resourceName: 'other', configs: [{ name: 'retention.ms', value: '5000' }] },
    ]);
    expect(res.responses.map((r: any) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(log.dirs, broker.id)'],
      [ErrorCode.INVALID_REQUEST, 'Cannot update these configs at default cluster level, broker id must be specified: Set(listeners)'],
      [0, null],
    ]);
    expect(broker.topics.log('other', 0)!.config.retentionMs).toBe(5000);
    expect(broker.config.dynamic(true).size).toBe(0);

    const more = await alter([{ resourceName: '0', configs: [{ name: 'listeners', value: 'PLAINTEXT://127.0.0.1:9093' }] }]);
    expect(more.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(/^strand cannot change listener or security settings at runtime .*: listeners$/) });
    const sasl = await alter([{ resourceName: '0', configs: [{ name: 'sasl.enabled.mechanisms', value: 'PLAIN' }] }]);
    expect(sasl.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(/: sasl\.enabled\.mechanisms$/) });
    const ssl = await alter([{ resourceName: '0', configs: [{ name: 'ssl.keystore.location', value: '/k' }] }]);
    expect(ssl.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'These security configs can be dynamically updated only per-listener using the listener prefix: Set(ssl.keystore.location)' });
    const unknown = await alter([{ resourceName: '', configs: [{ name: 'log.retention.ms', value: '1000' }, { name: 'log.retention.msec', value: '1' }] }]);
    expect(unknown.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: expect.stringMatching(/^Unknown broker configs: log\.retention\.msec; /) });
    const badType = await alter([{ resourceName: '', configs: [{ name: 'log.retention.ms', value: 'soon' }] }]);
    expect(badType.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid value soon for configuration log.retention.ms: Not a number of type LONG' });
    const badPolicy = await incremental('', [{ name: 'log.cleanup.policy', op: 0, value: 'sometimes' }]);
    expect(badPolicy.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: expect.stringMatching(/log\.cleanup\.policy=.*sometimes/) });
    const badOp = await incremental('0', [{ name: 'log.retention.ms', op: 2, value: '1' }]);
    expect(badOp.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Config value append is not allowed for config key: log.retention.ms' });
    const otherBroker = await alter([{ resourceName: '7', configs: [] }]);
    expect(otherBroker.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 0, but received 7' });

    expect(broker.config.dynamic(true).size).toBe(0);
    expect(broker.config.dynamic(false).size).toBe(0);
    expect(existsSync(join(dir, BROKER_CONFIGS_FILE))).toBe(false);
    expect(broker.topics.log('other', 0)!.config.retentionMs).toBe(5000);
  });

  it('validate_only checks and changes nothing', async () => {
    await admin.createTopics({ topics: [{ topic: 'v' }] });
    const ok = await req(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', value: '1000' }] }], validateOnly: true });
    expect(ok.responses[0].errorCode).toBe(0);
    const okInc = await incremental('0', [{ name: 'log.segment.bytes', op: 0, value: '2048' }], true);
    expect(okInc.responses[0].errorCode).toBe(0);
    const bad = await req(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'node.id', value: '2' }] }], validateOnly: true });
    expect(bad.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Cannot update these configs dynamically: Set(node.id)' });
    expect(await describeBroker('', 'log.retention.ms')).toBeUndefined();
    expect(await describeBroker('0', 'log.retention.ms')).toEqual({ value: null, source: 5, readOnly: false, synonyms: [] });
    expect(broker.topics.log('v', 0)!.config.retentionMs).toBe(86_400_000);
    expect(broker.topics.log('v', 0)!.config.segmentBytes).toBe(1024 * 1024 * 1024);
    expect(existsSync(join(dir, BROKER_CONFIGS_FILE))).toBe(false);
  });

  it('APPEND and SUBTRACT on the list log.cleanup.policy start from Kafka\'s default and reconfigure the logs', async () => {
    await admin.createTopics({ topics: [{ topic: 'c' }] });
    expect((await incremental('', [{ name: 'log.cleanup.policy', op: 2, value: 'compact' }])).responses[0].errorCode).toBe(0);
    expect(broker.config.dynamic(false).get('log.cleanup.policy')).toBe('delete,compact');
    expect(broker.topics.log('c', 0)!.config.cleanupPolicy).toBe('compact,delete');
    expect((await incremental('', [{ name: 'log.cleanup.policy', op: 3, value: 'delete' }])).responses[0].errorCode).toBe(0);
    expect(broker.topics.log('c', 0)!.config.cleanupPolicy).toBe('compact');
    expect(await describeBroker('', 'log.cleanup.policy')).toEqual({ value: 'compact', source: 3, readOnly: false, synonyms: ['log.cleanup.policy=compact:3', 'log.cleanup.policy=delete:5'] });
  });

  it('kafkajs describes the broker resource with the dynamic sources', async () => {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: BROKER, name: '0', configEntries: [{ name: 'message.max.bytes', value: '2000000' }] }] });
    const res = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: BROKER, name: '0', configNames: ['message.max.bytes'] }] });
    const e = res.resources[0]!.configEntries[0]!;
    expect([e.configName, e.configValue, e.configSource, e.readOnly, e.configSynonyms.map((s) => `${s.configName}=${s.configValue}:${s.configSource}`)])
      .toEqual(['message.max.bytes', '2000000', 2, false, ['message.max.bytes=2000000:2', 'message.max.bytes=1048588:5']]);
    await admin.createTopics({ topics: [{ topic: 'big' }] });
    expect(broker.topics.log('big', 0)!.config.maxMessageBytes).toBe(2_000_000);
  });
});
