/**
 * The authorization checks of every served API, installed over the registered handlers when the
 * broker has an authorizer (without one the handlers run unwrapped, as before). APIs absent here
 * need no authorization in Kafka either (ApiVersions, the SASL APIs) or check it themselves
 * (the ACL APIs).
 */
import { ApiKey } from '../../../../protocol/messages/index.js';
import type { AclManager } from '../../../../security/acl/index.js';
import type { BrokerCore, Handler } from '../../../context.js';
import type { ApiRegistry } from '../../registry.js';
import * as admin from './admin.js';
import * as data from './data.js';
import { type Guard, setAclManager } from './guard.js';
import * as groups from './groups.js';
import * as metadata from './metadata.js';
import * as txn from './txn.js';

export const GUARDS: Readonly<Record<number, Guard>> = Object.freeze({
  [ApiKey.Produce]: data.guardProduce,
  [ApiKey.Fetch]: data.guardFetch,
  [ApiKey.ListOffsets]: data.guardListOffsets,
  [ApiKey.OffsetForLeaderEpoch]: data.guardOffsetForLeaderEpoch,
  [ApiKey.DeleteRecords]: data.guardDeleteRecords,
  [ApiKey.DescribeProducers]: data.guardDescribeProducers,
  [ApiKey.Metadata]: metadata.guardMetadata,
  [ApiKey.DescribeCluster]: metadata.guardDescribeCluster,
  [ApiKey.OffsetCommit]: groups.guardOffsetCommit,
  [ApiKey.OffsetFetch]: groups.guardOffsetFetch,
  [ApiKey.FindCoordinator]: groups.guardFindCoordinator,
  [ApiKey.JoinGroup]: groups.guardJoinGroup,
  [ApiKey.SyncGroup]: groups.guardSyncGroup,
  [ApiKey.Heartbeat]: groups.guardHeartbeat,
  [ApiKey.LeaveGroup]: groups.guardLeaveGroup,
  [ApiKey.DescribeGroups]: groups.guardDescribeGroups,
  [ApiKey.ListGroups]: groups.guardListGroups,
  [ApiKey.DeleteGroups]: groups.guardDeleteGroups,
  [ApiKey.OffsetDelete]: groups.guardOffsetDelete,
  [ApiKey.ConsumerGroupHeartbeat]: groups.guardConsumerGroupHeartbeat,
  [ApiKey.ConsumerGroupDescribe]: groups.guardConsumerGroupDescribe,
  [ApiKey.InitProducerId]: txn.guardInitProducerId,
  [ApiKey.AddPartitionsToTxn]: txn.guardAddPartitionsToTxn,
  [ApiKey.AddOffsetsToTxn]: txn.guardAddOffsetsToTxn,
  [ApiKey.EndTxn]: txn.guardEndTxn,
  [ApiKey.TxnOffsetCommit]: txn.guardTxnOffsetCommit,
  [ApiKey.DescribeTransactions]: txn.guardDescribeTransactions,
  [ApiKey.ListTransactions]: txn.guardListTransactions,
  [ApiKey.WriteTxnMarkers]: txn.guardWriteTxnMarkers,
  [ApiKey.CreateTopics]: admin.guardCreateTopics,
  [ApiKey.DeleteTopics]: admin.guardDeleteTopics,
  [ApiKey.CreatePartitions]: admin.guardCreatePartitions,
  [ApiKey.DescribeConfigs]: admin.guardDescribeConfigs,
  [ApiKey.AlterConfigs]: admin.guardAlterConfigs,
  [ApiKey.IncrementalAlterConfigs]: admin.guardIncrementalAlterConfigs,
  [ApiKey.DescribeLogDirs]: admin.guardDescribeLogDirs,
  [ApiKey.ElectLeaders]: admin.guardElectLeaders,
  [ApiKey.AlterPartitionReassignments]: admin.guardAlterPartitionReassignments,
  [ApiKey.ListPartitionReassignments]: admin.guardListPartitionReassignments,
  [ApiKey.DescribeUserScramCredentials]: admin.guardDescribeUserScramCredentials,
  [ApiKey.AlterUserScramCredentials]: admin.guardAlterUserScramCredentials,
  [ApiKey.DescribeClientQuotas]: admin.guardDescribeClientQuotas,
  [ApiKey.AlterClientQuotas]: admin.guardAlterClientQuotas,
});

/** The APIs served that have no check here: each must need none (tested). */
export const UNGUARDED: ReadonlySet<number> = new Set([
  ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.CreateAcls, ApiKey.DescribeAcls, ApiKey.DeleteAcls,
]);

/** Give `core` its authorizer and wrap every served API that has a check. */
export function installAuthorizer(core: BrokerCore, registry: ApiRegistry, manager: AclManager): void {
  setAclManager(core, manager);
  for (const [key, guard] of Object.entries(GUARDS)) {
    const served = registry.get(Number(key));
    if (served === undefined) continue;
    const wrapped: Handler = guard(served.handler);
    // The codec the handler was registered with (it may be its own, newer than the schemas).
    (wrapped as { codec?: unknown }).codec = served.api;
    registry.register(Number(key), wrapped, { min: served.minVersion, max: served.maxVersion });
  }
}
