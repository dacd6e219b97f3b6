/**
 * A cluster's ACLs are cluster state, as in Kafka (KRaft keeps them in the metadata log): one
 * key under the cluster's prefix, `<prefix>acls`, holding every binding (the file's JSON). A
 * change is applied to what the key holds and written by compare-and-swap on its mod revision,
 * retried when another broker changed it meanwhile, so concurrent CreateAcls and DeleteAcls on
 * different brokers all land. Every broker watches the key and applies what it holds, so an ACL
 * created through one broker is enforced by all of them once its watch delivers it.
 */
import type { Etcd3, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { ClusterKeys } from '../../../cluster/keys.js';
import { connectEtcd } from '../../../cluster/etcd-client.js';
import { type AclBinding, type AclChange, type AclPersistence, decodeAcls, encodeAcls } from '../../../security/acl/index.js';
import { bindingKey } from '../../../security/acl/store.js';

const MAX_ATTEMPTS = 20;

export class AclEtcd implements AclPersistence {
  readonly key: string;
  private readonly client: Etcd3;
  private watcher: Watcher | null = null;
  private closed = false;

  constructor(endpoints: string[], clusterId: string, private readonly applyAll: (bindings: readonly AclBinding[]) => void, private readonly logger: Logger) {
    this.key = `${ClusterKeys.forCluster(clusterId).prefix}acls`;
    this.client = connectEtcd(endpoints);
  }

  async load(): Promise<AclBinding[]> {
    const res = await this.client.get(this.key).exec();
    const kv = res.kvs[0];
    const bindings = kv === undefined ? [] : decodeAcls(kv.value.toString(), `etcd key ${this.key}`);
    this.watcher = await this.client.watch().key(this.key).startRevision(String(Number(res.header.revision) + 1)).create();
    if (this.closed) await this.watcher.cancel().catch(() => undefined);
    this.watcher.on('data', (w) => {
      const last = w.events.at(-1);
      if (last === undefined) return;
      try {
        this.applyAll(last.type === 'Put' ? decodeAcls(last.kv.value.toString(), `etcd key ${this.key}`) : []);
      } catch (err) {
        this.logger.error({ err, key: this.key }, 'cluster ACLs: cannot apply the value in etcd');
      }
    });
    this.watcher.on('error', (err) => this.logger.warn({ err: err.message, key: this.key }, 'cluster ACLs: watch failed'));
    return bindings;
  }

  async save(_bindings: readonly AclBinding[], change: AclChange): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const res = await this.client.get(this.key).exec();
      const kv = res.kvs[0];
      const current = kv === undefined ? [] : decodeAcls(kv.value.toString(), `etcd key ${this.key}`);
      const removed = new Set(change.removed.map(bindingKey));
      const next = new Map(current.filter((b) => !removed.has(bindingKey(b))).map((b) => [bindingKey(b), b]));
      for (const b of change.added) next.set(bindingKey(b), b);
      const value = encodeAcls([...next.values()]);
      const txn = kv === undefined ? this.client.if(this.key, 'Create', '==', 0) : this.client.if(this.key, 'Mod', '==', kv.mod_revision);
      const done = await txn.then(this.client.put(this.key).value(value)).commit();
      if (done.succeeded) {
        // What this broker applies now: its change on top of every other broker's.
        this.applyAll([...next.values()]);
        return;
      }
    }
    throw new Error(`cluster ACLs: etcd key ${this.key} changed under ${MAX_ATTEMPTS} attempts in a row; try again`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
    this.client.close();
  }
}
