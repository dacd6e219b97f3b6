/**
 * The admin APIs, by API key, for the dispatcher's table: topics (create, delete, partitions),
 * configs (describe, alter, incremental alter), records (delete), and the cluster, log dirs and
 * leader epochs as a single node sees them. Each handler answers every version its codec has
 * and reports failures per topic, partition or resource.
 */
import { ApiKey } from '../../protocol/messages/index.js';
import type { Handler } from '../context.js';
import { handleAlterConfigs } from './admin/alter-configs.js';
import { handleAlterPartitionReassignments } from './admin/alter-partition-reassignments.js';
import { handleElectLeaders } from './admin/elect-leaders.js';
import { handleListPartitionReassignments } from './admin/list-partition-reassignments.js';
import { handleCreatePartitions } from './admin/create-partitions.js';
import { handleCreateTopics } from './admin/create-topics.js';
import { handleDeleteRecords } from './admin/delete-records.js';
import { handleDeleteTopics } from './admin/delete-topics.js';
import { handleDescribeCluster } from './admin/describe-cluster.js';
import { handleDescribeConfigs } from './admin/describe-configs.js';
import { handleDescribeLogDirs } from './admin/describe-log-dirs.js';
import { handleIncrementalAlterConfigs } from './admin/incremental-alter-configs.js';
import { handleOffsetForLeaderEpoch } from './admin/offset-for-leader-epoch.js';
import { handleAlterClientQuotas } from './quotas/alter-client-quotas.js';
import { handleDescribeClientQuotas } from './quotas/describe-client-quotas.js';

export const ADMIN_HANDLERS: Readonly<Record<number, Handler>> = Object.freeze({
  [ApiKey.CreateTopics]: handleCreateTopics,
  [ApiKey.DeleteTopics]: handleDeleteTopics,
  [ApiKey.DeleteRecords]: handleDeleteRecords,
  [ApiKey.OffsetForLeaderEpoch]: handleOffsetForLeaderEpoch,
  [ApiKey.DescribeConfigs]: handleDescribeConfigs,
  [ApiKey.AlterConfigs]: handleAlterConfigs,
  [ApiKey.DescribeLogDirs]: handleDescribeLogDirs,
  [ApiKey.CreatePartitions]: handleCreatePartitions,
  [ApiKey.IncrementalAlterConfigs]: handleIncrementalAlterConfigs,
  [ApiKey.DescribeCluster]: handleDescribeCluster,
  [ApiKey.ElectLeaders]: handleElectLeaders,
  [ApiKey.AlterPartitionReassignments]: handleAlterPartitionReassignments,
  [ApiKey.ListPartitionReassignments]: handleListPartitionReassignments,
  [ApiKey.DescribeClientQuotas]: handleDescribeClientQuotas,
  [ApiKey.AlterClientQuotas]: handleAlterClientQuotas,
});
