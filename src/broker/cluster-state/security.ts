/**
 * In a cluster, a broker's SCRAM credentials and client quotas are the cluster's, as in Kafka
 * (KRaft keeps both in the metadata log): each lives in one shared document in etcd
 * (`<prefix>scram-credentials`, `<prefix>client-quotas`, src/cluster/shared-value.ts) that every
 * broker watches and applies, so a user or quota added through one broker holds on all of them.
 * A single broker keeps them in its data directory and shares nothing.
 */
import type { Logger } from 'pino';
import { SharedValue } from '../../cluster/shared-value.js';
import type { QuotaConfigs } from '../../security/quotas/index.js';
import type { ScramCredentials } from '../../security/index.js';
import { clusterEndpoints, clusterIdOf } from '../cluster-link.js';
import type { BrokerConfig } from '../config.js';

/** Shares `credentials` and `quotas` with the cluster when there is one; resolves with what closes the watches. */
export async function shareSecurityState(config: BrokerConfig, logger: Logger, credentials: ScramCredentials, quotas: QuotaConfigs): Promise<() => Promise<void>> {
  const endpoints = clusterEndpoints(config);
  if (endpoints === null) return async () => {};
  const clusterId = clusterIdOf(config);
  const scram = new SharedValue(endpoints, clusterId, 'scram-credentials', (v) => credentials.replace(v), logger);
  const quotaDoc = new SharedValue(endpoints, clusterId, 'client-quotas', (v) => quotas.replace(v), logger);
  const close = async (): Promise<void> => {
    await Promise.all([scram.close(), quotaDoc.close()]);
  };
  try {
    await credentials.share(scram);
    await quotas.share(quotaDoc);
  } catch (err) {
    await close();
    throw err;
  }
  return close;
}
