/**
 * The consumer group APIs, by API key, for the dispatcher's table: coordinator lookup,
 * membership (join, sync, heartbeat, leave), committed offsets (commit, fetch, delete) and the
 * group admin APIs (describe, list, delete), and the consumer group protocol of KIP-848
 * (ConsumerGroupHeartbeat v0-1, ConsumerGroupDescribe). They are served by the broker's GroupCoordinator
 * (src/broker/groups), at every version their codecs have.
 */
import { ApiKey } from '../../protocol/messages/index.js';
import type { Handler } from '../context.js';
import { handleConsumerGroupDescribe } from './groups/consumer-group-describe.js';
import { handleConsumerGroupHeartbeat } from './groups/consumer-group-heartbeat.js';
import { handleDeleteGroups } from './groups/delete-groups.js';
import { handleDescribeGroups } from './groups/describe-groups.js';
import { handleFindCoordinator } from './groups/find-coordinator.js';
import { handleHeartbeat } from './groups/heartbeat.js';
import { handleJoinGroup } from './groups/join-group.js';
import { handleLeaveGroup } from './groups/leave-group.js';
import { handleListGroups } from './groups/list-groups.js';
import { handleOffsetCommit } from './groups/offset-commit.js';
import { handleOffsetDelete } from './groups/offset-delete.js';
import { handleOffsetFetch } from './groups/offset-fetch.js';
import { handleSyncGroup } from './groups/sync-group.js';

export const GROUP_HANDLERS: Readonly<Record<number, Handler>> = Object.freeze({
  [ApiKey.OffsetCommit]: handleOffsetCommit,
  [ApiKey.OffsetFetch]: handleOffsetFetch,
  [ApiKey.FindCoordinator]: handleFindCoordinator,
  [ApiKey.JoinGroup]: handleJoinGroup,
  [ApiKey.Heartbeat]: handleHeartbeat,
  [ApiKey.LeaveGroup]: handleLeaveGroup,
  [ApiKey.SyncGroup]: handleSyncGroup,
  [ApiKey.DescribeGroups]: handleDescribeGroups,
  [ApiKey.ListGroups]: handleListGroups,
  [ApiKey.DeleteGroups]: handleDeleteGroups,
  [ApiKey.OffsetDelete]: handleOffsetDelete,
  [ApiKey.ConsumerGroupHeartbeat]: handleConsumerGroupHeartbeat,
  [ApiKey.ConsumerGroupDescribe]: handleConsumerGroupDescribe,
});
