/**
 * One consumer-protocol group (KIP-848), Kafka's ConsumerGroup and ConsumerGroupMember: the
 * group epoch (bumped whenever membership or subscriptions change), the target assignment and
 * its epoch, each member's epoch and current assignment, which member epoch owns each
 * partition (so a partition is handed to its next owner only once the previous one revoked
 * it), and the group's committed offsets. The state machine that moves it is in manager.ts
 * and reconcile.ts.
 *
 * Group states (Kafka's ConsumerGroup.ConsumerGroupState): Empty (no members); Assigning (the
 * group epoch is ahead of the target assignment); Reconciling (some member is not at the
 * target yet); Stable.
 */
import { type Assignment, emptyAssignment } from './assignment.js';
import { GroupOffsets } from './offsets.js';
import type { ClassicMemberMetadata } from './records.js';

/** Kafka's MemberState, with its record values. */
export const enum MemberState {
  Stable = 0,
  UnrevokedPartitions = 1,
  UnreleasedPartitions = 2,
}

export const MEMBER_STATE_NAMES = ['stable', 'unrevoked_partitions', 'unreleased_partitions'] as const;

/** Member epochs with a meaning (ConsumerGroupHeartbeatRequest). */
export const JOIN_GROUP_MEMBER_EPOCH = 0;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;

export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

export class ConsumerMember {
  instanceId: string | null = null;
  rackId: string | null = null;
  clientId = '';
  clientHost = '';
  subscribedTopicNames: string[] = [];
  /** v1 (KIP-848 in Kafka 4.0): a regular expression over topic names, matched whole. */
  subscribedTopicRegex: string | null = null;
  /** Topics the regex matches now (resolved by the manager at each heartbeat of the group). */
  regexTopics: string[] = [];
  serverAssignor: string | null = null;
  rebalanceTimeoutMs = -1;
  memberEpoch = 0;
  previousMemberEpoch = 0;
  state: MemberState = MemberState.Stable;
  assigned: Assignment = emptyAssignment();
  pendingRevocation: Assignment = emptyAssignment();
  /**
   * A member of the classic protocol (JoinGroup, SyncGroup, Heartbeat) hosted by this group
   * since an online upgrade (KIP-848): its session timeout and the protocols it joined with.
   * Null for a member of the consumer protocol.
   */
  classic: ClassicMemberMetadata | null = null;
  sessionTimer: NodeJS.Timeout | null = null;
  rebalanceTimer: NodeJS.Timeout | null = null;
  /** Classic members: until the rejoin they were told to make (REBALANCE_IN_PROGRESS), and until their SyncGroup after a join. */
  joinTimer: NodeJS.Timeout | null = null;
  syncTimer: NodeJS.Timeout | null = null;

  constructor(public memberId: string) {}

  get usesClassicProtocol(): boolean {
    return this.classic !== null;
  }

  /** Topics it subscribes to, by name and by its regex. */
  topics(): string[] {
    return this.regexTopics.length === 0 ? this.subscribedTopicNames : [...new Set([...this.subscribedTopicNames, ...this.regexTopics])];
  }

  /** Kafka's isReconciledTo: at the target epoch with nothing left to do. */
  isReconciledTo(targetEpoch: number): boolean {
    return this.state === MemberState.Stable && this.memberEpoch === targetEpoch;
  }
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  /** When the group was created or loaded (ms); shown by nothing yet, kept for expiry. */
  stateTimestamp: number;
  readonly members = new Map<string, ConsumerMember>();
  /** instance id → member id of static members. */
  readonly staticMembers = new Map<string, string>();
  /** member id → its target assignment. */
  readonly targetAssignment = new Map<string, Assignment>();
  /** Subscribed topics that exist: topic id → name and partition count (the "subscription metadata"). */
  subscriptionMetadata = new Map<string, { name: string; numPartitions: number }>();
  /** `topicId:partition` → epoch of the member that owns it (assigned or pending revocation). */
  private readonly partitionEpochs = new Map<string, number>();
  readonly offsets = new GroupOffsets();
  dead = false;

