/**
 * The ACLs of a broker in memory, indexed for the authorizer: by resource type, then literal
 * name (the wildcard `*` is a literal name) and prefix. `matching(type, name)` returns the
 * bindings that apply to one resource without scanning the others. Bindings are values; a
 * binding added twice is kept once (Kafka's CreateAcls is idempotent).
 */
import { filterMatches } from './filter.js';
import { type AclBinding, type AclBindingFilter, PatternType, WILDCARD_RESOURCE } from './types.js';

interface TypeIndex {
  readonly literal: Map<string, AclBinding[]>;
  readonly prefixed: Map<string, AclBinding[]>;
}

export const bindingKey = (b: AclBinding): string => JSON.stringify([b.resourceType, b.resourceName, b.patternType, b.principal, b.host, b.operation, b.permissionType]);

export class AclStore {
  private readonly all = new Map<string, AclBinding>();
  private readonly byType = new Map<number, TypeIndex>();
  /** Bumped on every change, so decisions cached against an older version are dropped. */
  version = 0;

  get size(): number {
    return this.all.size;
  }

  has(b: AclBinding): boolean {
    return this.all.has(bindingKey(b));
  }

  /** Adds `b`; false when it was there already. */
  add(b: AclBinding): boolean {
    const key = bindingKey(b);
    if (this.all.has(key)) return false;
    const binding = Object.freeze({ ...b });
    this.all.set(key, binding);
    let idx = this.byType.get(b.resourceType);
    if (idx === undefined) this.byType.set(b.resourceType, (idx = { literal: new Map(), prefixed: new Map() }));
    const map = b.patternType === PatternType.PREFIXED ? idx.prefixed : idx.literal;
    const list = map.get(b.resourceName);
    if (list === undefined) map.set(b.resourceName, [binding]);
    else list.push(binding);
    this.version++;
    return true;
  }

  /** Removes `b`; false when it was not there. */
  remove(b: AclBinding): boolean {
    const key = bindingKey(b);
    if (!this.all.delete(key)) return false;
    const idx = this.byType.get(b.resourceType)!;
    const map = b.patternType === PatternType.PREFIXED ? idx.prefixed : idx.literal;
    const list = map.get(b.resourceName)!.filter((x) => bindingKey(x) !== key);
    if (list.length === 0) map.delete(b.resourceName);
    else map.set(b.resourceName, list);
    this.version++;
    return true;
  }

  /** Every binding `filter` selects, in a stable order (resource, then entry). */
  list(filter: AclBindingFilter): AclBinding[] {
    const out: AclBinding[] = [];
    for (const b of this.all.values()) if (filterMatches(filter, b)) out.push(b);
    return out.sort((a, b) => (bindingKey(a) < bindingKey(b) ? -1 : 1));
  }

  /** Every binding, for persistence. */
  bindings(): AclBinding[] {
    return [...this.all.values()];
  }

  /**
   * The bindings that apply to resource `name` of `type`: its literal name, the literal
   * wildcard, and every prefix of the name. Calls `visit` for each list; no array is built.
   */
  forEachMatching(type: number, name: string, visit: (acls: readonly AclBinding[]) => void): void {
    const idx = this.byType.get(type);
    if (idx === undefined) return;
    const exact = idx.literal.get(name);
    if (exact !== undefined) visit(exact);
    if (name !== WILDCARD_RESOURCE) {
      const wild = idx.literal.get(WILDCARD_RESOURCE);
      if (wild !== undefined) visit(wild);
    }
    if (idx.prefixed.size === 0) return;
    // Whichever is fewer: the prefixes stored, or the prefixes of the name.
    if (idx.prefixed.size <= name.length) {
      for (const [prefix, acls] of idx.prefixed) if (name.startsWith(prefix)) visit(acls);
    } else {
      for (let n = 1; n <= name.length; n++) {
        const acls = idx.prefixed.get(name.slice(0, n));
        if (acls !== undefined) visit(acls);
      }
    }
  }

  /** Whether any binding of `type` exists (Kafka's authorizeByResourceType short cut). */
  hasType(type: number): boolean {
    const idx = this.byType.get(type);
    return idx !== undefined && (idx.literal.size > 0 || idx.prefixed.size > 0);
  }

  /** Every binding of `type`. */
  ofType(type: number): AclBinding[] {
    const idx = this.byType.get(type);
    if (idx === undefined) return [];
    return [...idx.literal.values(), ...idx.prefixed.values()].flat();
  }
}
