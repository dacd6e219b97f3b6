import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { AclOperation as Op, PatternType as P, PermissionType as Perm, ResourceType as R } from '../../src/security/acl/index.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * A fetch session (KIP-227) as User:ANONYMOUS on a PLAINTEXT listener: READ taken away mid-session
 * applies to the session's partitions even when an incremental fetch does not name them.
 */
describe('ACLs and incremental fetch sessions; acks=0 produce', () => {
  let broker: RunningBroker;
  let admin: RawClient;
  const acl = { resourceType: R.TOPIC, resourceName: 's', resourcePatternType: P.LITERAL, principal: 'User:ANONYMOUS', host: '*', operation: Op.READ, permissionType: Perm.ALLOW };
  beforeAll(async () => {
    broker = await startBroker({
      logLevel: 'silent',
      config: { listeners: 'PLAINTEXT://127.0.0.1:0,ADMIN://127.0.0.1:0', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,ADMIN:SASL_PLAINTEXT', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";', 'authorizer.class.name': 'strand', 'super.users': 'User:admin', 'auto.create.topics.enable': 'false' },
    });
    const kafka = new Kafka({ brokers: [broker.listeners[1]!.bootstrap], sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' }, logLevel: logLevel.NOTHING });
    const a = kafka.admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: 's', numPartitions: 1 }] });
    await a.disconnect();
    const p = kafka.producer();
    await p.connect();
    await p.send({ topic: 's', messages: [{ value: 'one' }] });
    await p.disconnect();
    admin = await RawClient.open(broker.listeners[0]!.bootstrap);
  });
  afterAll(async () => {
    admin?.close();
    await broker?.stop();
  });

  it('a partition of the session is refused once READ is removed, named in the request or not', async () => {
    const kafka = new Kafka({ brokers: [broker.listeners[1]!.bootstrap], sasl: { mechanism: 'plain', username: 'admin', password: 'admin-secret' }, logLevel: logLevel.NOTHING });
    const a = kafka.admin();
    await a.connect();
    try {
      await a.createAcls({ acl: [acl] });
      const fetch = (sessionId: number, sessionEpoch: number, fetchOffset: bigint | null) => admin.request(FetchApi, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId, sessionEpoch, forgottenTopicsData: [], rackId: '',
        topics: fetchOffset === null ? [] : [{ topic: 's', partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1 }] }],
      });
      const full = await fetch(0, 0, 0n);
      expect(full.responses.map((t) => [t.topic, t.partitions[0]!.errorCode, t.partitions[0]!.records!.length > 0])).toEqual([['s', 0, true]]);
      expect(full.sessionId).toBeGreaterThan(0);
      await a.deleteAcls({ filters: [{ resourceType: R.TOPIC, resourceName: 's', resourcePatternType: P.ANY, operation: Op.ANY, permissionType: Perm.ANY }] });
      // From offset 0 again: the session would send the records; the authorizer refuses them.
      const again = await fetch(full.sessionId!, 1, 0n);
      expect(again.responses.map((t) => [t.topic, t.partitions[0]!.errorCode, t.partitions[0]!.records!.length])).toEqual([['s', 29, 0]]);
      // Not named: the session's partition (now at offset 0 with data to send, since nothing was read) is refused too.
      const unnamed = await fetch(full.sessionId!, 2, null);
      for (const t of unnamed.responses) for (const p of t.partitions) expect([t.topic, p.errorCode, p.records!.length]).toEqual(['s', 29, 0]);
    } finally {
      await a.disconnect();
    }
  });

  it('an acks=0 produce to a topic the principal may not write closes its connection, as Kafka does', async () => {
    const c = await RawClient.open(broker.listeners[0]!.bootstrap);
    c.write(encodeRequestFrame(ProduceApi, 9, 5, 'acks0', { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 's', partitionData: [{ index: 0, records: null }] }] }));
    expect(await c.closedByBroker()).toBe(true);
  });
});
