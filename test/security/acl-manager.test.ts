import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AclBinding, AclFile, AclManager, AclOperation as Op, PatternType as P, PermissionType, ResourceType as R } from '../../src/security/acl/index.js';

const policy = { superUsers: new Set<string>(), allowEveryoneIfNoAclFound: false };
const b = (resourceType: number, resourceName: string, patternType: number, principal = 'User:alice', operation: number = Op.READ, permissionType: number = PermissionType.ALLOW, host = '*'): AclBinding =>
  ({ resourceType, resourceName, patternType, principal, host, operation, permissionType });
const filter = (f: Partial<{ resourceType: number; resourceName: string | null; patternType: number; principal: string | null; host: string | null; operation: number; permissionType: number }>) =>
  ({ resourceType: R.ANY, resourceName: null, patternType: P.ANY, principal: null, host: null, operation: Op.ANY, permissionType: PermissionType.ANY, ...f });

describe('ACL administration (CreateAcls/DescribeAcls/DeleteAcls semantics) and its file', () => {
  const dirs: string[] = [];
  const open = async (dir = mkdtempSync(join(tmpdir(), 'strand-acl-'))) => {
    dirs.push(dir);
    return { dir, manager: await AclManager.open(policy, new AclFile(dir)) };
  };
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

  it('creations are checked one by one with Kafka\'s messages; a binding created twice is kept once', async () => {
    const { manager } = await open();
    const results = await manager.create([
      b(R.TOPIC, 'orders', P.LITERAL),
      b(R.ANY, 'x', P.LITERAL),
      b(R.TOPIC, 'x', P.MATCH),
      b(R.TOPIC, 'x', P.LITERAL, 'User:alice', Op.ANY),
      b(R.TOPIC, 'x', P.LITERAL, 'User:alice', Op.READ, PermissionType.ANY),
      b(R.TOPIC, '', P.LITERAL),
      b(R.CLUSTER, 'other', P.LITERAL),
      b(R.TOPIC, 'x', P.LITERAL, 'alice'),
      b(R.TOPIC, 'orders', P.LITERAL),
      b(99, 'x', P.LITERAL),
    ]);
    expect(results.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [0, null],
      [42, 'Invalid resourceType ANY'],
      [42, 'Invalid patternType MATCH'],
      [42, 'Invalid operation ANY'],
      [42, 'Invalid permissionType ANY'],
      [42, 'Resource name should not be empty'],
      [42, 'The only valid name for the CLUSTER resource is kafka-cluster'],
      [42, 'Could not parse principal from `alice` (no colon is present separating the principal type from the principal name)'],
      [0, null],
      [42, 'Invalid resourceType UNKNOWN(99)'],
    ]);
    expect(manager.store.size).toBe(1);
  });

  it('filters: ANY by exact name, MATCH by what applies to the name, LITERAL/PREFIXED by type; unknown codes refused', async () => {
    const { manager } = await open();
    await manager.create([b(R.TOPIC, 'pay', P.PREFIXED), b(R.TOPIC, 'payments', P.LITERAL), b(R.TOPIC, '*', P.LITERAL), b(R.GROUP, 'payments', P.LITERAL, 'User:bob', Op.DELETE, PermissionType.DENY, '10.0.0.1')]);
    const names = (f: ReturnType<typeof filter>) => manager.describe(f).bindings.map((x) => `${x.resourceType}:${x.resourceName}:${x.patternType}`);
    expect(names(filter({}))).toHaveLength(4);
    expect(names(filter({ resourceName: 'payments' }))).toEqual(['2:payments:3', '3:payments:3']);
    expect(names(filter({ resourceType: R.TOPIC, resourceName: 'payments', patternType: P.MATCH }))).toEqual(['2:*:3', '2:pay:4', '2:payments:3']);
    expect(names(filter({ resourceType: R.TOPIC, patternType: P.PREFIXED }))).toEqual(['2:pay:4']);
    expect(names(filter({ resourceType: R.TOPIC, resourceName: 'pay', patternType: P.LITERAL }))).toEqual([]);
    expect(names(filter({ principal: 'User:bob', host: '10.0.0.1', operation: Op.DELETE, permissionType: PermissionType.DENY }))).toEqual(['3:payments:3']);
    expect(names(filter({ principal: 'User:bob', operation: Op.READ }))).toEqual([]);
    expect(manager.describe(filter({ resourceType: R.UNKNOWN }))).toEqual({ errorCode: 42, errorMessage: 'The filter has an unknown resource type', bindings: [] });
    const deleted = await manager.delete([filter({ resourceType: R.TOPIC, resourceName: 'payments', patternType: P.MATCH }), filter({ operation: Op.UNKNOWN }), filter({ resourceType: R.GROUP })]);
    expect(deleted.map((d) => [d.errorCode, d.errorMessage, d.bindings.length])).toEqual([[0, null, 3], [42, 'Unknown entryFilter.', 0], [0, null, 1]]);
    expect(manager.store.size).toBe(0);
  });

  it('what is created or deleted is on disk when the answer comes, and read back at the next start', async () => {
    const { dir, manager } = await open();
    await manager.create([b(R.TOPIC, 'orders', P.LITERAL), b(R.TRANSACTIONAL_ID, 'tx-', P.PREFIXED, 'User:bob', Op.WRITE), b(R.CLUSTER, 'kafka-cluster', P.LITERAL, 'User:ops', Op.IDEMPOTENT_WRITE)]);
    await manager.delete([filter({ resourceType: R.TOPIC })]);
    const file = JSON.parse(readFileSync(join(dir, '__strand_metadata', 'acls'), 'utf8')) as { version: number; acls: unknown[] };
    expect(file).toEqual({
      version: 1,
      acls: [
        { resourceType: 'TRANSACTIONAL_ID', name: 'tx-', patternType: 'PREFIXED', principal: 'User:bob', host: '*', operation: 'WRITE', permission: 'ALLOW' },
        { resourceType: 'CLUSTER', name: 'kafka-cluster', patternType: 'LITERAL', principal: 'User:ops', host: '*', operation: 'IDEMPOTENT_WRITE', permission: 'ALLOW' },
      ],
    });
    await manager.close();
    const again = await open(dir);
    expect(again.manager.store.size).toBe(2);
    expect(again.manager.authorizer.authorize('User:bob', '1.1.1.1', Op.WRITE, R.TRANSACTIONAL_ID, 'tx-42')).toBe(true);
    expect(again.manager.authorizer.authorize('User:alice', '1.1.1.1', Op.READ, R.TOPIC, 'orders')).toBe(false);
  });
});
