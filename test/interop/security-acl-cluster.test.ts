import { AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, Kafka, logLevel, ResourcePatternTypes as Pat } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { ETCD_SKIPPED, EtcdServer } from '../helpers/etcd.js';
import { until } from '../helpers/until.js';
import { PLAIN_JAAS } from '../security/sasl-helpers.js';
import { errorType } from './security-acl-helpers.js';

/** Two brokers of one cluster in this process: an ACL created through one is enforced by the other. */
describe.skipIf(ETCD_SKIPPED)('cluster ACLs through two brokers (real etcd)', () => {
  let etcd: EtcdServer;
  const brokers: RunningBroker[] = [];
  beforeAll(async () => {
    etcd = await EtcdServer.start();
    for (const nodeId of [1, 2]) {
      brokers.push(await startBroker({
        logLevel: 'silent',
        config: {
          'node.id': String(nodeId), 'cluster.etcd': `etcd://${etcd.endpoint}`, 'cluster.id': 'acl-cluster',
          listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'inter.broker.listener.name': 'PLAINTEXT',
          'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': PLAIN_JAAS,
          'authorizer.class.name': 'strand', 'super.users': 'User:ANONYMOUS', 'auto.create.topics.enable': 'false',
        },
      }));
    }
  });
  afterAll(async () => {
    for (const b of brokers.reverse()) await b.stop();
  });

  it('alice is refused on broker 2 until broker 1 creates her ACL', async () => {
    const admin = new Kafka({ brokers: [brokers[0]!.listeners[0]!.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const alice = new Kafka({ brokers: [brokers[1]!.listeners[1]!.bootstrap], sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      await alice.connect();
      try {
        expect(await errorType(alice.describeAcls({ resourceType: Res.ANY, resourcePatternType: Pat.ANY, operation: Op.ANY, permissionType: Perm.ANY }))).toBe('CLUSTER_AUTHORIZATION_FAILED');
        expect(await admin.createAcls({ acl: [{ resourceType: Res.CLUSTER, resourceName: 'kafka-cluster', resourcePatternType: Pat.LITERAL, principal: 'User:alice', host: '*', operation: Op.DESCRIBE, permissionType: Perm.ALLOW }] })).toBe(true);
        const seen = await until('broker 2 to apply the ACL created through broker 1', async () => {
          const r = await alice.describeAcls({ resourceType: Res.ANY, resourcePatternType: Pat.ANY, operation: Op.ANY, permissionType: Perm.ANY }).catch(() => null);
          return r?.resources;
        }, 15_000);
        expect(seen.map((r) => [r.resourceType, r.resourceName, r.acls.map((a) => a.principal)])).toEqual([[Res.CLUSTER, 'kafka-cluster', ['User:alice']]]);
      } finally {
        await alice.disconnect();
      }
    } finally {
      await admin.disconnect();
    }
  });
});
