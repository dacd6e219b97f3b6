/**
 * Security state a cluster shares (SCRAM credentials, client quotas): one text document every
 * broker reads and watches, changed by read-modify-write so concurrent changes through different
 * brokers all land. The cluster layer provides it (src/cluster/shared-value.ts, in etcd); a
 * single broker keeps the same state in a file of its data directory instead.
 */
export interface SharedDocument {
  /** The document now; null when it was never written. */
  load(): Promise<string | null>;
  /** Writes `mutate(current)` against the document as it is when written; resolves with what was written. */
  update(mutate: (current: string | null) => string): Promise<string>;
}

/**
 * A store joining the cluster's document: the document's value, or, while the cluster has none
 * yet, `own` (this broker's state, null when it has none) written as the first value.
 */
export async function joinShared(doc: SharedDocument, own: string | null): Promise<string | null> {
  const value = await doc.load();
  if (value !== null || own === null) return value;
  return doc.update((current) => current ?? own);
}
