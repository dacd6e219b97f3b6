/**
 * Producer id blocks for a cluster (Kafka's AllocateProducerIds, which its controller serves from
 * the metadata log): one counter in etcd, `<prefix>producer_ids`, moved forward by
 * compare-and-swap, so no two brokers ever hand out the same producer id. Two producers with one
 * id would have each other's batches taken for retries and dropped.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { ClusterMetadataError } from './errors.js';

const ATTEMPTS = 20;

/** Reserves `size` ids; resolves with the first. */
export async function allocateProducerIdBlock(client: Etcd3, key: string, size: number): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const kv = (await client.get(key).exec()).kvs[0] as IKeyValue | undefined;
    const start = kv === undefined ? 0 : Number(kv.value.toString('utf8'));
    if (!Number.isSafeInteger(start) || start < 0) throw new ClusterMetadataError(`${key} holds ${JSON.stringify(kv?.value.toString('utf8'))}, not a producer id`);
    const next = String(start + size);
    const res = kv === undefined
      ? await client.if(key, 'Create', '==', 0).then(client.put(key).value(next)).commit()
      : await client.if(key, 'Mod', '==', Number(kv.mod_revision)).then(client.put(key).value(next)).commit();
    if (res.succeeded) return start;
  }
  throw new ClusterMetadataError(`could not reserve producer ids in ${key}: ${ATTEMPTS} attempts lost to other brokers`);
}
