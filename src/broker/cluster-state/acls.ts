/**
 * A cluster's ACLs are cluster state, as in Kafka (KRaft keeps them in the metadata log): one
 * shared document, `<prefix>acls` in etcd (src/cluster/shared-value.ts), holding every binding
 * in the ACL file's JSON. A change is applied to what the document holds, so concurrent
 * CreateAcls and DeleteAcls through different brokers all land; every broker applies each new
 * value, so an ACL created through one broker is enforced by all of them once its watch delivers it.
 */
import type { Logger } from 'pino';
import { SharedValue } from '../../cluster/shared-value.js';
import { type AclBinding, type AclChange, type AclPersistence, decodeAcls, encodeAcls } from '../../security/acl/index.js';
import { bindingKey } from '../../security/acl/store.js';

export class ClusterAcls implements AclPersistence {
  private readonly shared: SharedValue;

  constructor(endpoints: string[], clusterId: string, private readonly applyAll: (bindings: readonly AclBinding[]) => void, logger: Logger) {
    this.shared = new SharedValue(endpoints, clusterId, 'acls', (value) => this.applyAll(this.decode(value)), logger);
  }

  private decode(value: string | null): AclBinding[] {
    return value === null ? [] : decodeAcls(value, `etcd key ${this.shared.key}`);
  }

  async load(): Promise<AclBinding[]> {
    return this.decode(await this.shared.load());
  }

  async save(_bindings: readonly AclBinding[], change: AclChange): Promise<void> {
    const removed = new Set(change.removed.map(bindingKey));
    const written = await this.shared.update((current) => {
      const next = new Map(this.decode(current).filter((b) => !removed.has(bindingKey(b))).map((b) => [bindingKey(b), b]));
      for (const b of change.added) next.set(bindingKey(b), b);
      return encodeAcls([...next.values()]);
    });
    // What this broker applies now: its change on top of every other broker's.
    this.applyAll(this.decode(written));
  }

  close(): Promise<void> {
    return this.shared.close();
  }
}
