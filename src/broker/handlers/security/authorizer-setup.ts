/**
 * The broker's authorizer at start: none when `authorizer.class.name` is empty; otherwise an
 * ACL manager whose ACLs persist in the data directory (`__strand_metadata/acls`) on a single
 * broker, and in the cluster's etcd, watched by every broker, in a cluster.
 */
import type { Logger } from 'pino';
import type { AclManager, DecisionPolicy } from '../../../security/acl/index.js';
import { AclFile, AclManager as Manager } from '../../../security/acl/index.js';
import { clusterEndpoints, clusterIdOf } from '../../cluster-settings.js';
import type { BrokerConfig } from '../../config.js';

export async function openAclManager(policy: DecisionPolicy | null, config: BrokerConfig, logger: Logger): Promise<AclManager | null> {
  if (policy === null) return null;
  const endpoints = clusterEndpoints(config);
  if (endpoints === null) return Manager.open(policy, new AclFile(config.dataDir));
  const { ClusterAcls } = await import('../../cluster-state/acls.js'); // etcd's client: only in a cluster
  return Manager.open(policy, (applyAll) => new ClusterAcls(endpoints, clusterIdOf(config), applyAll, logger));
}
