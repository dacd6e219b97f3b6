/**
 * Group protocol helpers for tests that speak the wire protocol directly: one RawClient per
 * member (a JoinGroup blocks its connection until the rebalance completes, as in Kafka).
 */
import { decodeAssignment, encodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.js';
import {
  DeleteGroupsApi, DescribeGroupsApi, FindCoordinatorApi, HeartbeatApi, JoinGroupApi, LeaveGroupApi, ListGroupsApi, OffsetCommitApi, OffsetDeleteApi, OffsetFetchApi, SyncGroupApi,
} from '../../src/protocol/messages/index.js';
import type { JoinGroupResponse } from '../../src/protocol/messages/join-group.js';
import { RawClient } from '../helpers/raw-client.js';

export const E = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_REQUEST: 42,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  MEMBER_ID_REQUIRED: 79,
  FENCED_INSTANCE_ID: 82,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
} as const;

export function subscription(topics: string[]): Buffer {
  return encodeSubscription({ topics, userData: null, ownedPartitions: [] }, 1);
}

export function assignment(parts: Record<string, number[]>): Buffer {
  return encodeAssignment({ assignedPartitions: Object.entries(parts).map(([topic, partitions]) => ({ topic, partitions })), userData: null }, 1);
}

export function assigned(bytes: Buffer): Record<string, number[]> {
  if (bytes.length === 0) return {};
  const out: Record<string, number[]> = {};
  for (const tp of decodeAssignment(bytes).assignment.assignedPartitions) out[tp.topic] = [...tp.partitions].sort((a, b) => a - b);
  return out;
}

export interface JoinOptions {
  groupId: string;
  memberId?: string;
  groupInstanceId?: string | null;
  topics?: string[];
  protocols?: Array<{ name: string; metadata: Buffer }>;
  protocolType?: string;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  version?: number;
}

/** One group member on its own connection. */
export class Member {
  memberId = '';
  generationId = -1;
  leader = '';
  lastJoin: JoinGroupResponse | null = null;

  private constructor(readonly client: RawClient, readonly groupInstanceId: string | null) {}

  static async open(bootstrap: string, groupInstanceId: string | null = null): Promise<Member> {
    return new Member(await RawClient.open(bootstrap), groupInstanceId);
  }

  /** JoinGroup (v5 by default), retrying once on MEMBER_ID_REQUIRED. */
  async join(o: JoinOptions): Promise<JoinGroupResponse> {
    const version = o.version ?? 5;
    const body = (memberId: string) => ({
      groupId: o.groupId,
      sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 5_000,
      memberId,
      groupInstanceId: o.groupInstanceId === undefined ? this.groupInstanceId : o.groupInstanceId,
      protocolType: o.protocolType ?? 'consumer',
      protocols: o.protocols ?? [{ name: 'range', metadata: subscription(o.topics ?? ['t']) }],
      reason: null,
    });
    let r = await this.client.request(JoinGroupApi, version, body(o.memberId ?? this.memberId));
    if (r.errorCode === E.MEMBER_ID_REQUIRED) r = await this.client.request(JoinGroupApi, version, body(r.memberId));
    if (r.errorCode === E.NONE) {
      this.memberId = r.memberId;
      this.generationId = r.generationId!;
      this.leader = r.leader;
    }
    this.lastJoin = r;
    return r;
  }

  get isLeader(): boolean {
    return this.leader === this.memberId;
  }

  async sync(groupId: string, assignments: Array<{ memberId: string; assignment: Buffer }> = [], version = 3) {
    return this.client.request(SyncGroupApi, version, { groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId, protocolType: 'consumer', protocolName: 'range', assignments });
  }

  async heartbeat(groupId: string, version = 3): Promise<number> {
    const r = await this.client.request(HeartbeatApi, version, { groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId });
    return r.errorCode;
  }

  async leave(groupId: string) {
    return this.client.request(LeaveGroupApi, 3, { groupId, members: [{ memberId: this.memberId, groupInstanceId: this.groupInstanceId }] });
  }

  async commit(groupId: string, offsets: Record<string, Record<number, number>>, opts: { version?: number; metadata?: string | null; generationId?: number; memberId?: string } = {}) {
    const r = await this.client.request(OffsetCommitApi, opts.version ?? 7, {
      groupId,
      generationIdOrMemberEpoch: opts.generationId ?? this.generationId,
      memberId: opts.memberId ?? this.memberId,
      groupInstanceId: this.groupInstanceId,
      retentionTimeMs: -1n,
      topics: Object.entries(offsets).map(([name, ps]) => ({ name, partitions: Object.entries(ps).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: BigInt(o), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: opts.metadata === undefined ? 'meta' : opts.metadata })) })),
    });
    return r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
  }

  close(): void {
    this.client.close();
  }
}

/** An admin connection: offsets, describe, list, delete. */
export class Admin {
  private constructor(readonly client: RawClient) {}

  static async open(bootstrap: string): Promise<Admin> {
    return new Admin(await RawClient.open(bootstrap));
  }

  async offsets(groupId: string, topics: Record<string, number[]> | null, version = 7) {
    const r = await this.client.request(OffsetFetchApi, version, { groupId, topics: topics === null ? null : Object.entries(topics).map(([name, partitionIndexes]) => ({ name, partitionIndexes })), requireStable: false });
    const out: Record<string, { offset: number; metadata: string | null; errorCode: number }> = {};
    for (const t of r.topics ?? []) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = { offset: Number(p.committedOffset), metadata: p.metadata, errorCode: p.errorCode };
    return { errorCode: r.errorCode ?? 0, offsets: out };
  }

  async describe(groupId: string, version = 4) {
    const r = await this.client.request(DescribeGroupsApi, version, { groups: [groupId], includeAuthorizedOperations: false });
    return r.groups[0]!;
  }

  async list(states: string[] = [], version = 4) {
    const r = await this.client.request(ListGroupsApi, version, { statesFilter: states, typesFilter: [] });
    return r;
  }

  async delete(groups: string[]) {
    return (await this.client.request(DeleteGroupsApi, 1, { groupsNames: groups })).results;
  }

  async deleteOffsets(groupId: string, topics: Record<string, number[]>) {
    return this.client.request(OffsetDeleteApi, 0, { groupId, topics: Object.entries(topics).map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })) });
  }

  async findCoordinator(key: string, version = 2, keyType = 0) {
    return this.client.request(FindCoordinatorApi, version, { key, keyType, coordinatorKeys: [key] });
  }

  close(): void {
    this.client.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `check` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}
