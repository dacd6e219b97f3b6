import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterAcls } from '../../../src/broker/cluster-state/acls.js';
import { type AclBinding, AclManager, AclOperation as Op, PatternType, PermissionType, ResourceType } from '../../../src/security/acl/index.js';
import { ETCD_SKIPPED, EtcdServer } from '../../helpers/etcd.js';
import { until } from '../../helpers/until.js';

const policy = { superUsers: new Set<string>(), allowEveryoneIfNoAclFound: false };
const read = (topic: string, principal = 'User:alice'): AclBinding => ({ resourceType: ResourceType.TOPIC, resourceName: topic, patternType: PatternType.LITERAL, principal, host: '*', operation: Op.READ, permissionType: PermissionType.ALLOW });
const all = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY };

describe.skipIf(ETCD_SKIPPED)('cluster ACLs in etcd (real etcd, two brokers\' managers)', () => {
  let etcd: EtcdServer;
  const managers: AclManager[] = [];
  const open = async () => {
    const m = await AclManager.open(policy, (applyAll) => new ClusterAcls([etcd.endpoint], 'acl-test', applyAll, pino({ level: 'silent' })));
    managers.push(m);
    return m;
  };
  beforeAll(async () => { etcd = await EtcdServer.start(); });
  afterAll(async () => {
    for (const m of managers) await m.close();
  });

  it('an ACL created on one broker is enforced by the other; concurrent changes on both all land; a broker started later loads them', async () => {
    const a = await open();
    const b = await open();
    expect((await a.create([read('orders')]))[0]!.errorCode).toBe(0);
    await until('broker b to apply the ACL from etcd', () => b.authorizer.authorize('User:alice', '10.0.0.1', Op.READ, ResourceType.TOPIC, 'orders'));

    // Each broker adds its own ACLs at the same time: compare-and-swap keeps both.
    await Promise.all([a.create([read('a1'), read('a2')]), b.create([read('b1')]), b.delete([{ ...all, resourceName: 'orders', resourceType: ResourceType.TOPIC }])]);
    const names = (m: AclManager) => m.describe(all).bindings.map((x) => x.resourceName).sort();
    await until('both brokers to hold the same ACLs', () => names(a).join() === 'a1,a2,b1' && names(b).join() === 'a1,a2,b1');

    const c = await open();
    expect(names(c)).toEqual(['a1', 'a2', 'b1']);
    expect(c.authorizer.authorize('User:alice', '10.0.0.1', Op.READ, ResourceType.TOPIC, 'orders')).toBe(false);
  });
});
