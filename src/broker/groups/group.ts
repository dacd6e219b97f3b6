/**
 * One classic group's state (Kafka's GroupMetadata): its members, generation, chosen protocol
 * and leader, static members by group.instance.id, members that were given an id and must
 * rejoin with it (pending), members that have not sent SyncGroup yet (pending sync), and its
 * committed offsets. The rebalance logic that drives it lives in the coordinator; this class
 * only keeps the bookkeeping consistent.
 *
 * States and the transitions Kafka allows:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
 *     ▲                  ▲        │                                   │ leader's SyncGroup
 *     └──no members──────┘        └──no members left─▶ Empty          ▼
 *                        └────────────── member change ───────────  Stable
 *   Any state ──▶ Dead (deleted, or expired with no offsets).
 */
import { decodeSubscription } from '../../protocol/consumer-protocol.js';
import type { GroupMetadataValue, OffsetCommitValue } from './records.js';
import { EMPTY_BYTES, type JoinResult, type Member, type SyncResult } from './member.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'];

const VALID_PREVIOUS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  Empty: ['PreparingRebalance'],
};

/** The consumer protocol type; its metadata is a ConsumerProtocolSubscription. */
export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export type CommittedOffset = OffsetCommitValue;

/** The rebalance timer of a group in PreparingRebalance (Kafka's DelayedJoin / InitialDelayedJoin). */
export interface JoinTimer {
  timer: NodeJS.Timeout;
  /** An initial delay never completes early; it extends itself while new members arrive. */
  initial: boolean;
  /** Time left of the rebalance timeout after this initial delay. */
  remainingMs: number;
}

export class ClassicGroup {
  state: GroupState = 'Empty';
  /** When the group last changed state (ms since the epoch); -1 if unknown. */
  stateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order (Map keeps insertion order): the first joined member leads by default. */
  readonly members = new Map<string, Member>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, with their expiry timers. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** How many members support each protocol. */
  private readonly supportedProtocols = new Map<string, number>();
  numMembersAwaitingJoin = 0;
  /** A new member joined during the initial delay (the delay extends). */
  newMemberAdded = false;
  joinTimer: JoinTimer | null = null;
  syncTimer: NodeJS.Timeout | null = null;
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();

  constructor(readonly groupId: string, now: number) {
    this.stateTimestamp = now;
  }