  constructor(readonly groupId: string, now: number) {
    this.stateTimestamp = now;
  }

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (!m.isReconciledTo(this.assignmentEpoch)) return 'Reconciling';
    return 'Stable';
  }

  /** Kafka's currentPartitionEpoch: the owning member's epoch, -1 when the partition is free. */
  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(`${topicId}:${partition}`) ?? -1;
  }

  /** Put (or replace) a member, keeping static ids and partition epochs in step (Kafka's updateMember). */
  putMember(member: ConsumerMember): void {
    const old = this.members.get(member.memberId);
    if (old !== undefined) this.releasePartitions(old);
    this.members.set(member.memberId, member);
    if (member.instanceId !== null) this.staticMembers.set(member.instanceId, member.memberId);
    this.claimPartitions(member);
  }

  removeMember(memberId: string): ConsumerMember | undefined {
    const m = this.members.get(memberId);
    if (m === undefined) return undefined;
    this.releasePartitions(m);
    this.members.delete(memberId);
    this.targetAssignment.delete(memberId);
    if (m.instanceId !== null && this.staticMembers.get(m.instanceId) === memberId) this.staticMembers.delete(m.instanceId);
    return m;
  }

  /** After a member's assignment changed in place. */
  reassign(member: ConsumerMember, assigned: Assignment, pendingRevocation: Assignment): void {
    this.releasePartitions(member);
    member.assigned = assigned;
    member.pendingRevocation = pendingRevocation;
    this.claimPartitions(member);
  }

  staticMember(instanceId: string): ConsumerMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** The assignor most members ask for, else `fallback` (Kafka's computePreferredServerAssignor). */
  preferredAssignor(fallback: string, order: readonly string[]): string {
    const votes = new Map<string, number>();
    for (const m of this.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    for (const name of order) if ((votes.get(name) ?? 0) > 0 && (best === null || votes.get(name)! > votes.get(best)!)) best = name;
    return best ?? fallback;
  }

  /** Members of the classic protocol (Kafka's numClassicProtocolMembers). */
  classicMemberCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.classic !== null) n++;
    return n;
  }

  /** Kafka's allMembersUseClassicProtocolExcept: `memberId` is the only member of the consumer protocol. */
  allMembersUseClassicProtocolExcept(memberId: string): boolean {
    const m = this.members.get(memberId);
    return m !== undefined && m.classic === null && this.classicMemberCount() === this.members.size - 1;
  }

  /**
   * Kafka's supportsClassicProtocols: a classic JoinGroup may join with the consumer protocol
   * type and a protocol (assignor) name every classic member supports (any, while none is).
   */
  supportsClassicProtocols(protocolType: string, names: readonly string[]): boolean {
    if (protocolType !== 'consumer') return false;
    if (this.members.size === 0) return names.length > 0;
    const classic = [...this.members.values()].filter((m) => m.classic !== null);
    return names.some((name) => classic.every((m) => m.classic!.protocols.some((p) => p.name === name)));
  }

  /** Kafka's waitingOnUnreleasedPartition: some partition of its target is still owned by another member. */
  waitingOnUnreleasedPartition(member: ConsumerMember): boolean {
    if (member.state !== MemberState.UnreleasedPartitions) return false;
    for (const [topicId, ps] of this.targetAssignment.get(member.memberId) ?? emptyAssignment()) {
      for (const p of ps) if (!(member.assigned.get(topicId)?.has(p) ?? false) && this.currentPartitionEpoch(topicId, p) !== -1) return true;
    }
    return false;
  }

  /** Topic names some member subscribes to. */
  subscribedTopicNames(): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) for (const t of m.topics()) out.add(t);
    return out;
  }

  private releasePartitions(m: ConsumerMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) this.partitionEpochs.delete(`${t}:${p}`);
  }

  private claimPartitions(m: ConsumerMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) this.partitionEpochs.set(`${t}:${p}`, m.memberEpoch);
  }
}
