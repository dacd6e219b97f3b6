import { describe, expect, it } from 'vitest';
import { type AclBinding, AclOperation as Op, Authorizer, AclStore, PatternType, PermissionType, ResourceType } from '../../src/security/acl/index.js';
import { ALL_OPERATIONS } from '../../src/security/acl/decide.js';

const ALLOW = PermissionType.ALLOW;
const DENY = PermissionType.DENY;

function acl(resourceName: string, principal: string, operation: number, permissionType: number = ALLOW, more: Partial<AclBinding> = {}): AclBinding {
  return { resourceType: ResourceType.TOPIC, resourceName, patternType: PatternType.LITERAL, principal, host: '*', operation, permissionType, ...more };
}

function authorizer(acls: AclBinding[], policy: { superUsers?: string[]; allowEveryone?: boolean } = {}): Authorizer {
  const store = new AclStore();
  for (const a of acls) store.add(a);
  return new Authorizer(store, { superUsers: new Set(policy.superUsers ?? []), allowEveryoneIfNoAclFound: policy.allowEveryone ?? false });
}

/** The operations allowed, by name, for a readable matrix. */
function allowed(auth: Authorizer, principal: string, name: string, host = '10.0.0.1', type: number = ResourceType.TOPIC): string[] {
  const bits = auth.operations(principal, host, type, name);
  return Object.entries(Op).filter(([, code]) => code >= Op.READ && (bits & (1 << code)) !== 0).map(([n]) => n);
}

