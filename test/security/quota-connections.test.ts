/**
 * Connection limits as Kafka's ConnectionQuotas: max.connections.per.ip closes the connection
 * over the limit; max.connections and listener.name.<l>.max.connections leave the one over the
 * limit unread until another closes.
 */
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { AlterClientQuotasApi, ApiVersionsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tmpDir } from '../helpers/tmp.js';

const apiVersions = (c: RawClient) => c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });

describe('connection limits', () => {
  it('max.connections.per.ip closes the N+1th connection of an address; a closed one frees its place', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'max.connections.per.ip': '2' } });
    const a = await RawClient.open(broker.bootstrap);
    const b = await RawClient.open(broker.bootstrap);
    expect((await apiVersions(a)).errorCode).toBe(0);
    expect((await apiVersions(b)).errorCode).toBe(0);
    const c = await RawClient.open(broker.bootstrap);
    expect(await c.closedByBroker(10_000)).toBe(true);
    a.close();
    // The broker sees the close a moment later: retry until the new connection is served.
    let served = false;
    for (let i = 0; i < 100 && !served; i++) {
      const d = await RawClient.open(broker.bootstrap);
      served = !(await d.closedByBroker(100)) && (await apiVersions(d)).errorCode === 0;
      d.close();
    }
    expect(served).toBe(true);
    b.close();
    await broker.stop();
  });

  it('max.connections.per.ip.overrides gives an address its own limit', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'max.connections.per.ip': '5', 'max.connections.per.ip.overrides': '127.0.0.1:1' } });
    const a = await RawClient.open(broker.bootstrap);
    expect((await apiVersions(a)).errorCode).toBe(0);
    const b = await RawClient.open(broker.bootstrap);
    expect(await b.closedByBroker(10_000)).toBe(true);
    a.close();
    await broker.stop();
  });

  it('max.connection.creation.rate holds the connection that takes the rate over it back for the throttle time', async () => {
    // Windows of 1 s, two of them: the first connection is 1/s (within the bound of 1/s); the
    // second, at once, makes 2 per (at least) 1 s: throttled (2 - 1) / 1 x 1000 ms.
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'max.connection.creation.rate': '1', 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    const a = await RawClient.open(broker.bootstrap);
    expect((await apiVersions(a)).errorCode).toBe(0);
    const started = Date.now();
    const b = await RawClient.open(broker.bootstrap);
    expect((await apiVersions(b)).errorCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    a.close();
    b.close();
    await broker.stop();
  });

  it('an ip entity connection_creation_rate quota (KIP-612) closes the connection over it after its throttle', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'quota.window.num': '2', 'quota.window.size.seconds': '1' } });
    const admin = await RawClient.open(broker.bootstrap);
    const set = await admin.request(AlterClientQuotasApi, 1, { entries: [{ entity: [{ entityType: 'ip', entityName: '127.0.0.1' }], ops: [{ key: 'connection_creation_rate', value: 1, remove: false }] }], validateOnly: false });
    expect(set.entries[0]!.errorCode).toBe(0);
    // The first connection since: 1 per (at least) 1 s, within the quota; the second is over it.
    const a = await RawClient.open(broker.bootstrap);
    expect((await apiVersions(a)).errorCode).toBe(0);
    const b = await RawClient.open(broker.bootstrap);
    expect(await b.closedByBroker(10_000)).toBe(true);
    expect((await apiVersions(a)).errorCode).toBe(0);
    a.close();
    admin.close();
    await broker.stop();
  });

  for (const [name, key] of [['broker-wide', 'max.connections'], ['per listener', 'listener.name.plaintext.max.connections']]) {
    it(`${key} (${name}) leaves the N+1th connection unread until one closes`, async () => {
      const broker = await startBroker({ dataDir: tmpDir(), config: { [key]: '2' } });
      const a = await RawClient.open(broker.bootstrap);
      const b = await RawClient.open(broker.bootstrap);
      expect((await apiVersions(a)).errorCode).toBe(0);
      expect((await apiVersions(b)).errorCode).toBe(0);
      const c = await RawClient.open(broker.bootstrap);
      const answered = apiVersions(c);
      let early = false;
      void answered.then(() => (early = true), () => {});
      await new Promise((r) => setTimeout(r, 300));
      expect(early).toBe(false);
      a.close();
      expect((await answered).errorCode).toBe(0);
      b.close();
      c.close();
      await broker.stop();
    });
  }
});
