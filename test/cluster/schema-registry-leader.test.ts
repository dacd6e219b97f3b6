/**
 * One Schema Registry leader per cluster (two broker processes, real etcd): the registries of
 * both brokers elect a leader through the Kafka group `schema-registry` as Confluent's do; writes
 * through the other broker are forwarded to it, so registrations made at the same time through
 * both brokers get distinct ids, and the same schema gets one id wherever it is registered.
 * Every broker answers reads from the `_schemas` it follows.
 */
import { describe, expect, it } from 'vitest';
import { TestCluster } from '../helpers/broker-cluster.js';
import { ETCD_SKIPPED, freePort } from '../helpers/etcd.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { until } from '../helpers/until.js';
import { call } from '../http/serve.js';

const recordSchema = (name: string): string => JSON.stringify({ type: 'record', name, fields: [{ name: 'id', type: 'long' }] });

describe.skipIf(ETCD_SKIPPED)('schema registry leader in a cluster (two broker processes, real etcd)', () => {
  it('forwards writes to one elected leader: concurrent registrations through both brokers get distinct ids, one schema one id', async () => {
    const httpPorts = [await freePort(), await freePort()];
    const cluster = await TestCluster.start(2, {}, (id) => ({ 'http.listeners': `http://127.0.0.1:${httpPorts[id - 1]}` }));
    const urls = httpPorts.map((p) => `http://127.0.0.1:${p}`);
    const admin = kafkajs(cluster.bootstrap).admin();
    try {
      // The first request opens each broker's registry, which then joins the election.
      for (const url of urls) expect(await call(url, 'GET', '/subjects')).toEqual({ status: 200, type: 'application/vnd.schemaregistry.v1+json', body: [] });
      await admin.connect();
      await until('both registries in the schema-registry group', async () => {
        const { groups: [g] } = await admin.describeGroups(['schema-registry']);
        return g?.state === 'Stable' && g.protocolType === 'sr' && g.members.length === 2;
      }, 20_000);

      // Eight schemas at once, alternating brokers: without one leader, both would take maxId + 1.
      const registered = await Promise.all(Array.from({ length: 8 }, (_, i) => call(urls[i % 2]!, 'POST', `/subjects/s${i}-value/versions`, { schema: recordSchema(`R${i}`) })));
      expect(registered.map((r) => r.status)).toEqual(Array(8).fill(200));
      const ids = registered.map((r) => (r.body as { id: number }).id);
      expect([...ids].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

      // One schema through both brokers at once, under two subjects: one id.
      const same = await Promise.all([
        call(urls[0]!, 'POST', '/subjects/shared-a/versions', { schema: recordSchema('Shared') }),
        call(urls[1]!, 'POST', '/subjects/shared-b/versions', { schema: recordSchema('Shared') }),
        call(urls[1]!, 'POST', '/subjects/shared-a/versions', { schema: recordSchema('Shared') }),
      ]);
      expect(same.map((r) => r.body)).toEqual([{ id: 9 }, { id: 9 }, { id: 9 }]);

      // Each broker reads the same state from the `_schemas` it follows.
      for (const url of urls) {
        await until(`every subject on ${url}`, async () => ((await call(url, 'GET', '/subjects')).body as string[]).length === 10);
        expect(await call(url, 'GET', '/subjects/shared-b/versions/1')).toEqual({
          status: 200, type: 'application/vnd.schemaregistry.v1+json', body: { subject: 'shared-b', version: 1, id: 9, schema: recordSchema('Shared') },
        });
        for (const i of [0, 1, 4]) expect((await call(url, 'GET', `/schemas/ids/${ids[i]}`)).body).toEqual({ schema: recordSchema(`R${i}`) });
      }

      // A config change through either broker is the leader's: both see it.
      expect(await call(urls[1]!, 'PUT', '/config/s0-value', { compatibility: 'FULL' })).toEqual({ status: 200, type: 'application/vnd.schemaregistry.v1+json', body: { compatibility: 'FULL' } });
      for (const url of urls) await until(`FULL on ${url}`, async () => JSON.stringify((await call(url, 'GET', '/config/s0-value')).body) === '{"compatibilityLevel":"FULL"}');

      // A write forwarded to the broker that is not the leader is refused with 50004, never forwarded on.
      const forwarded = await Promise.all(urls.map(async (url) => {
        const res = await fetch(`${url}/subjects/direct/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', 'x-strand-schema-registry-forwarded': 'true' },
          body: JSON.stringify({ schema: recordSchema('Direct') }),
        });
        return { status: res.status, body: await res.json() as unknown };
      }));
      expect(forwarded.map((f) => f.status).sort()).toEqual([200, 500]);
      expect(forwarded.find((f) => f.status === 500)!.body).toEqual({ error_code: 50004, message: 'Leader not known.' });
      expect(forwarded.find((f) => f.status === 200)!.body).toEqual({ id: 10 });
    } finally {
      await admin.disconnect();
      await cluster.destroy();
    }
  }, 60_000);
});
