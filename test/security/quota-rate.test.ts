import { describe, expect, it } from 'vitest';
import { ClientQuotas, QuotaConfigs, SampledRate, throttleTimeMs } from '../../src/security/quotas/index.js';

describe("Kafka's sampled rate and throttle time", () => {
  it('counts at least samples-1 full windows, so a first burst is divided by them', () => {
    const r = new SampledRate({ samples: 11, windowMs: 1000 });
    r.record(5000, 100_000);
    // 10 full windows assumed: 5000 bytes over 10 s.
    expect(r.windowSize(100_000)).toBe(10_000);
    expect(r.measure(100_000)).toBe(500);
    // 250 ms later: 10.25 s.
    expect(r.windowSize(100_250)).toBe(10_250);
  });

  it('gives the throttle time as ClientQuotaManager.throttleTime: (rate - bound) / bound x window', () => {
    const r = new SampledRate({ samples: 2, windowMs: 1000 });
    r.record(3000, 10_000);
    r.record(1000, 10_500);
    // 4000 bytes over 500 ms elapsed plus the samples-1 = 1 full window assumed: 1.5 s, so
    // 2666.67/s against 1000/s -> (2666.67 - 1000) / 1000 x 1500 ms.
    expect(r.windowSize(10_500)).toBe(1500);
    expect(throttleTimeMs(r, 1000, 10_500)).toBe(2500);
    expect(throttleTimeMs(r, 4000, 10_500)).toBe(0);
    // A new window at 11 000; at 11 400 the elapsed time is 1400 ms: 4000 bytes / 1.4 s.
    r.record(0, 11_000);
    expect(throttleTimeMs(r, 1000, 11_400)).toBe(Math.round(((4000 / 1.4 - 1000) / 1000) * 1400));
  });

  it('forgets windows older than samples x window', () => {
    const r = new SampledRate({ samples: 2, windowMs: 1000 });
    r.record(10_000, 0);
    expect(r.measure(1999)).toBe(10_000 / 1.999);
    expect(r.measure(2000)).toBe(0);
  });

  it("resolves each key by Kafka's precedence and counts it under the matching entity", async () => {
    const configs = new QuotaConfigs(null);
    await configs.alter([
      { entity: { clientId: null }, set: new Map([['producer_byte_rate', 100]]) },
      { entity: { user: 'alice' }, set: new Map([['producer_byte_rate', 200], ['consumer_byte_rate', 300]]) },
      { entity: { user: 'alice', clientId: 'app' }, set: new Map([['producer_byte_rate', 400]]) },
      { entity: { user: null, clientId: null }, set: new Map([['request_percentage', 50]]) },
    ]);
    const q = new ClientQuotas(configs, { samples: 11, windowMs: 1000 });
    const app = q.resolve('alice', 'app');
    const other = q.resolve('alice', 'other');
    const bob = q.resolve('bob', 'x');
    expect([app.produce?.bound, app.fetch?.bound, app.request?.bound]).toEqual([400, 300, 50]);
    expect([other.produce?.bound, other.fetch?.bound]).toEqual([200, 300]);
    // /users/alice is one rate for all of alice's clients; /clients/<default> one per client id.
    expect(other.fetch!.rate).toBe(app.fetch!.rate);
    expect(bob.produce?.bound).toBe(100);
    // /clients/<default> counts by client id alone (Kafka's metric tags user="" client-id=x).
    expect(q.resolve('carol', 'x').produce!.rate).toBe(bob.produce!.rate);
    expect(q.resolve('bob', 'y').produce!.rate).not.toBe(bob.produce!.rate);
    expect(q.resolve('bob', 'x').produce!.rate).toBe(bob.produce!.rate);
    // A connection's lookup is cached until the configuration changes.
    const conn = {};
    const first = q.lookup(conn, 'alice', 'app');
    expect(q.lookup(conn, 'alice', 'app')).toBe(first);
    await configs.alter([{ entity: { user: 'alice', clientId: 'app' }, set: new Map([['producer_byte_rate', null]]) }]);
    expect(q.lookup(conn, 'alice', 'app').produce?.bound).toBe(200);
  });

  it('forgets rates unused for an hour, as Kafka expires quota sensors', async () => {
    const configs = new QuotaConfigs(null);
    await configs.alter([{ entity: { clientId: null }, set: new Map([['producer_byte_rate', 100]]) }]);
    const q = new ClientQuotas(configs, { samples: 11, windowMs: 1000 });
    const old = q.resolve('u', 'old').produce!;
    old.rate.record(10, 1_000_000);
    const recent = q.resolve('u', 'recent').produce!;
    recent.rate.record(10, 1_000_000 + 3_000_000);
    expect(q.rateCount).toBe(2);
    q.sweep(1_000_000 + 3_600_000);
    expect(q.rateCount).toBe(1);
    expect(q.resolve('u', 'recent').produce!.rate).toBe(recent.rate);
  });
});
