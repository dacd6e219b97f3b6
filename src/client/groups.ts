/**
 * Consumer group administration, as kafka-consumer-groups does it over the wire: find a
 * group's coordinator (FindCoordinator), list groups on every broker (ListGroups), describe
 * them (DescribeGroups, with consumer-protocol assignments decoded), read and write committed
 * offsets (OffsetFetch / OffsetCommit as a non-member, which a broker accepts only for an
 * empty group), and delete groups (DeleteGroups). No group membership: this is not a consumer.
 *
 * Each request goes at the highest version the client and broker share. Per-group and
 * per-partition errors are returned in the results; a whole-request failure throws.
 */
import { decodeAssignment } from '../protocol/consumer-protocol.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  DeleteGroupsApi, DescribeGroupsApi, FindCoordinatorApi, ListGroupsApi, OffsetCommitApi, OffsetFetchApi,
} from '../protocol/messages/index.js';
import type { Connection } from './connection.js';
import type { ClientCore } from './core.js';
import { KafkaResponseError } from './errors.js';

export interface GroupListing {
  groupId: string;
  /** `consumer` for Kafka consumers; '' for a group that only stores offsets. */
  protocolType: string;
  /** Empty, Stable, PreparingRebalance, CompletingRebalance, Dead ('' if the broker does not say). */
  state: string;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Assigned partitions (consumer protocol groups that are Stable), by topic. */
  assignment: Map<string, number[]>;
}

export interface GroupDescription {
  groupId: string;
  error: KafkaResponseError | null;
  state: string;
  protocolType: string;
  /** The assignor in use (consumer groups), '' while not Stable. */
  protocol: string;
  members: GroupMember[];
  coordinator: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when none is committed. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  error: KafkaResponseError | null;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** The node coordinating `groupId` (retrying while the broker says it is not ready). */
export async function findCoordinator(core: ClientCore, groupId: string): Promise<number> {
  return core.retrying(true, async () => {
    const conn = await core.bootstrapConnection();
    const v = conn.versionOf(FindCoordinatorApi);
    const res = await conn.send(FindCoordinatorApi, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
    if (v >= 4) {
      const c = res.coordinators.find((x) => x.key === groupId);
      if (c === undefined) throw new KafkaResponseError(ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'FindCoordinator', resource: `group ${groupId}` }, 'the response does not mention the group');
      KafkaResponseError.check(c.errorCode, { api: 'FindCoordinator', resource: `group ${groupId}` }, c.errorMessage);
      return c.nodeId;
    }
    KafkaResponseError.check(res.errorCode, { api: 'FindCoordinator', resource: `group ${groupId}` }, res.errorMessage);
    return res.nodeId;
  });
}

async function coordinatorConnection(core: ClientCore, groupId: string): Promise<{ conn: Connection; nodeId: number }> {
  const nodeId = await findCoordinator(core, groupId);
  return { conn: await core.connectionTo(nodeId), nodeId };
}

/** Groups on every broker of the cluster, optionally only those in `states` (ListGroups v4+). */
export async function listGroups(core: ClientCore, states: readonly string[] = []): Promise<GroupListing[]> {
  const md = await core.metadata([]);
  const out: GroupListing[] = [];
  for (const b of md.brokers) {
    const listing = await core.retrying(true, async () => {
      const conn = await core.connectionTo(b.nodeId);
      const v = conn.versionOf(ListGroupsApi);
      const res = await conn.send(ListGroupsApi, { statesFilter: [...states], typesFilter: [] });
      KafkaResponseError.check(res.errorCode, { api: 'ListGroups', resource: `broker ${b.nodeId}` });
      const wanted = new Set(states.map((s) => s.toLowerCase()));
      return res.groups
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: v >= 4 ? g.groupState : '' }))
        // Brokers older than ListGroups v4 cannot filter: the caller's DescribeGroups can.
        .filter((g) => v >= 4 || wanted.size === 0 || g.state === '' || wanted.has(g.state.toLowerCase()));
    });
    out.push(...listing);
  }
  return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
}

function decodeMemberAssignment(bytes: Buffer, protocolType: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (protocolType !== 'consumer' || bytes.length === 0) return out;
  try {
    for (const tp of decodeAssignment(bytes).assignment.assignedPartitions) out.set(tp.topic, [...(out.get(tp.topic) ?? []), ...tp.partitions].sort((a, b) => a - b));
  } catch {
    // Not a consumer-protocol assignment after all: show none.
  }
  return out;
}