  /**
   * The group as its `__consumer_offsets` metadata record holds it (Kafka's
   * GroupMetadataManager.groupMetadataValue): each member's subscription for the chosen protocol,
   * and its assignment (`assignment`'s, when given, else its current one).
   */
  metadataValue(assignment?: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    const protocol = this.protocolName;
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol,
      leader: this.leaderId,
      currentStateTimestamp: this.stateTimestamp,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol === null ? EMPTY_BYTES : m.metadata(protocol),
        assignment: assignment?.get(m.memberId) ?? m.assignment,
      })),
    };
  }

  // ---- state -----------------------------------------------------------------------------

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now = Date.now()): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${state}`);
    this.state = state;
    this.stateTimestamp = now;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  // ---- members ---------------------------------------------------------------------------

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member | undefined {
    return this.members.get(memberId);
  }

  get size(): number {
    return this.members.size;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member, joinCallback: ((r: JoinResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    for (const p of member.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
    member.joinCallback = joinCallback;
    if (joinCallback !== null) this.numMembersAwaitingJoin++;
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      for (const p of member.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 1) - 1);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingSyncMembers.delete(memberId);
  }

  /** New protocols and timeouts of a rejoining member, and the JoinGroup answer it now waits for. */
  updateMember(member: Member, protocols: Member['protocols'], rebalanceTimeoutMs: number, sessionTimeoutMs: number, joinCallback: ((r: JoinResult) => void) | null): void {
    for (const p of member.protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 1) - 1);
    for (const p of protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
    member.protocols = protocols;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (joinCallback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (joinCallback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.joinCallback = joinCallback;
  }

  /** Answer the member's parked JoinGroup, if any. */
  maybeInvokeJoinCallback(member: Member, result: JoinResult): boolean {
    const cb = member.joinCallback;
    if (cb === null) return false;
    member.joinCallback = null;
    this.numMembersAwaitingJoin--;
    cb(result);
    return true;
  }

  /** Answer the member's parked SyncGroup, if any. */
  maybeInvokeSyncCallback(member: Member, result: SyncResult): boolean {
    const cb = member.syncCallback;
    if (cb === null) return false;
    member.syncCallback = null;
    cb(result);
    return true;
  }

  /** Every member (and no pending one) has sent its JoinGroup for this rebalance. */
  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): Member[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** The longest rebalance timeout of the members: how long a rebalance may take. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) if (m.rebalanceTimeoutMs > max) max = m.rebalanceTimeoutMs;
    return max;
  }

  /** Keep the leader if it rejoined, else make any rejoined member the leader. False if none rejoined. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader !== undefined && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  // ---- static members --------------------------------------------------------------------

  hasStaticMember(groupInstanceId: string | null): boolean {
    return groupInstanceId !== null && this.staticMembers.has(groupInstanceId);
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** A known group.instance.id presented with another member id: a duplicate instance. */
  isStaticMemberFenced(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  /**
   * Give a static member a new member id (it rejoined without one). The old id's parked
   * JoinGroup / SyncGroup is fenced, as a duplicate instance would be.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fenced: { join: JoinResult; sync: SyncResult }): Member {
    const member = this.members.get(oldMemberId);
    if (member === undefined) throw new Error(`group ${this.groupId}: static member ${groupInstanceId} has no member ${oldMemberId}`);
    this.maybeInvokeJoinCallback(member, fenced.join);
    this.maybeInvokeSyncCallback(member, fenced.sync);
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  // ---- protocols -------------------------------------------------------------------------

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    const n = this.members.size;
    const out = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === n) out.add(name);
    return out;
  }

  /** Could a member with these protocols join? */
  supportsProtocols(protocolType: string, names: readonly string[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && names.length > 0;
    if (this.protocolType !== protocolType) return false;
    const n = this.members.size;
    return names.some((name) => (this.supportedProtocols.get(name) ?? 0) === n);
  }

  /**
   * The protocol of the next generation: each member votes for its most preferred protocol
   * among those all members support; most votes wins. Kafka breaks ties arbitrarily; strand
   * takes the earliest-joined member's favourite among the tied, so the choice is repeatable.
   */
  selectProtocol(): string | null {
    const candidates = this.candidateProtocols();
    if (candidates.size === 0) return null;
    const votes = new Map<string, number>();
    const order: string[] = [];
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      if (v === undefined) continue;
      if (!votes.has(v)) order.push(v);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const name of order) if (best === null || votes.get(name)! > votes.get(best)!) best = name;
    return best;
  }

  /** Start the next generation once everyone who will join has joined. */
  initNextGeneration(now = Date.now()): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', now);
    }
    this.pendingSyncMembers.clear();
  }

  /** What the leader gets in its JoinGroup answer. */
  currentMemberMetadata(): JoinResult['members'] {
    const protocol = this.protocolName ?? '';
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }

  /**
   * Topics the members subscribe to, for a consumer-protocol group; null if unknown (another
   * protocol type, or a subscription that does not parse), which Kafka treats as "maybe any".
   */
  subscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return this.members.size === 0 ? new Set() : null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      try {
        for (const t of decodeSubscription(m.metadata(this.protocolName)).subscription.topics) topics.add(t);
      } catch {
        return null;
      }
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    const topics = this.subscribedTopics();
    return topics === null || topics.has(topic);
  }

  // ---- offsets ---------------------------------------------------------------------------

  offset(topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, value: CommittedOffset): void {
    let byPartition = this.offsets.get(topic);
    if (byPartition === undefined) this.offsets.set(topic, (byPartition = new Map()));
    byPartition.set(partition, value);
  }

  removeOffset(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic);
    if (byPartition === undefined || !byPartition.delete(partition)) return false;
    if (byPartition.size === 0) this.offsets.delete(topic);
    return true;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }

  offsetCount(): number {
    let n = 0;
    for (const byPartition of this.offsets.values()) n += byPartition.size;
    return n;
  }

  *allOffsets(): Generator<{ topic: string; partition: number; value: CommittedOffset }> {
    for (const [topic, byPartition] of this.offsets) for (const [partition, value] of byPartition) yield { topic, partition, value };
  }
}
