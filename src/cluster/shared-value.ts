/**
 * One document of cluster state in etcd, under the cluster's prefix (`<prefix><name>`): the
 * cluster-wide ACLs, SCRAM credentials and client quotas, which Kafka keeps in its metadata log.
 * Every broker watches the key and hears each new value; a change is read, modified and written
 * with a compare-and-swap on the key's mod revision, and retried when another broker wrote it
 * meanwhile, so concurrent changes through different brokers all land.
 *
 * The value is opaque text here: the layer that owns the document encodes and decodes it.
 */
import type { Etcd3, Watcher } from 'etcd3';
import { logger as rootLogger } from '../logger.js';
import { ClusterMetadataError } from './errors.js';
import { connectEtcd } from './etcd-client.js';
import { ClusterKeys } from './keys.js';

const MAX_ATTEMPTS = 50;

export class SharedValue {
  readonly key: string;
  private readonly client: Etcd3;
  private watcher: Watcher | null = null;
  private closed = false;
  /** This broker's updates run one at a time: only other brokers' can race one. */
  private updating: Promise<unknown> = Promise.resolve();

  /** `onChange` hears every value written after `load()` (null: the key was deleted), from any broker, this one included. */
  constructor(endpoints: string[], clusterId: string, name: string, private readonly onChange: (value: string | null) => void, private readonly logger = rootLogger) {
    this.key = `${ClusterKeys.forCluster(clusterId).prefix}${name}`;
    this.client = connectEtcd(endpoints);
  }

  /** The value now (null when never written), and from then on `onChange` for each new one. */
  async load(): Promise<string | null> {
    const res = await this.client.get(this.key).exec();
    const kv = res.kvs[0];
    this.watcher = await this.client.watch().key(this.key).startRevision(String(Number(res.header.revision) + 1)).create();
    if (this.closed) await this.watcher.cancel().catch(() => undefined);
    this.watcher.on('data', (w) => {
      const last = w.events.at(-1);
      if (last === undefined) return;
      try {
        this.onChange(last.type === 'Put' ? last.kv.value.toString() : null);
      } catch (err) {
        this.logger.error({ err, key: this.key }, 'cluster state: cannot apply the value in etcd');
      }
    });
    this.watcher.on('error', (err) => this.logger.warn({ err: err.message, key: this.key }, 'cluster state: watch failed'));
    return kv === undefined ? null : kv.value.toString();
  }

  /**
   * Writes `mutate(current)` if the key still holds `current` when written, reading again and
   * retrying when another broker changed it meanwhile. Resolves with the value written.
   */
  update(mutate: (current: string | null) => string): Promise<string> {
    const run = this.updating.catch(() => undefined).then(() => this.tryUpdate(mutate));
    this.updating = run;
    return run;
  }

  private async tryUpdate(mutate: (current: string | null) => string): Promise<string> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const kv = (await this.client.get(this.key).exec()).kvs[0];
      const next = mutate(kv === undefined ? null : kv.value.toString());
      const compare = kv === undefined ? this.client.if(this.key, 'Create', '==', 0) : this.client.if(this.key, 'Mod', '==', kv.mod_revision);
      if ((await compare.then(this.client.put(this.key).value(next)).commit()).succeeded) return next;
      // Another broker wrote it meanwhile: read again after a short random pause, so racing brokers spread out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * Math.min(attempt + 1, 10)));
    }
    throw new ClusterMetadataError(`etcd key ${this.key} changed under ${MAX_ATTEMPTS} attempts in a row to write it; try again`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
    this.client.close();
  }
}