/** Describe groups, each at its coordinator. A group the broker does not know is state "Dead". */
export async function describeGroups(core: ClientCore, groupIds: readonly string[]): Promise<GroupDescription[]> {
  const out: GroupDescription[] = [];
  for (const groupId of groupIds) {
    const described = await core.retrying(true, async () => {
      const { conn, nodeId } = await coordinatorConnection(core, groupId);
      const res = await conn.send(DescribeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false });
      const g = res.groups.find((x) => x.groupId === groupId);
      if (g === undefined) throw new KafkaResponseError(ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'DescribeGroups', resource: `group ${groupId}` }, 'the response does not mention the group');
      const error = KafkaResponseError.of(g.errorCode, { api: 'DescribeGroups', resource: `group ${groupId}` });
      if (error?.retriable) throw error;
      return {
        groupId,
        error,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        coordinator: nodeId,
        members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, assignment: decodeMemberAssignment(m.memberAssignment, g.protocolType) })),
      };
    });
    out.push(described);
  }
  return out;
}

/** Committed offsets of a group: all of them (`topics` null) or of the given partitions. */
export async function fetchOffsets(core: ClientCore, groupId: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null = null): Promise<CommittedOffset[]> {
  return core.retrying(true, async () => {
    const { conn } = await coordinatorConnection(core, groupId);
    const v = conn.versionOf(OffsetFetchApi);
    if (topics === null && v < 2) throw new KafkaResponseError(ErrorCode.UNSUPPORTED_VERSION, { api: 'OffsetFetch', resource: `group ${groupId}` }, 'the broker cannot list all offsets of a group (OffsetFetch v2+)');
    const wanted = topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: [...t.partitions] }));
    const res = await conn.send(OffsetFetchApi, { groupId, topics: wanted, groups: [{ groupId, memberId: null, memberEpoch: -1, topics: wanted }], requireStable: false });
    const path = { api: 'OffsetFetch', resource: `group ${groupId}` };
    let partitions: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string | null; errorCode: number }> }>;
    if (v >= 8) {
      const g = res.groups.find((x) => x.groupId === groupId);
      if (g === undefined) throw new KafkaResponseError(ErrorCode.UNKNOWN_SERVER_ERROR, path, 'the response does not mention the group');
      KafkaResponseError.check(g.errorCode, path);
      partitions = g.topics;
    } else {
      KafkaResponseError.check(res.errorCode, path);
      partitions = res.topics;
    }
    return partitions.flatMap((t) => t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: Number(p.committedOffset),
      leaderEpoch: p.committedLeaderEpoch,
      metadata: p.metadata,
      error: KafkaResponseError.of(p.errorCode, { api: 'OffsetFetch', topic: t.name, partition: p.partitionIndex }),
    }))).sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  });
}

/**
 * Commit offsets for a group without being a member of it (generation -1): brokers accept this
 * only while the group has no members (UNKNOWN_MEMBER_ID otherwise). Per-partition errors are
 * returned.
 */
export async function commitOffsets(core: ClientCore, groupId: string, offsets: readonly OffsetToCommit[]): Promise<Array<{ topic: string; partition: number; error: KafkaResponseError | null }>> {
  const byTopic = new Map<string, OffsetToCommit[]>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
  return core.retrying(false, async () => {
    const { conn } = await coordinatorConnection(core, groupId);
    const res = await conn.send(OffsetCommitApi, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: p.metadata ?? '' })),
      })),
    });
    const results = res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, error: KafkaResponseError.of(p.errorCode, { api: 'OffsetCommit', topic: t.name, partition: p.partitionIndex }) })));
    // Retry the whole commit if the coordinator was not ready.
    const retriable = results.find((r) => r.error?.retriable);
    if (retriable) throw retriable.error;
    return results;
  });
}

/** Delete groups (each must be empty); per-group errors are returned. */
export async function deleteGroups(core: ClientCore, groupIds: readonly string[]): Promise<Array<{ groupId: string; error: KafkaResponseError | null }>> {
  const out: Array<{ groupId: string; error: KafkaResponseError | null }> = [];
  for (const groupId of groupIds) {
    const result = await core.retrying(true, async () => {
      const { conn } = await coordinatorConnection(core, groupId);
      const res = await conn.send(DeleteGroupsApi, { groupsNames: [groupId] });
      const r = res.results.find((x) => x.groupId === groupId);
      const error = r === undefined
        ? new KafkaResponseError(ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'DeleteGroups', resource: `group ${groupId}` }, 'the response does not mention the group')
        : KafkaResponseError.of(r.errorCode, { api: 'DeleteGroups', resource: `group ${groupId}` });
      if (error?.retriable) throw error;
      return { groupId, error };
    });
    out.push(result);
  }
  return out;
}
