import { describe, expect, it } from 'vitest';
import { bindingsToAdd, filters } from '../../src/cli/commands/acls.js';
import { AclOperation as Op, PatternType as P, PermissionType as Perm, ResourceType as R } from '../../src/security/acl/index.js';

const base = { bootstrap: '127.0.0.1:9092', timeout: 1000 };

describe('strand acls: the bindings and filters its options make (kafka-acls.sh semantics)', () => {
  it('add: every principal and host with every operation on every resource; --producer and --consumer expand as kafka-acls.sh', () => {
    expect(bindingsToAdd({ ...base, allowPrincipal: ['User:a'], allowHost: ['10.0.0.1', '*'], operation: ['Read', 'IdempotentWrite'], topic: ['t'], cluster: true }).map((b) => [b.resourceType, b.resourceName, b.host, b.operation])).toEqual([
      [R.TOPIC, 't', '10.0.0.1', Op.READ], [R.TOPIC, 't', '*', Op.READ], [R.TOPIC, 't', '10.0.0.1', Op.IDEMPOTENT_WRITE], [R.TOPIC, 't', '*', Op.IDEMPOTENT_WRITE],
      [R.CLUSTER, 'kafka-cluster', '10.0.0.1', Op.READ], [R.CLUSTER, 'kafka-cluster', '*', Op.READ], [R.CLUSTER, 'kafka-cluster', '10.0.0.1', Op.IDEMPOTENT_WRITE], [R.CLUSTER, 'kafka-cluster', '*', Op.IDEMPOTENT_WRITE],
    ]);
    expect(bindingsToAdd({ ...base, denyPrincipal: ['User:m'], topic: ['x'], resourcePatternType: 'prefixed' })).toEqual([
      { resourceType: R.TOPIC, resourceName: 'x', patternType: P.PREFIXED, principal: 'User:m', host: '*', operation: Op.ALL, permissionType: Perm.DENY },
    ]);
    expect(bindingsToAdd({ ...base, allowPrincipal: ['User:p'], producer: true, idempotent: true, topic: ['t'], transactionalId: ['tx'] }).map((b) => [b.resourceType, b.resourceName, b.operation])).toEqual([
      [R.TOPIC, 't', Op.WRITE], [R.TOPIC, 't', Op.DESCRIBE], [R.TOPIC, 't', Op.CREATE], [R.TRANSACTIONAL_ID, 'tx', Op.WRITE], [R.TRANSACTIONAL_ID, 'tx', Op.DESCRIBE], [R.CLUSTER, 'kafka-cluster', Op.IDEMPOTENT_WRITE],
    ]);
    expect(bindingsToAdd({ ...base, allowPrincipal: ['User:c'], consumer: true, topic: ['t'], group: ['g'] }).map((b) => [b.resourceType, b.resourceName, b.operation])).toEqual([
      [R.TOPIC, 't', Op.READ], [R.TOPIC, 't', Op.DESCRIBE], [R.GROUP, 'g', Op.READ],
    ]);
  });

  it('add refuses what makes no ACL or is not Kafka\'s', () => {
    expect(() => bindingsToAdd({ ...base, topic: ['x'] })).toThrow('give --allow-principal or --deny-principal');
    expect(() => bindingsToAdd({ ...base, allowPrincipal: ['User:a'] })).toThrow('name a resource: --topic, --group, --transactional-id, --delegation-token or --cluster');
    expect(() => bindingsToAdd({ ...base, allowPrincipal: ['alice'], topic: ['x'] })).toThrow('--allow-principal alice: a principal is <type>:<name>, e.g. User:alice');
    expect(() => bindingsToAdd({ ...base, allowPrincipal: ['User:a'], allowHost: ['example.com'], topic: ['x'] })).toThrow('--allow-host example.com: a host is * or an IP address');
    expect(() => bindingsToAdd({ ...base, allowPrincipal: ['User:a'], operation: ['Fly'], topic: ['x'] })).toThrow('--operation Fly: expected one of ALL, READ');
    expect(() => bindingsToAdd({ ...base, allowPrincipal: ['User:a'], topic: ['x'], resourcePatternType: 'match' })).toThrow('--resource-pattern-type match: expected literal, prefixed');
    expect(() => bindingsToAdd({ ...base, allowPrincipal: ['User:a'], consumer: true, topic: ['x'] })).toThrow('--consumer needs --group');
  });

  it('list and remove: one filter per resource, principal, host and operation; everything when nothing is named', () => {
    expect(filters({ ...base })).toEqual([{ resourceType: R.ANY, resourceName: null, patternType: P.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY }]);
    expect(filters({ ...base, topic: ['t'], resourcePatternType: 'match', principal: ['User:a'], permission: 'deny', operation: ['Write'] })).toEqual([
      { resourceType: R.TOPIC, resourceName: 't', patternType: P.MATCH, principal: 'User:a', host: null, operation: Op.WRITE, permissionType: Perm.DENY },
    ]);
  });
});
