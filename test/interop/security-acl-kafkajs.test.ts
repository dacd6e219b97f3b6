import { AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, type AclEntry, type Admin, ResourcePatternTypes as Pat } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../src/broker/index.js';
import { fetchAll } from '../helpers/kafkajs.js';
import { PLAIN_JAAS } from '../security/sasl-helpers.js';
import { allowAlice, errorType, saslClient, startAclBroker } from './security-acl-helpers.js';

const JAAS = PLAIN_JAAS.replace(/;$/, ' user_bob="bob-secret";');


describe('ACLs enforced per API through kafkajs (SASL/PLAIN principals, super user admin)', () => {
  let broker: RunningBroker;
  let admin: Admin;
  const client = (user: string, password: string, retries = 0) => saslClient(broker.listeners[0]!.bootstrap, user, password, retries);
  const alice = (retries = 0) => client('alice', 'alice-secret', retries);
  const allow = allowAlice;
  const grant = async (...acl: AclEntry[]) => expect(await admin.createAcls({ acl })).toBe(true);
  const revokeAll = () => admin.deleteAcls({ filters: [{ resourceType: Res.ANY, resourcePatternType: Pat.ANY, principal: 'User:alice', operation: Op.ANY, permissionType: Perm.ANY }] });

  beforeAll(async () => {
    ({ broker, admin } = await startAclBroker({ 'sasl.jaas.config': JAAS, 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'auto.create.topics.enable': 'true' }));
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }, { topic: 'payments', numPartitions: 1 }, { topic: 'secret', numPartitions: 1 }] });
  });
  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  it('CreateAcls, DescribeAcls and DeleteAcls: the super user manages them, alice may not', async () => {
    await grant(allow(Res.TOPIC, 'orders', Op.READ), allow(Res.TOPIC, 'pay', Op.WRITE, { resourcePatternType: Pat.PREFIXED }));
    const all = await admin.describeAcls({ resourceType: Res.ANY, resourcePatternType: Pat.ANY, operation: Op.ANY, permissionType: Perm.ANY });
    expect(all.resources.map((r) => [r.resourceType, r.resourceName, r.resourcePatternType, r.acls])).toEqual([
      [Res.TOPIC, 'orders', Pat.LITERAL, [{ principal: 'User:alice', host: '*', operation: Op.READ, permissionType: Perm.ALLOW }]],
      [Res.TOPIC, 'pay', Pat.PREFIXED, [{ principal: 'User:alice', host: '*', operation: Op.WRITE, permissionType: Perm.ALLOW }]],
    ]);
    const matching = await admin.describeAcls({ resourceType: Res.TOPIC, resourceName: 'payments', resourcePatternType: Pat.MATCH, operation: Op.ANY, permissionType: Perm.ANY });
    expect(matching.resources.map((r) => r.resourceName)).toEqual(['pay']);
    const a = alice().admin();
    await a.connect();
    try {
      expect(await errorType(a.createAcls({ acl: [allow(Res.CLUSTER, 'kafka-cluster', Op.ALL)] }))).toBe('CLUSTER_AUTHORIZATION_FAILED');
      expect(await errorType(a.describeAcls({ resourceType: Res.ANY, resourcePatternType: Pat.ANY, operation: Op.ANY, permissionType: Perm.ANY }))).toBe('CLUSTER_AUTHORIZATION_FAILED');
    } finally {
      await a.disconnect();
    }
    const deleted = await revokeAll();
    expect(deleted.filterResponses[0]!.matchingAcls.map((m) => m.resourceName).sort()).toEqual(['orders', 'pay']);
  });

  it('Metadata hides what alice may not describe; Produce needs WRITE; Fetch and ListOffsets need READ and DESCRIBE', async () => {
    const a = alice().admin();
    await a.connect();
    try {
      expect((await a.fetchTopicMetadata()).topics).toEqual([]);
      expect(await errorType(a.fetchTopicMetadata({ topics: ['orders'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await grant(allow(Res.TOPIC, 'orders', Op.DESCRIBE));
      expect((await a.fetchTopicMetadata()).topics.map((t) => t.name)).toEqual(['orders']);
      expect(await a.fetchTopicOffsets('orders')).toEqual([{ partition: 0, offset: '0', high: '0', low: '0' }]);
      expect(await errorType(a.fetchTopicOffsets('secret'))).toBe('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await a.disconnect();
    }
    const producer = alice().producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      expect(await errorType(producer.send({ topic: 'orders', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await grant(allow(Res.TOPIC, 'orders', Op.WRITE));
      expect((await producer.send({ topic: 'orders', messages: [{ value: 'a' }, { value: 'b' }] }))[0]!.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
    expect(await errorType(fetchAll(alice(), 'orders', 0, 0, { isolationLevel: 0 }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    await grant(allow(Res.TOPIC, 'orders', Op.READ));
    expect((await fetchAll(alice(), 'orders', 0, 0, { isolationLevel: 0 })).map((m) => m.value!.toString())).toEqual(['a', 'b']);
    await revokeAll();
  });

  it('prefixed ACLs and deny: WRITE on pay*, a DENY on payments wins; auto-creation needs CREATE', async () => {
    await grant(allow(Res.TOPIC, 'pay', Op.WRITE, { resourcePatternType: Pat.PREFIXED }), allow(Res.TOPIC, 'payments', Op.WRITE, { permissionType: Perm.DENY }));
    const producer = alice().producer({ allowAutoTopicCreation: true });
    await producer.connect();
    try {
      expect(await errorType(producer.send({ topic: 'payments', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      // pay-new does not exist: DESCRIBE comes from the prefixed WRITE, creating it needs CREATE.
      expect(await errorType(producer.send({ topic: 'pay-new', messages: [{ value: 'x' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await grant(allow(Res.TOPIC, 'pay', Op.CREATE, { resourcePatternType: Pat.PREFIXED }));
      expect((await producer.send({ topic: 'pay-new', messages: [{ value: 'x' }] }))[0]!.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
    await revokeAll();
  });

  it('admin APIs: CreateTopics, CreatePartitions, DeleteRecords, DeleteTopics, DescribeConfigs and AlterConfigs by their operations; broker configs need the cluster', async () => {
    const a = alice().admin();
    await a.connect();
    try {
      expect(await errorType(a.createTopics({ topics: [{ topic: 'alice-t', numPartitions: 1 }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await grant(allow(Res.TOPIC, 'alice-', Op.ALL, { resourcePatternType: Pat.PREFIXED }));
      expect(await a.createTopics({ topics: [{ topic: 'alice-t', numPartitions: 1 }] })).toBe(true);
      await a.createPartitions({ topicPartitions: [{ topic: 'alice-t', count: 2 }] });
      expect(await errorType(a.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      const cfg = await a.describeConfigs({ resources: [{ type: 2, name: 'alice-t', configNames: ['cleanup.policy'] }], includeSynonyms: false });
      expect(cfg.resources[0]!.configEntries.map((e) => [e.configName, e.configValue])).toEqual([['cleanup.policy', 'delete']]);
      expect(await errorType(a.describeConfigs({ resources: [{ type: 2, name: 'orders' }], includeSynonyms: false }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      const nodeId = (await a.describeCluster()).brokers[0]!.nodeId;
      expect(await errorType(a.describeConfigs({ resources: [{ type: 4, name: String(nodeId) }], includeSynonyms: false }))).toBe('CLUSTER_AUTHORIZATION_FAILED');
      await a.alterConfigs({ resources: [{ type: 2, name: 'alice-t', configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
      expect(await errorType(a.alterConfigs({ resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: '60000' }] }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      expect(await errorType(a.deleteTopicRecords({ topic: 'orders', partitions: [{ partition: 0, offset: '0' }] }))).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
      expect(await errorType(a.deleteTopics({ topics: ['orders'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
      await a.deleteTopics({ topics: ['alice-t'] });
      expect((await admin.listTopics()).sort()).toEqual(['orders', 'pay-new', 'payments', 'secret']);
    } finally {
      await a.disconnect();
    }
    await revokeAll();
  });

  it('an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (InitProducerId)', async () => {
    // DESCRIBE lets the producer see the topic; InitProducerId is what refuses it.
    await grant(allow(Res.TOPIC, 'orders', Op.DESCRIBE));
    const producer = alice(1).producer({ idempotent: true, allowAutoTopicCreation: false });
    // kafkajs asks for its producer id when it connects.
    expect(await errorType(producer.connect())).toBe('CLUSTER_AUTHORIZATION_FAILED');
    await producer.disconnect();
    await grant(allow(Res.CLUSTER, 'kafka-cluster', Op.IDEMPOTENT_WRITE));
    const withCluster = alice(1).producer({ idempotent: true, allowAutoTopicCreation: false });
    await withCluster.connect();
    // IDEMPOTENT_WRITE gives a producer id, not the topic.
    expect(await errorType(withCluster.send({ topic: 'orders', messages: [{ value: 'i' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
    await withCluster.disconnect();
    await admin.deleteAcls({ filters: [{ resourceType: Res.CLUSTER, resourcePatternType: Pat.ANY, operation: Op.ANY, permissionType: Perm.ANY }] });
    await grant(allow(Res.TOPIC, 'orders', Op.WRITE));
    const again = alice(1).producer({ idempotent: true, allowAutoTopicCreation: false });
    await again.connect();
    expect((await again.send({ topic: 'orders', messages: [{ value: 'i' }] }))[0]!.errorCode).toBe(0);
    await again.disconnect();
    await revokeAll();
  });
});
