/**
 * Membership: brokers register under a session lease and disappear when it ends, whether the
 * broker leaves (lease revoked at once) or its process is SIGKILLed (the lease expires within
 * its TTL).
 */
import { describe, expect, it } from 'vitest';
import { leaseTtlSeconds } from '../../src/cluster/index.js';
import { ETCD_SKIPPED, EtcdServer } from '../helpers/etcd.js';
import { sleep, until } from '../helpers/until.js';
import { MemberProcess } from './fixtures/member-process.js';
import { memberConfig, startMember, uniqueClusterId } from './fixtures/members.js';

describe('lease TTL from broker.session.timeout.ms', () => {
  it('rounds up to whole seconds (etcd leases have a TTL in seconds)', () => {
    expect([leaseTtlSeconds(9000), leaseTtlSeconds(2500), leaseTtlSeconds(1), leaseTtlSeconds(1000)]).toEqual([9, 3, 1, 1]);
  });
});

describe.skipIf(ETCD_SKIPPED)('cluster membership (real etcd)', () => {
  it('registers each broker with its listeners and rack; a closing broker leaves at once', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => startMember(memberConfig(etcd, id, n, { rack: `rack-${n % 2}` }))));
    for (const m of [a!, b!, c!]) await until(`member ${m.nodeId} to see 3 brokers`, () => m.liveBrokers().length === 3);
    expect(a!.liveBrokers().map(({ brokerEpoch: _, incarnationId: __, ...rest }) => rest)).toEqual([
      { nodeId: 1, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 19001 }], rack: 'rack-1' },
      { nodeId: 2, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 19002 }], rack: 'rack-0' },
      { nodeId: 3, listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 19003 }], rack: 'rack-1' },
    ]);
    await b!.close();
    await until('broker 2 to be gone', () => a!.liveBrokers().length === 2, 1000);
    expect(c!.liveBrokers().map((x) => x.nodeId)).toEqual([1, 3]);
  });

  it('a SIGKILLed broker process disappears within its lease TTL + 1 s', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const watcher = await startMember(memberConfig(etcd, id, 1));
    const victim = await MemberProcess.start(memberConfig(etcd, id, 2));
    await until('broker 2 registered', () => watcher.liveBrokers().some((b) => b.nodeId === 2));
    const killedAt = Date.now();
    victim.signal('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    await until('broker 2 to expire', () => !watcher.liveBrokers().some((b) => b.nodeId === 2), 10_000);
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThanOrEqual(2000 + 1000);
    expect(watcher.liveBrokers().map((b) => b.nodeId)).toEqual([1]);
  });

  it('a second process with a registered node id waits until the first one\'s session ends (DUPLICATE_BROKER_REGISTRATION)', async () => {
    const etcd = await EtcdServer.start();
    const id = uniqueClusterId();
    const first = await startMember(memberConfig(etcd, id, 5));
    const holder = await until('broker 5 registered', () => first.liveBrokers()[0]);
    let started = false;
    const second = startMember(memberConfig(etcd, id, 5, { listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 29005 }] })).then((m) => { started = true; return m; });
    await sleep(1500);
    expect(started).toBe(false);
    expect(first.liveBrokers()).toEqual([holder]);
    await first.close();
    const m = await second;
    const now = m.liveBrokers();
    expect(now.map((b) => [b.nodeId, b.listeners[0]!.port])).toEqual([[5, 29005]]);
    expect(now[0]!.incarnationId).not.toBe(holder.incarnationId);
    expect(now[0]!.brokerEpoch).toBeGreaterThan(holder.brokerEpoch);
  });
});
