/**
 * SCRAM users and client quotas are cluster state in a cluster (etcd, as Kafka keeps them in its
 * metadata log): set through one broker, every broker answers with them, concurrent changes
 * through different brokers all land, and a restarted broker has them.
 */
import { describe, expect, it } from 'vitest';
import { AlterClientQuotasApi, DescribeClientQuotasApi, DescribeUserScramCredentialsApi } from '../../src/protocol/messages/index.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { withClient } from '../helpers/cluster-metadata.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { until } from '../helpers/until.js';
import { addScramUser } from '../security/sasl-helpers.js';

async function users(bootstrap: string): Promise<Array<{ user: string; mechanisms: number[] }>> {
  const res = await withClient(bootstrap, (c) => c.request(DescribeUserScramCredentialsApi, 0, { users: null }));
  return res.results.map((r) => ({ user: r.user, mechanisms: r.credentialInfos.map((i) => i.mechanism).sort() }));
}

async function quotas(bootstrap: string): Promise<Array<{ clientId: string | null; values: Record<string, number> }>> {
  const res = await withClient(bootstrap, (c) => c.request(DescribeClientQuotasApi, 1, { components: [], strict: false }));
  return (res.entries ?? [])
    .map((e) => ({ clientId: e.entity.find((x) => x.entityType === 'client-id')?.entityName ?? null, values: Object.fromEntries(e.values.map((v) => [v.key, v.value])) }))
    .sort((a, b) => String(a.clientId).localeCompare(String(b.clientId)));
}

function setQuota(bootstrap: string, clientId: string, key: string, value: number): Promise<number> {
  return withClient(bootstrap, async (c) => {
    const res = await c.request(AlterClientQuotasApi, 1, { entries: [{ entity: [{ entityType: 'client-id', entityName: clientId }], ops: [{ key, value, remove: false }] }], validateOnly: false });
    return res.entries[0]!.errorCode;
  });
}

describe.skipIf(ETCD_SKIPPED)('security state shared by a cluster (two broker processes, real etcd)', () => {
  it('a SCRAM user and client quotas set through one broker hold on the other, concurrent changes all land, a restart keeps them', async () => {
    const cluster = await TestCluster.start(2);
    try {
      const [one, two] = [cluster.node(1).bootstrap, cluster.node(2).bootstrap];
      expect((await addScramUser(one, 'alice', 'alice-secret', 'SCRAM-SHA-256')).errorCode).toBe(0);
      // Concurrently through both brokers: neither change is lost to the other.
      const added = await Promise.all([addScramUser(one, 'bob', 'bob-secret', 'SCRAM-SHA-512'), addScramUser(two, 'carol', 'carol-secret', 'SCRAM-SHA-256')]);
      expect(added.map((r) => r.errorCode)).toEqual([0, 0]);
      const expectedUsers = [{ user: 'alice', mechanisms: [1] }, { user: 'bob', mechanisms: [2] }, { user: 'carol', mechanisms: [1] }];
      for (const b of [one, two]) await until(`every user on ${b}`, async () => JSON.stringify(await users(b)) === JSON.stringify(expectedUsers));

      expect(await Promise.all([setQuota(one, 'app-a', 'producer_byte_rate', 1_048_576), setQuota(two, 'app-b', 'consumer_byte_rate', 2_097_152)])).toEqual([0, 0]);
      const expectedQuotas = [{ clientId: 'app-a', values: { producer_byte_rate: 1_048_576 } }, { clientId: 'app-b', values: { consumer_byte_rate: 2_097_152 } }];
      for (const b of [one, two]) await until(`every quota on ${b}`, async () => JSON.stringify(await quotas(b)) === JSON.stringify(expectedQuotas));

      await cluster.stopNode(2);
      expect(await setQuota(one, 'app-c', 'request_percentage', 50)).toBe(0);
      await cluster.startNode(2);
      expect(await users(two)).toEqual(expectedUsers);
      expect(await quotas(two)).toEqual([...expectedQuotas, { clientId: 'app-c', values: { request_percentage: 50 } }]);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);
});
