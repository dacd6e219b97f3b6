/**
 * Whether a broker is in a cluster, and which: read from its settings without loading the
 * cluster layer (etcd's client and gRPC cost a few hundred milliseconds of start), which only a
 * broker with `cluster.etcd` set imports.
 */
import { parseClusterUrl } from '../cluster/config.js';
import type { BrokerConfig } from './config.js';

/** The cluster id brokers use when `cluster.id` is not set: brokers of one cluster must agree on it. */
export const DEFAULT_CLUSTER_ID = 'strand-cluster';

/** etcd's endpoints from `cluster.etcd`; null for a single broker. */
export function clusterEndpoints(config: BrokerConfig): string[] | null {
  const url = config.raw('cluster.etcd');
  return url === undefined ? null : parseClusterUrl(url);
}

export function clusterIdOf(config: BrokerConfig): string {
  return config.raw('cluster.id') ?? DEFAULT_CLUSTER_ID;
}
