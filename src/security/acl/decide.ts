/**
 * One authorization decision as Kafka's StandardAuthorizer (and AclAuthorizer before it) makes
 * it, for every operation of one resource at once: a bit field with bit n set when operation n
 * is allowed. Super users may do everything. Otherwise the bindings that apply to the resource
 * (literal name, literal `*`, prefixes) whose principal (or `User:*`) and host (or `*`) match
 * are read: a DENY removes its operation (ALL: every operation) whatever allows it (deny wins);
 * an ALLOW grants its operation, and READ, WRITE, DELETE and ALTER imply DESCRIBE, ALTER_CONFIGS
 * implies DESCRIBE_CONFIGS. When no binding applies to the resource at all (for any principal),
 * `allow.everyone.if.no.acl.found` decides.
 */
import type { AclStore } from './store.js';
import { type AclBinding, AclOperation, MAX_OPERATION, PermissionType, WILDCARD_HOST, WILDCARD_PRINCIPAL } from './types.js';

/** Bits of every real operation (READ .. DESCRIBE_TOKENS). */
export const ALL_OPERATIONS = ((1 << (MAX_OPERATION + 1)) - 1) & ~((1 << AclOperation.READ) - 1);

const A = AclOperation;
const DESCRIBE_BIT = 1 << A.DESCRIBE;
const IMPLIES_DESCRIBE = (1 << A.READ) | (1 << A.WRITE) | (1 << A.DELETE) | (1 << A.ALTER);

function grantedBits(op: number): number {
  if (op === A.ALL) return ALL_OPERATIONS;
  let bits = 1 << op;
  if (bits & IMPLIES_DESCRIBE) bits |= DESCRIBE_BIT;
  if (op === A.ALTER_CONFIGS) bits |= 1 << A.DESCRIBE_CONFIGS;
  return bits;
}

export interface DecisionPolicy {
  readonly superUsers: ReadonlySet<string>;
  readonly allowEveryoneIfNoAclFound: boolean;
}

export function principalMatches(aclPrincipal: string, principal: string): boolean {
  return aclPrincipal === principal || (aclPrincipal === WILDCARD_PRINCIPAL && principal.startsWith('User:'));
}

export function hostMatches(aclHost: string, host: string): boolean {
  return aclHost === WILDCARD_HOST || aclHost === host;
}

/** The allowed-operations bit field of `principal` connecting from `host` on resource (`type`, `name`). */
export function allowedOperations(store: AclStore, policy: DecisionPolicy, principal: string, host: string, type: number, name: string): number {
  if (policy.superUsers.has(principal)) return ALL_OPERATIONS;
  let found = false;
  let allow = 0;
  let deny = 0;
  store.forEachMatching(type, name, (acls: readonly AclBinding[]) => {
    if (acls.length > 0) found = true;
    for (const acl of acls) {
      if (!principalMatches(acl.principal, principal) || !hostMatches(acl.host, host)) continue;
      if (acl.permissionType === PermissionType.DENY) deny |= acl.operation === A.ALL ? ALL_OPERATIONS : 1 << acl.operation;
      else if (acl.permissionType === PermissionType.ALLOW) allow |= grantedBits(acl.operation);
    }
  });
  if (!found && policy.allowEveryoneIfNoAclFound) return ALL_OPERATIONS;
  return allow & ~deny;
}
