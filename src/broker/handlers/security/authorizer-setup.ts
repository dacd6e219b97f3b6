/**
 * The broker's authorizer at start: none when `authorizer.class.name` is empty; otherwise an
 * ACL manager whose ACLs persist in the data directory (`__strand_metadata/acls`).
 */
import type { AclManager, DecisionPolicy } from '../../../security/acl/index.js';
import { AclFile, AclManager as Manager } from '../../../security/acl/index.js';

export async function openAclManager(policy: DecisionPolicy | null, dataDir: string): Promise<AclManager | null> {
  if (policy === null) return null;
  return Manager.open(policy, new AclFile(dataDir));
}
