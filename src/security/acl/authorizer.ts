/**
 * strand's authorizer: answers "may this principal, from this host, do this to this resource",
 * from the ACL store and the broker's policy (`super.users`, `allow.everyone.if.no.acl.found`).
 * Decisions are cached per principal, host and resource as a bit field of every operation, and
 * the cache is dropped whenever the ACLs change, so the produce and fetch paths pay one map
 * lookup per topic.
 */
import { allowedOperations, type DecisionPolicy, hostMatches, principalMatches } from './decide.js';
import { AclStore } from './store.js';
import { AclOperation, PatternType, PermissionType, WILDCARD_RESOURCE } from './types.js';

const CACHE_LIMIT = 100_000;

export class Authorizer {
  private cache = new Map<string, number>();
  private cachedVersion = -1;

  constructor(readonly store: AclStore, readonly policy: DecisionPolicy) {}

  /** Bit field of the operations allowed (bit n for AclOperation n). */
  operations(principal: string, host: string, type: number, name: string): number {
    if (this.cachedVersion !== this.store.version || this.cache.size >= CACHE_LIMIT) {
      this.cache = new Map();
      this.cachedVersion = this.store.version;
    }
    const key = `${principal}\n${host}\n${type}\n${name}`;
    let bits = this.cache.get(key);
    if (bits === undefined) {
      bits = allowedOperations(this.store, this.policy, principal, host, type, name);
      this.cache.set(key, bits);
    }
    return bits;
  }

  authorize(principal: string, host: string, op: number, type: number, name: string): boolean {
    return (this.operations(principal, host, type, name) & (1 << op)) !== 0;
  }

  /**
   * Whether `principal` may do `op` on some resource of `type` (Kafka's
   * Authorizer.authorizeByResourceType, used for an idempotent producer without cluster
   * IdempotentWrite): an ALLOW for the operation on a pattern no matching DENY covers (a DENY
   * on the literal wildcard covers everything, a DENY prefix covers the names and prefixes it
   * starts), else, as Kafka, the answer for a resource no ACL names.
   */
  authorizeByResourceType(principal: string, host: string, op: number, type: number): boolean {
    if (this.policy.superUsers.has(principal)) return true;
    const applies = (acl: { principal: string; host: string; operation: number }, ops: readonly number[]) =>
      principalMatches(acl.principal, principal) && hostMatches(acl.host, host) && ops.includes(acl.operation);
    const acls = this.store.ofType(type);
    const denies = acls.filter((a) => a.permissionType === PermissionType.DENY && applies(a, [op, AclOperation.ALL]));
    if (denies.some((d) => d.patternType === PatternType.LITERAL && d.resourceName === WILDCARD_RESOURCE)) return false;
    for (const a of acls) {
      if (a.permissionType !== PermissionType.ALLOW || !applies(a, [op, AclOperation.ALL])) continue;
      const covered = denies.some((d) => (d.patternType === PatternType.PREFIXED ? a.resourceName.startsWith(d.resourceName) : a.patternType === PatternType.LITERAL && d.resourceName === a.resourceName));
      if (!covered) return true;
    }
    // Kafka's default implementation ends by authorizing a resource named "hardcode".
    return this.authorize(principal, host, op, type, 'hardcode');
  }
}
