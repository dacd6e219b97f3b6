/** Topic creation through the controller and deletion: refusals with Kafka's codes, and the callbacks brokers hear. */
import { describe, expect, it } from 'vitest';
import { InvalidReplicationFactorError, TopicAlreadyExistsError, UnknownTopicOrPartitionError } from '../../src/cluster/index.js';
import { KafkaErrorCode } from '../../src/errors.js';
import { ETCD_SKIPPED, EtcdServer } from '../helpers/etcd.js';
import { until } from '../helpers/until.js';
import { memberConfig, Recorder, startMember, uniqueClusterId } from './fixtures/members.js';

describe.skipIf(ETCD_SKIPPED)('topics (real etcd)', () => {
  it('refuses a duplicate topic and a replication factor above the live brokers; a deleted topic\'s partitions are dropped by their replicas', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const rec = new Recorder();
    const a = await startMember(memberConfig(etcd, id, 1), rec);
    const b = await startMember(memberConfig(etcd, id, 2));
    await until('two brokers', () => a.liveBrokers().length === 2);

    const tooMany = await a.createTopic({ name: 'wide', numPartitions: 1, replicationFactor: 3 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(InvalidReplicationFactorError);
    expect((tooMany as InvalidReplicationFactorError).kafkaCode).toBe(KafkaErrorCode.INVALID_REPLICATION_FACTOR);
    expect((tooMany as Error).message).toBe('topic wide: replication factor 3 is larger than the 2 live broker(s)');

    const t = await b.createTopic({ name: 'gone', numPartitions: 2, replicationFactor: 2 });
    const dup = await a.createTopic({ name: 'gone', numPartitions: 5, replicationFactor: 1 }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(TopicAlreadyExistsError);
    expect((dup as TopicAlreadyExistsError).kafkaCode).toBe(KafkaErrorCode.TOPIC_ALREADY_EXISTS);
    await until('broker 1 to see the topic', () => a.topic('gone'));
    expect(a.topic('gone')).toEqual(t);

    await a.deleteTopic('gone');
    await until('broker 1 to drop both partitions', () => rec.events.filter((e) => e.startsWith('deleted ')).length === 2);
    expect(rec.events.filter((e) => e.startsWith('deleted ')).sort()).toEqual(['deleted gone-0', 'deleted gone-1']);
    await until('broker 2 to forget the topic', () => b.topic('gone') === undefined && b.partition('gone', 0) === undefined);
    expect(b.topics()).toEqual([]);
    const again = await b.deleteTopic('gone').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(UnknownTopicOrPartitionError);
    expect((again as Error).message).toBe('unknown topic gone');
  });
});
