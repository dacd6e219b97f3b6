/**
 * The ACL administration behind CreateAcls, DescribeAcls and DeleteAcls: each creation is
 * checked as Kafka's AclControlManager.validateNewAcl and AclApis check it (INVALID_REQUEST with
 * Kafka's messages), each filter as AclControlManager.validateFilter; changes are applied to the
 * store and made durable (the file of a single broker, or the cluster's etcd) before the answer.
 */
import { KafkaErrorCode } from '../../errors.js';
import { Authorizer } from './authorizer.js';
import type { DecisionPolicy } from './decide.js';
import type { AclChange, AclPersistence } from './file-store.js';
import { unknownPart } from './filter.js';
import { AclStore, bindingKey } from './store.js';
import {
  type AclBinding, type AclBindingFilter, AclOperation, CLUSTER_NAME, operationName, PatternType, patternTypeName, PermissionType, permissionTypeName, ResourceType, resourceTypeName,
} from './types.js';

export interface AclResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

const OK: AclResult = { errorCode: 0, errorMessage: null };
const invalid = (message: string): AclResult => ({ errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: message });
const known = (table: Readonly<Record<string, number>>, code: number) => Object.values(table).includes(code);

/** Why `b` cannot be created, or null. */
export function validateNewAcl(b: AclBinding): string | null {
  if (!known(ResourceType, b.resourceType) || b.resourceType === ResourceType.UNKNOWN || b.resourceType === ResourceType.ANY) return `Invalid resourceType ${resourceTypeName(b.resourceType)}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid patternType ${patternTypeName(b.patternType)}`;
  if (!known(AclOperation, b.operation) || b.operation === AclOperation.UNKNOWN || b.operation === AclOperation.ANY) return `Invalid operation ${operationName(b.operation)}`;
  if (b.permissionType !== PermissionType.ALLOW && b.permissionType !== PermissionType.DENY) return `Invalid permissionType ${permissionTypeName(b.permissionType)}`;
  if (b.resourceName === '') return 'Resource name should not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!b.principal.includes(':')) return `Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from the principal name)`;
  return null;
}

export class AclManager {
  readonly store = new AclStore();
  readonly authorizer: Authorizer;
  /** Changes apply one request at a time, so the durable copy follows the order of the answers. */
  private changing: Promise<unknown> = Promise.resolve();

  private constructor(policy: DecisionPolicy, private readonly persistence: AclPersistence) {
    this.authorizer = new Authorizer(this.store, policy);
  }

  /** `persistence` may call back with every binding when another broker changed them (a cluster's etcd). */
  static async open(policy: DecisionPolicy, persistence: AclPersistence | ((applyAll: (bindings: readonly AclBinding[]) => void) => AclPersistence)): Promise<AclManager> {
    let m: AclManager | null = null;
    const p = typeof persistence === 'function' ? persistence((bindings) => m?.replaceAll(bindings)) : persistence;
    m = new AclManager(policy, p);
    for (const b of await p.load()) m.store.add(b);
    return m;
  }

  /** Replace every binding with `bindings` (a cluster member applying what etcd holds). */
  replaceAll(bindings: readonly AclBinding[]): void {
    const keep = new Set(bindings.map(bindingKey));
    for (const b of this.store.bindings()) if (!keep.has(bindingKey(b))) this.store.remove(b);
    for (const b of bindings) this.store.add(b);
  }

  /** CreateAcls: one result per binding, in order. */
  create(bindings: readonly AclBinding[]): Promise<AclResult[]> {
    return this.serially(async () => {
      const results = bindings.map((b) => {
        const why = validateNewAcl(b);
        return why === null ? OK : invalid(why);
      });
      const added: AclBinding[] = [];
      bindings.forEach((b, i) => {
        if (results[i] === OK && this.store.add(b)) added.push(b);
      });
      if (added.length > 0) await this.persistOrUndo({ added, removed: [] }, () => { for (const b of added) this.store.remove(b); });
      return results;
    });
  }

  /** DescribeAcls: the bindings the filter selects. */
  describe(filter: AclBindingFilter): AclResult & { bindings: AclBinding[] } {
    const unknown = unknownPart(filter);
    if (unknown !== null) return { ...invalid(`The filter has an unknown ${unknown}`), bindings: [] };
    return { ...OK, bindings: this.store.list(filter) };
  }

  /** DeleteAcls: per filter, the bindings it removed. */
  delete(filters: readonly AclBindingFilter[]): Promise<Array<AclResult & { bindings: AclBinding[] }>> {
    return this.serially(async () => {
      const removed: AclBinding[] = [];
      const results = filters.map((f) => {
        const unknown = unknownPart(f);
        // Kafka's AclControlManager.validateFilter.
        if (unknown !== null) return { ...invalid(unknown === 'resource type' || unknown === 'pattern type' ? 'Unknown patternFilter.' : 'Unknown entryFilter.'), bindings: [] };
        const matched = this.store.list(f);
        for (const b of matched) if (this.store.remove(b)) removed.push(b);
        return { ...OK, bindings: matched };
      });
      if (removed.length > 0) await this.persistOrUndo({ added: [], removed }, () => { for (const b of removed) this.store.add(b); });
      return results;
    });
  }

  close(): Promise<void> {
    return this.persistence.close();
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.changing.catch(() => {}).then(fn);
    this.changing = next;
    return next;
  }

  /** Make the store durable; if that fails, undo the change in memory so memory never runs ahead of disk. */
  private async persistOrUndo(change: AclChange, undo: () => void): Promise<void> {
    try {
      await this.persistence.save(this.store.bindings(), change);
    } catch (err) {
      undo();
      throw err;
    }
  }
}