describe('ACL decisions as Kafka StandardAuthorizer makes them', () => {
  it('no ACL: denied, unless allow.everyone.if.no.acl.found; a super user may do everything', () => {
    expect(allowed(authorizer([]), 'User:alice', 't')).toEqual([]);
    expect(allowed(authorizer([], { allowEveryone: true }), 'User:alice', 't')).toHaveLength(12);
    expect(authorizer([], { superUsers: ['User:root'] }).operations('User:root', '1.2.3.4', ResourceType.CLUSTER, 'kafka-cluster')).toBe(ALL_OPERATIONS);
    // allow.everyone only applies while no ACL names the resource, whoever it is for.
    expect(allowed(authorizer([acl('t', 'User:bob', Op.READ)], { allowEveryone: true }), 'User:alice', 't')).toEqual([]);
    expect(allowed(authorizer([acl('t', 'User:bob', Op.READ)], { allowEveryone: true }), 'User:alice', 'other')).toHaveLength(12);
  });

  it('each operation alone, with the implied DESCRIBE and DESCRIBE_CONFIGS', () => {
    const matrix: Record<string, string[]> = {};
    for (const [name, code] of Object.entries(Op)) {
      if (code < Op.ALL) continue;
      matrix[name] = allowed(authorizer([acl('t', 'User:alice', code)]), 'User:alice', 't');
    }
    expect(matrix).toEqual({
      ALL: ['READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'CREATE_TOKENS', 'DESCRIBE_TOKENS'],
      READ: ['READ', 'DESCRIBE'],
      WRITE: ['WRITE', 'DESCRIBE'],
      CREATE: ['CREATE'],
      DELETE: ['DELETE', 'DESCRIBE'],
      ALTER: ['ALTER', 'DESCRIBE'],
      DESCRIBE: ['DESCRIBE'],
      CLUSTER_ACTION: ['CLUSTER_ACTION'],
      DESCRIBE_CONFIGS: ['DESCRIBE_CONFIGS'],
      ALTER_CONFIGS: ['DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
      IDEMPOTENT_WRITE: ['IDEMPOTENT_WRITE'],
      CREATE_TOKENS: ['CREATE_TOKENS'],
      DESCRIBE_TOKENS: ['DESCRIBE_TOKENS'],
    });
  });

  it('deny wins over allow, ALL denies everything, and a denied READ leaves the DESCRIBE it implies', () => {
    expect(allowed(authorizer([acl('t', 'User:alice', Op.ALL), acl('t', 'User:alice', Op.WRITE, DENY)]), 'User:alice', 't'))
      .toEqual(['READ', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE', 'CREATE_TOKENS', 'DESCRIBE_TOKENS']);
    expect(allowed(authorizer([acl('t', 'User:alice', Op.READ), acl('t', 'User:alice', Op.ALL, DENY)]), 'User:alice', 't')).toEqual([]);
    expect(allowed(authorizer([acl('t', 'User:alice', Op.READ), acl('t', 'User:alice', Op.READ, DENY)]), 'User:alice', 't')).toEqual(['DESCRIBE']);
    expect(allowed(authorizer([acl('t', 'User:alice', Op.READ), acl('t', 'User:alice', Op.DESCRIBE, DENY)]), 'User:alice', 't')).toEqual(['READ']);
    // A deny for everyone on the wildcard beats an allow for alice on the name.
    expect(allowed(authorizer([acl('t', 'User:alice', Op.READ), acl('*', 'User:*', Op.READ, DENY)]), 'User:alice', 't')).toEqual(['DESCRIBE']);
  });

  it('patterns: literal name, literal wildcard, prefixes; other names and types are untouched', () => {
    const auth = authorizer([
      acl('orders', 'User:alice', Op.READ),
      acl('pay', 'User:alice', Op.WRITE, ALLOW, { patternType: PatternType.PREFIXED }),
      acl('payroll', 'User:alice', Op.WRITE, DENY, { patternType: PatternType.PREFIXED }),
      acl('*', 'User:bob', Op.DESCRIBE),
      acl('orders', 'User:alice', Op.READ, ALLOW, { resourceType: ResourceType.GROUP }),
    ]);
    expect(allowed(auth, 'User:alice', 'orders')).toEqual(['READ', 'DESCRIBE']);
    expect(allowed(auth, 'User:alice', 'orders2')).toEqual([]);
    expect(allowed(auth, 'User:alice', 'payments')).toEqual(['WRITE', 'DESCRIBE']);
    expect(allowed(auth, 'User:alice', 'pay')).toEqual(['WRITE', 'DESCRIBE']);
    expect(allowed(auth, 'User:alice', 'pa')).toEqual([]);
    expect(allowed(auth, 'User:alice', 'payroll-2026')).toEqual(['DESCRIBE']);
    expect(allowed(auth, 'User:bob', 'anything')).toEqual(['DESCRIBE']);
    expect(allowed(auth, 'User:alice', 'orders', '10.0.0.1', ResourceType.GROUP)).toEqual(['READ', 'DESCRIBE']);
    expect(allowed(auth, 'User:alice', 'orders', '10.0.0.1', ResourceType.TRANSACTIONAL_ID)).toEqual([]);
  });

  it('principals: exact, User:* for every user, never another principal type; hosts: * or the exact address', () => {
    const auth = authorizer([
      acl('t', 'User:*', Op.READ),
      acl('h', 'User:alice', Op.WRITE, ALLOW, { host: '10.0.0.1' }),
      acl('h', 'User:alice', Op.READ, DENY, { host: '10.0.0.2' }),
      acl('h', 'User:alice', Op.READ),
    ]);
    expect(allowed(auth, 'User:anyone', 't')).toEqual(['READ', 'DESCRIBE']);
    expect(allowed(auth, 'Group:admins', 't')).toEqual([]);
    expect(allowed(auth, 'User:alice', 'h', '10.0.0.1')).toEqual(['READ', 'WRITE', 'DESCRIBE']);
    expect(allowed(auth, 'User:alice', 'h', '10.0.0.2')).toEqual(['DESCRIBE']);
    expect(allowed(auth, 'User:alice', 'h', '10.0.0.3')).toEqual(['READ', 'DESCRIBE']);
  });

  it('a decision follows every change of the ACLs (the cache is dropped)', () => {
    const auth = authorizer([]);
    expect(auth.authorize('User:alice', '10.0.0.1', Op.WRITE, ResourceType.TOPIC, 't')).toBe(false);
    const a = acl('t', 'User:alice', Op.WRITE);
    auth.store.add(a);
    expect(auth.authorize('User:alice', '10.0.0.1', Op.WRITE, ResourceType.TOPIC, 't')).toBe(true);
    auth.store.add(acl('t', 'User:alice', Op.WRITE, DENY));
    expect(auth.authorize('User:alice', '10.0.0.1', Op.WRITE, ResourceType.TOPIC, 't')).toBe(false);
    auth.store.remove(acl('t', 'User:alice', Op.WRITE, DENY));
    expect(auth.authorize('User:alice', '10.0.0.1', Op.WRITE, ResourceType.TOPIC, 't')).toBe(true);
  });

  it('authorizeByResourceType: an allow no deny covers, else the answer for an unnamed resource', () => {
    const T = ResourceType.TOPIC;
    expect(authorizer([]).authorizeByResourceType('User:alice', 'h', Op.WRITE, T)).toBe(false);
    expect(authorizer([], { allowEveryone: true }).authorizeByResourceType('User:alice', 'h', Op.WRITE, T)).toBe(true);
    expect(authorizer([acl('t', 'User:alice', Op.WRITE)]).authorizeByResourceType('User:alice', 'h', Op.WRITE, T)).toBe(true);
    expect(authorizer([acl('t', 'User:alice', Op.READ)]).authorizeByResourceType('User:alice', 'h', Op.WRITE, T)).toBe(false);
    expect(authorizer([acl('t', 'User:alice', Op.WRITE), acl('t', 'User:alice', Op.WRITE, DENY)]).authorizeByResourceType('User:alice', 'h', Op.WRITE, T)).toBe(false);
    expect(authorizer([acl('t', 'User:alice', Op.WRITE), acl('', 'User:alice', Op.ALL, DENY, { patternType: PatternType.PREFIXED })]).authorizeByResourceType('User:alice', 'h', Op.WRITE, T)).toBe(false);
    expect(authorizer([acl('t', 'User:alice', Op.WRITE), acl('*', 'User:*', Op.WRITE, DENY)]).authorizeByResourceType('User:alice', 'h', Op.WRITE, T)).toBe(false);
  });
});
