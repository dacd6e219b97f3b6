/**
 * Which bindings a filter selects, as Kafka's ResourcePatternFilter.matches and
 * AccessControlEntryFilter.matches decide: ANY pattern type selects by exact name whatever the
 * pattern type, MATCH selects every pattern that would apply to the named resource (the literal
 * name, the literal wildcard, and prefixes of it), LITERAL and PREFIXED select their own type.
 */
import { type AclBinding, type AclBindingFilter, AclOperation, PatternType, PermissionType, ResourceType, WILDCARD_RESOURCE } from './types.js';

export function patternMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === b.patternType) return f.resourceName === b.resourceName;
  if (b.patternType === PatternType.LITERAL) return f.resourceName === b.resourceName || b.resourceName === WILDCARD_RESOURCE;
  if (b.patternType === PatternType.PREFIXED) return f.resourceName.startsWith(b.resourceName);
  return false;
}

export function entryMatches(f: AclBindingFilter, b: AclBinding): boolean {
  return (f.principal === null || f.principal === b.principal)
    && (f.host === null || f.host === b.host)
    && (f.operation === AclOperation.ANY || f.operation === b.operation)
    && (f.permissionType === PermissionType.ANY || f.permissionType === b.permissionType);
}

export const filterMatches = (f: AclBindingFilter, b: AclBinding): boolean => patternMatches(f, b) && entryMatches(f, b);

/** Kafka's AclBindingFilter.isUnknown: a filter with an UNKNOWN code matches nothing and is refused. */
export function unknownPart(f: AclBindingFilter): string | null {
  if (!Object.values(ResourceType).includes(f.resourceType as never) || f.resourceType === ResourceType.UNKNOWN) return 'resource type';
  if (!Object.values(PatternType).includes(f.patternType as never) || f.patternType === PatternType.UNKNOWN) return 'pattern type';
  if (!Object.values(AclOperation).includes(f.operation as never) || f.operation === AclOperation.UNKNOWN) return 'operation';
  if (!Object.values(PermissionType).includes(f.permissionType as never) || f.permissionType === PermissionType.UNKNOWN) return 'permission type';
  return null;
}
