import { AclOperationTypes as Op, AclResourceTypes as Res, type AclEntry, type Admin, ResourcePatternTypes as Pat } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../src/broker/index.js';
import { allowAlice, errorType, findCoordinatorError, saslClient, startAclBroker } from './security-acl-helpers.js';

describe('ACLs through a consumer group and a transaction (kafkajs, SASL/PLAIN)', () => {
  let broker: RunningBroker;
  let admin: Admin;
  const client = (user: string, password: string, retries = 0) => saslClient(broker.listeners[0]!.bootstrap, user, password, retries);
  const alice = (retries = 0) => client('alice', 'alice-secret', retries);
  const allow = allowAlice;
  const grant = async (...acl: AclEntry[]) => expect(await admin.createAcls({ acl })).toBe(true);

  beforeAll(async () => {
    ({ broker, admin } = await startAclBroker({ 'transaction.state.log.replication.factor': '1', 'transaction.state.log.min.isr': '1' }));
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 1 }, { topic: 'out', numPartitions: 1 }] });
    const p = client('admin', 'admin-secret').producer();
    await p.connect();
    await p.send({ topic: 'in', messages: [{ value: 'm0' }, { value: 'm1' }, { value: 'm2' }] });
    await p.disconnect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  it('a consumer needs DESCRIBE/READ on its group (FindCoordinator, JoinGroup, OffsetCommit) and READ on the topic; others see only groups they may describe', async () => {
    await grant(allow(Res.TOPIC, 'in', Op.READ));
    const denied = alice().consumer({ groupId: 'g-alice', retry: { retries: 0 } });
    expect(await errorType(denied.connect().then(() => denied.subscribe({ topics: ['in'], fromBeginning: true })).then(() => new Promise((resolve, reject) => {
      denied.on(denied.events.CRASH, (e) => reject(e.payload.error));
      void denied.run({ eachMessage: async () => resolve(undefined) });
    })))).toBe('KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator');
    await denied.disconnect();
    expect(await findCoordinatorError(alice(), 'g-alice', 0)).toBe('GROUP_AUTHORIZATION_FAILED');

    await grant(allow(Res.GROUP, 'g-', Op.READ, { resourcePatternType: Pat.PREFIXED }));
    const consumer = alice().consumer({ groupId: 'g-alice' });
    await consumer.connect();
    await consumer.subscribe({ topics: ['in'], fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({ autoCommit: true, eachMessage: async ({ message }) => {
        got.push(message.value!.toString());
        if (got.length === 3) resolve();
      } });
    });
    await consumer.disconnect(); // commits what it consumed
    expect(got).toEqual(['m0', 'm1', 'm2']);
    expect(await admin.fetchOffsets({ groupId: 'g-alice', topics: ['in'] })).toEqual([{ topic: 'in', partitions: [{ partition: 0, offset: '3', metadata: null }] }]);

    // Another group of admin's is invisible to alice; deleting hers needs DELETE.
    await admin.setOffsets({ groupId: 'admins', topic: 'in', partitions: [{ partition: 0, offset: '1' }] });
    const a = alice().admin();
    await a.connect();
    try {
      expect((await a.listGroups()).groups.map((g) => g.groupId)).toEqual(['g-alice']);
      expect((await admin.listGroups()).groups.map((g) => g.groupId).sort()).toEqual(['admins', 'g-alice']);
      expect((await a.describeGroups(['g-alice'])).groups.map((g) => [g.groupId, g.state, g.errorCode])).toEqual([['g-alice', 'Empty', 0]]);
      expect(await findCoordinatorError(alice(), 'admins', 0)).toBe('GROUP_AUTHORIZATION_FAILED');
      expect(await errorType(a.deleteGroups(['g-alice']))).toBe('GROUP_AUTHORIZATION_FAILED');
      await grant(allow(Res.GROUP, 'g-alice', Op.DELETE));
      expect(await a.deleteGroups(['g-alice'])).toEqual([{ groupId: 'g-alice', errorCode: 0 }]);
    } finally {
      await a.disconnect();
    }
  });

  it('a transaction needs WRITE on its transactional id (InitProducerId, AddPartitionsToTxn, EndTxn), WRITE on its topics and READ on the group of its offsets', async () => {
    await grant(allow(Res.TOPIC, 'out', Op.WRITE));
    const denied = alice(1).producer({ transactionalId: 'tx-alice', idempotent: true, maxInFlightRequests: 1 });
    await denied.connect(); // an idempotent InitProducerId: WRITE on 'out' is enough
    expect(await errorType(denied.transaction())).toBe('KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator');
    expect(await findCoordinatorError(alice(), 'tx-alice', 1)).toBe('TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    await denied.disconnect();

    await grant(allow(Res.TRANSACTIONAL_ID, 'tx-', Op.WRITE, { resourcePatternType: Pat.PREFIXED }));
    const producer = alice(1).producer({ transactionalId: 'tx-alice', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'out', messages: [{ value: 't0' }] });
    // The offsets of group offsets-txn: READ on the group is missing (AddOffsetsToTxn).
    expect(await errorType(txn.sendOffsets({ consumerGroupId: 'offsets-txn', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '1' }] }] }))).toBe('GROUP_AUTHORIZATION_FAILED');
    await txn.abort();
    await grant(allow(Res.GROUP, 'offsets-txn', Op.READ));
    const txn2 = await producer.transaction();
    await txn2.send({ topic: 'out', messages: [{ value: 't1' }] });
    await txn2.sendOffsets({ consumerGroupId: 'offsets-txn', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '2' }] }] });
    await txn2.commit();
    // A topic alice may not write fails AddPartitionsToTxn.
    const txn3 = await producer.transaction();
    expect(await errorType(txn3.send({ topic: 'in', messages: [{ value: 'no' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    await txn3.abort().catch(() => {});
    await producer.disconnect();
    expect(await admin.fetchOffsets({ groupId: 'offsets-txn', topics: ['in'] })).toEqual([{ topic: 'in', partitions: [{ partition: 0, offset: '2', metadata: null }] }]);
    expect(await admin.fetchTopicOffsets('out')).toEqual([{ partition: 0, offset: '4', high: '4', low: '0' }]);
  });
});
