/**
 * Kafka's ACL vocabulary with its wire codes (org.apache.kafka.common.resource.ResourceType,
 * PatternType, org.apache.kafka.common.acl.AclOperation, AclPermissionType) and the names
 * Kafka's tools print and parse.
 */

export const ResourceType = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const AclOperation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14,
} as const;
export const PermissionType = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** Kafka's name of the one cluster resource. */
export const CLUSTER_NAME = 'kafka-cluster';
/** A literal resource name matching every resource of its type. */
export const WILDCARD_RESOURCE = '*';
/** The principal matching every user. */
export const WILDCARD_PRINCIPAL = 'User:*';
export const WILDCARD_HOST = '*';

/** The highest operation code; the authorizer's bit fields hold one bit per operation up to it. */
export const MAX_OPERATION = AclOperation.DESCRIBE_TOKENS;

/** One access control entry bound to a resource pattern (Kafka's AclBinding). */
export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** Kafka's AclBindingFilter: null strings and the ANY codes match everything. */
export interface AclBindingFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

function names(table: Readonly<Record<string, number>>): Map<number, string> {
  return new Map(Object.entries(table).map(([k, v]) => [v, k]));
}
const RESOURCE_NAMES = names(ResourceType);
const PATTERN_NAMES = names(PatternType);
const OPERATION_NAMES = names(AclOperation);
const PERMISSION_NAMES = names(PermissionType);

/** Upper-case Kafka names (TOPIC, PREFIXED, IDEMPOTENT_WRITE, ALLOW). */
export const resourceTypeName = (code: number): string => RESOURCE_NAMES.get(code) ?? `UNKNOWN(${code})`;
export const patternTypeName = (code: number): string => PATTERN_NAMES.get(code) ?? `UNKNOWN(${code})`;
export const operationName = (code: number): string => OPERATION_NAMES.get(code) ?? `UNKNOWN(${code})`;
export const permissionTypeName = (code: number): string => PERMISSION_NAMES.get(code) ?? `UNKNOWN(${code})`;

/**
 * A code from a name as Kafka's fromString parses them: case-insensitive, and with the camel-case
 * spellings of kafka-acls.sh (`IdempotentWrite`, `TransactionalId`, `ClusterAction`) too.
 */
function parser(table: Readonly<Record<string, number>>): (name: string) => number | undefined {
  return (name) => table[name.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase()];
}
export const parseResourceType = parser(ResourceType);
export const parsePatternType = parser(PatternType);
export const parseOperation = parser(AclOperation);
export const parsePermissionType = parser(PermissionType);

/** Kafka's AclBinding.toString shape, for logs and errors. */
export function describeBinding(b: AclBinding): string {
  return `(pattern=ResourcePattern(resourceType=${resourceTypeName(b.resourceType)}, name=${b.resourceName}, patternType=${patternTypeName(b.patternType)}), entry=(principal=${b.principal}, host=${b.host}, operation=${operationName(b.operation)}, permissionType=${permissionTypeName(b.permissionType)}))`;
}
