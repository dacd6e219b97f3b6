/**
 * The group coordinator of this broker: membership (see membership.ts), committed offsets,
 * the group admin operations (describe, list, delete groups and offsets), loading everything
 * back from `__consumer_offsets` on start, and expiring old offsets and empty groups every
 * `offsets.retention.check.interval.ms`.
 *
 * Single node: this broker coordinates every group, so FindCoordinator always names it and
 * NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS never happen (the topic is loaded before the
 * broker listens).
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { groupConfig } from './config.js';
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE, GROUP_STATES, type GroupState } from './group.js';
import { EMPTY_BYTES, Member } from './member.js';
import { GroupMembership } from './membership.js';
import { type CommitInput, type CommitResult, type FetchResult, expiredOffsets, fetched, noOffset, offsetStoreError } from './offsets.js';
import { type LoadedGroup, OFFSETS_TOPIC, OffsetsTopic } from './offsets-topic.js';
import { encodeGroupMetadataKey, encodeOffsetCommitKey, encodeOffsetCommitValue, type OffsetCommitValue } from './records.js';
import { TransactionalOffsets } from './txn-offsets.js';
import { ConsumerGroups } from './consumer/manager.js';
import { restoreConsumerGroup } from './consumer/persist.js';
import { expiredConsumerOffsets } from './consumer/expiry.js';
import { validateOffsetCommit as validateConsumerOffsetCommit, validateOffsetFetch as validateConsumerOffsetFetch } from './consumer/validate.js';
import type { GroupOffsets } from './consumer/offsets.js';
import type { RecordInput } from '../../format/record.js';

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

const MAX_DELAY = 2 ** 31 - 1;

export class GroupCoordinator extends GroupMembership {
  private expiryTimer: NodeJS.Timeout | null = null;
  /** TxnOffsetCommit's offsets, pending until their transaction's marker (txn-offsets.ts). */
  readonly transactionalOffsets = new TransactionalOffsets(this);
  /** Groups of the consumer protocol (KIP-848), beside the classic ones in `groups`. */
  readonly consumer = new ConsumerGroups(this);
  /** In a cluster: `__consumer_offsets` partitions this broker leads and is still loading (placement.ts). */
  readonly loading = new Set<number>();
  /** Bumped at each change of leadership of a partition, so a load that leadership outran is dropped. */
  private readonly partitionTerms = new Map<number, number>();
  private stopListening: (() => void) | null = null;
  private stopDeletions: (() => void) | null = null;

  /** Load the groups from `__consumer_offsets` (if it exists) and start the expiry timer. */
  static async start(core: BrokerCore, logger: Logger = core.logger): Promise<GroupCoordinator> {
    const config = groupConfig(core.config);
    const log = logger.child({ component: 'groups' });
    const coordinator = new GroupCoordinator(core, config, new OffsetsTopic(core, config, log), log);
    // In a cluster a broker coordinates the groups of the partitions it leads, loaded when it
    // becomes their leader (Kafka's onElection / onResignation); a single broker, all of them now.
    if (core.replication.clustered) {
      coordinator.stopListening = core.replication.onLeadershipChange((topic, partition, leading) => {
        if (topic !== OFFSETS_TOPIC) return;
        if (leading) void coordinator.loadPartition(partition);
        else coordinator.unloadPartition(partition);
      });
    } else await coordinator.load();
    coordinator.expiryTimer = setInterval(() => coordinator.expire(Date.now()), Math.min(config.offsetsRetentionCheckIntervalMs, MAX_DELAY));
    coordinator.expiryTimer.unref();
    // Kafka's onPartitionsDeleted: a deleted topic's committed offsets go with it, at once, so
    // consumers of a topic created again under the name do not resume from the old offsets.
    coordinator.stopDeletions = core.topics.onDeleted((topic) => coordinator.expire(Date.now(), topic));
    return coordinator;
  }

  /** Stop: parked JoinGroup/SyncGroup requests are answered NOT_COORDINATOR (clients look for the coordinator again), timers stop, nothing more is written. */
  shutdown(): void {
    if (!this.active) return;
    this.active = false;
    this.stopListening?.();
    this.stopDeletions?.();
    if (this.expiryTimer !== null) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
    for (const group of this.groups.values()) this.unload(group, ErrorCode.NOT_COORDINATOR);
    this.consumer.shutdown();
  }

  /** A consumer group turned classic keeps its offsets (ConsumerGroups.downgradeForClassicJoin). */
  adoptOffsets(groupId: string, offsets: ReadonlyArray<{ topic: string; partition: number; value: OffsetCommitValue }>): void {
    const group = new ClassicGroup(groupId, Date.now());
    for (const o of offsets) group.setOffset(o.topic, o.partition, o.value);
    this.groups.set(groupId, group);
    this.dropIfUnused(group);
  }

  /**
   * A classic group converted to a consumer group (consumer/migration.ts): parked JoinGroup and
   * SyncGroup requests are told REBALANCE_IN_PROGRESS so the members join the consumer group
   * (Kafka's completeAllJoinFutures / completeAllSyncFutures), its timers stop, and it goes.
   */
  releaseClassicGroup(groupId: string): void {
    const group = this.groups.get(groupId);
    if (group === undefined) return;
    this.unload(group, ErrorCode.REBALANCE_IN_PROGRESS);
    group.state = 'Dead';
    this.groups.delete(groupId);
  }

  /**
   * A consumer group converted back to a classic group (consumer/migration.ts): its members'
   * sessions start, and when a member left a rebalance begins, since its partitions have no
   * owner yet (Kafka's convertToClassicGroup).
   */
  adoptDowngradedGroup(group: ClassicGroup, rebalance: boolean): void {
    this.groups.set(group.groupId, group);
    for (const m of group.members.values()) this.scheduleHeartbeat(group, m);
    if (rebalance) this.prepareRebalance(group, `Downgrade group ${group.groupId} from consumer to classic.`);
  }

  get isActive(): boolean {
    return this.active;
  }

  /**
   * FindCoordinator for a group: make sure `__consumer_offsets` exists (Kafka creates it on
   * the first lookup too). Returns the error code for the key.
   */
  prepareCoordinator(): { errorCode: number; message: string | null } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: 'the group coordinator is shutting down' };
    try {
      this.topic.ensure();
      return { errorCode: ErrorCode.NONE, message: null };
    } catch (err) {
      this.logger.error({ err }, 'cannot create the group metadata topic');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: `cannot create __consumer_offsets: ${(err as Error).message}` };
    }
  }

  // ---- offsets ---------------------------------------------------------------------------

  async commitOffsets(req: CommitInput): Promise<CommitResult> {
    const now = Date.now();
    const result: CommitResult = req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE })) }));
    const valid: Array<{ topic: string; p: CommitInput['topics'][number]['partitions'][number]; slot: { errorCode: number } }> = [];
    req.topics.forEach((t, i) => {
      const desc = this.core.topics.get(t.name);
      t.partitions.forEach((p, j) => {
        const slot = result[i]!.partitions[j]!;
        if (desc === undefined || p.partitionIndex < 0 || p.partitionIndex >= desc.partitions) slot.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else valid.push({ topic: t.name, p, slot });
      });
    });
    if (valid.length === 0) return result;
    const setAll = (code: number) => {
      for (const v of valid) v.slot.errorCode = code;
      return result;
    };
    const invalid = this.validateGroupId(req.groupId, true);
    if (invalid !== ErrorCode.NONE) return setAll(invalid);
    const consumerGroup = this.consumer.get(req.groupId);
    if (consumerGroup !== undefined) {
      // OffsetCommit v9 carries the member epoch where classic members send the generation.
      const error = validateConsumerOffsetCommit(consumerGroup, req.memberId, req.generationId, req.apiVersion);
      if (error !== ErrorCode.NONE) return setAll(error);
      return this.writeOffsets(req, valid, result, consumerGroup.offsets, now);
    }
    let group = this.groups.get(req.groupId);
    let created = false;
    if (group === undefined) {
      // Without a generation the group only uses Kafka to store offsets; with one, the commit
      // comes from a generation this coordinator does not know.
      if (req.generationId >= 0) return setAll(ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(req.groupId, now);
      this.groups.set(req.groupId, group);
      created = true;
    }
    try {
      const error = this.validateOffsetCommit(group, req);
      if (error !== ErrorCode.NONE) return setAll(error);
      if (group.is('CompletingRebalance')) {
        // A member of the new generation that has not synced yet: have it finish the rebalance.
        return setAll(ErrorCode.REBALANCE_IN_PROGRESS);
      }
      const member = group.get(req.memberId);
      // A commit counts as a heartbeat; during PreparingRebalance commits are still allowed
      // (the heartbeat answer tells the member to rejoin).
      if (member !== undefined && (group.is('Stable') || group.is('PreparingRebalance'))) this.scheduleHeartbeat(group, member);
      return await this.writeOffsets(req, valid, result, group, now);
    } finally {
      if (created) this.dropIfUnused(group);
    }
  }

  /** Write the commits of `valid` as one batch and keep them in `store` (a classic or consumer group). */
  private async writeOffsets(req: CommitInput, valid: Array<{ topic: string; p: CommitInput['topics'][number]['partitions'][number]; slot: { errorCode: number } }>, result: CommitResult, store: Pick<GroupOffsets, 'setOffset'>, now: number): Promise<CommitResult> {
    {
      const records: RecordInput[] = [];
      const entries: Array<{ topic: string; partition: number; value: OffsetCommitValue; slot: { errorCode: number } }> = [];
      for (const v of valid) {
        const metadata = v.p.committedMetadata ?? '';
        if (metadata.length > this.config.offsetMetadataMaxBytes) {
          v.slot.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          continue;
        }
        const value: OffsetCommitValue = {
          offset: v.p.committedOffset,
          leaderEpoch: v.p.committedLeaderEpoch,
          metadata,
          commitTimestamp: v.p.commitTimestamp === -1n ? now : Number(v.p.commitTimestamp),
          expireTimestamp: req.retentionTimeMs === -1n ? null : now + Number(req.retentionTimeMs),
        };
        let record: RecordInput;
        try {
          record = { key: encodeOffsetCommitKey(req.groupId, v.topic, v.p.partitionIndex), value: encodeOffsetCommitValue(value), timestamp: now };
        } catch {
          // Metadata past the record format's 32767-byte string (offset.metadata.max.bytes set higher).
          v.slot.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
          continue;
        }
        records.push(record);
        entries.push({ topic: v.topic, partition: v.p.partitionIndex, value, slot: v.slot });
      }
      if (records.length === 0) return result;
      let durable: Promise<void>;
      try {
        durable = this.topic.append(req.groupId, records);
      } catch (err) {
        this.logger.error({ err, group: req.groupId }, 'writing committed offsets failed');
        const code = offsetStoreError(err);
        for (const e of entries) e.slot.errorCode = code;
        return result;
      }
      for (const e of entries) store.setOffset(e.topic, e.partition, e.value);
      await durable.catch((err: unknown) => {
        this.logger.error({ err, group: req.groupId }, 'flushing committed offsets failed');
        const code = offsetStoreError(err);
        for (const e of entries) e.slot.errorCode = code;
      });
      return result;
    }
  }

  /** Kafka's validateOffsetCommit: members must be current; non-members may commit only to an Empty group. */
  private validateOffsetCommit(group: ClassicGroup, req: CommitInput): number {
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      const error = this.validateCurrentMember(group, req.memberId, req.groupInstanceId);
      if (error !== ErrorCode.NONE) return error;
      return req.generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    }
    return group.is('Empty') ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * Committed offsets of `topics` (null: every offset the group has), whatever the group's
   * state, as Kafka answers (a group may use Kafka only to store offsets).
   */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null, member: { memberId: string | null; memberEpoch: number } = { memberId: null, memberEpoch: -1 }): FetchResult {
    let invalid = this.validateGroupId(groupId, true);
    const consumerGroup = this.consumer.get(groupId);
    if (invalid === ErrorCode.NONE && consumerGroup !== undefined) invalid = validateConsumerOffsetFetch(consumerGroup, member.memberId, member.memberEpoch);
    if (invalid !== ErrorCode.NONE) {
      return { errorCode: invalid, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => noOffset(p, invalid)) })) };
    }
    const group = consumerGroup?.offsets ?? this.groups.get(groupId);
    if (topics !== null) {
      return { errorCode: ErrorCode.NONE, topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => fetched(p, group?.offset(t.name, p))) })) };
    }
    const out: FetchResult['topics'] = [];
    if (group !== undefined) {
      for (const [name, byPartition] of group.offsets) {
        out.push({ name, partitions: [...byPartition.keys()].sort((a, b) => a - b).map((p) => fetched(p, byPartition.get(p))) });
      }
    }
    return { errorCode: ErrorCode.NONE, topics: out };
  }

  /**
   * OffsetDelete (KIP-496): an Empty group loses any offsets; an active consumer group only
   * those of topics no member subscribes to (GROUP_SUBSCRIBED_TO_TOPIC for the others); an
   * active group of another protocol type gets NON_EMPTY_GROUP.
   */
  deleteOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }>): { errorCode: number; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> } {
    const invalid = this.validateGroupId(groupId, false);
    if (invalid !== ErrorCode.NONE) return { errorCode: invalid, topics: [] };
    // A consumer-protocol group follows the same rules (Kafka's ConsumerGroup.validateDeleteGroup / isSubscribedToTopic).
    const consumerGroup = this.consumer.get(groupId);
    const classic = this.groups.get(groupId);
    const group = consumerGroup?.offsets ?? classic;
    if (group === undefined) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    const empty = consumerGroup !== undefined ? consumerGroup.members.size === 0 : classic!.is('Empty');
    if (!empty && consumerGroup === undefined && classic!.protocolType !== CONSUMER_PROTOCOL_TYPE) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const consumerTopics = consumerGroup?.subscribedTopicNames();
    const records: RecordInput[] = [];
    const removed: Array<{ topic: string; partition: number }> = [];
    const result = topics.map((t) => {
      const desc = this.core.topics.get(t.name);
      const subscribed = !empty && (consumerTopics !== undefined ? consumerTopics.has(t.name) : classic!.isSubscribedToTopic(t.name));
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (desc === undefined || p < 0 || p >= desc.partitions) return { partitionIndex: p, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          if (subscribed) return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
          if (group.offset(t.name, p) !== undefined) {
            records.push({ key: encodeOffsetCommitKey(groupId, t.name, p), value: null });
            removed.push({ topic: t.name, partition: p });
          }
          return { partitionIndex: p, errorCode: ErrorCode.NONE };
        }),
      };
    });
    if (records.length > 0) {
      try {
        void this.topic.append(groupId, records).catch((err: unknown) => this.logger.error({ err, group: groupId }, 'flushing offset deletions failed'));
      } catch (err) {
        this.logger.error({ err, group: groupId }, 'writing offset deletions failed');
        const code = offsetStoreError(err);
        return { errorCode: ErrorCode.NONE, topics: result.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => (p.errorCode === ErrorCode.NONE ? { ...p, errorCode: code } : p)) })) };
      }
      for (const r of removed) group.removeOffset(r.topic, r.partition);
      this.logger.info({ group: groupId, offsets: removed.length }, 'deleted committed offsets');
    }
    return { errorCode: ErrorCode.NONE, topics: result };
  }

  // ---- describe, list, delete ------------------------------------------------------------

  describeGroup(groupId: string): GroupDescription {
    const invalid = this.validateGroupId(groupId, true);
    const base: GroupDescription = { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    if (invalid !== ErrorCode.NONE) return { ...base, errorCode: invalid, groupState: '' };
    // Kafka 3.9's describeGroups answers a group that is not classic like an unknown one: Dead.
    if (this.consumer.get(groupId) !== undefined) return base;
    const group = this.groups.get(groupId);
    if (group === undefined) return base;
    // Kafka shows member metadata and assignments only for a Stable group.
    const stable = group.is('Stable') && group.protocolName !== null;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? group.protocolName! : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(group.protocolName!) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  /**
   * Every group, optionally only those in `states` (case-insensitive, as Kafka parses them)
   * and of `types` ("classic" is the only type here).
   */
  listGroups(states: readonly string[], types: readonly string[]): { errorCode: number; groups: GroupListing[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const wantStates = new Set(states.map((s) => s.toLowerCase()));
    const wantTypes = new Set(types.map((t) => t.toLowerCase()));
    const groups: GroupListing[] = [];
    if (wantTypes.size === 0 || wantTypes.has('classic')) {
      for (const g of this.groups.values()) {
        if (wantStates.size > 0 && !wantStates.has(g.state.toLowerCase())) continue;
        groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
      }
    }
    if (wantTypes.size === 0 || wantTypes.has('consumer')) {
      for (const g of this.consumer.groups.values()) {
        const state = g.state;
        if (wantStates.size > 0 && !wantStates.has(state.toLowerCase())) continue;
        groups.push({ groupId: g.groupId, protocolType: CONSUMER_PROTOCOL_TYPE, groupState: state, groupType: 'consumer' });
      }
    }
    return { errorCode: ErrorCode.NONE, groups };
  }

  /** Whether `state` names a group state (for request validation). */
  static isState(state: string): boolean {
    return [...GROUP_STATES, 'Assigning', 'Reconciling'].some((s) => s.toLowerCase() === state.toLowerCase());
  }

  /** DeleteGroups: an Empty group goes, with its offsets (tombstones for all); others get NON_EMPTY_GROUP. */
  deleteGroup(groupId: string): number {
    const invalid = this.validateGroupId(groupId, true);
    if (invalid !== ErrorCode.NONE) return invalid;
    const consumerGroup = this.consumer.get(groupId);
    if (consumerGroup !== undefined) {
      const tombstones = [...consumerGroup.offsets.allOffsets()].map(({ topic, partition }) => ({ key: encodeOffsetCommitKey(groupId, topic, partition), value: null }));
      return this.consumer.deleteGroup(consumerGroup, tombstones);
    }
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    const error = this.removeGroup(group, [...group.allOffsets()].map(({ topic, partition }) => ({ topic, partition })), true);
    if (error === ErrorCode.NONE) this.logger.info({ group: groupId }, 'group deleted');
    return error;
  }

  /**
   * Write tombstones for `offsets` (and for the group, if it goes), then forget them. The group
   * goes (Dead) when it is Empty with no offsets left, or when `deleting`. Returns the
   * write's error code; nothing changes if the write fails.
   */
  private removeGroup(group: ClassicGroup, offsets: Array<{ topic: string; partition: number }>, deleting = false): number {
    const dead = deleting || (group.is('Empty') && group.size === 0 && group.pendingMembers.size === 0 && group.offsetCount() === offsets.length);
    const records: RecordInput[] = offsets.map(({ topic, partition }) => ({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null }));
    // A group that only stored offsets (generation 0) never wrote metadata (as in Kafka).
    if (dead && group.generationId > 0) records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
    if (records.length > 0) {
      try {
        void this.topic.append(group.groupId, records).catch((err: unknown) => this.logger.error({ err, group: group.groupId }, 'flushing group tombstones failed'));
      } catch (err) {
        this.logger.error({ err, group: group.groupId }, 'writing group tombstones failed');
        return offsetStoreError(err);
      }
    }
    for (const { topic, partition } of offsets) group.removeOffset(topic, partition);
    if (dead) {
      this.unload(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      group.state = 'Dead';
      this.groups.delete(group.groupId);
    }
    return ErrorCode.NONE;
  }

  // ---- expiry ----------------------------------------------------------------------------

  /**
   * Kafka's offsets retention pass: remove expired offsets; an Empty group left with no
   * offsets is deleted. Offsets of topics or partitions that no longer exist here go too, and
   * those of `deletedTopic` even if a topic of that name exists again (this pass runs at once
   * when a topic is deleted, as Kafka's onPartitionsDeleted).
   */
  expire(now: number, deletedTopic?: string): { offsets: number; groups: number } {
    if (!this.active) return { offsets: 0, groups: 0 };
    let offsets = 0;
    let groups = 0;
    for (const group of [...this.groups.values()]) {
      try {
        const expired = expiredOffsets(group, now, this.config.offsetsRetentionMs);
        const seen = new Set(expired.map((e) => `${e.topic}\u0000${e.partition}`));
        for (const { topic, partition } of group.allOffsets()) {
          const desc = this.core.topics.get(topic);
          if ((topic === deletedTopic || desc === undefined || partition >= desc.partitions) && !seen.has(`${topic}\u0000${partition}`)) expired.push({ topic, partition });
        }
        const emptyAfter = group.is('Empty') && group.size === 0 && group.pendingMembers.size === 0 && expired.length === group.offsetCount();
        if (expired.length === 0 && !emptyAfter) continue;
        if (this.removeGroup(group, expired) !== ErrorCode.NONE) continue;
        offsets += expired.length;
        if (!this.groups.has(group.groupId)) groups++;
      } catch (err) {
        this.logger.error({ err, group: group.groupId }, 'offset expiry failed');
      }
    }
    for (const group of [...this.consumer.groups.values()]) {
      try {
        const expired = expiredConsumerOffsets(group, now, this.config.offsetsRetentionMs, (t, p) => t !== deletedTopic && (this.core.topics.get(t)?.partitions ?? 0) > p);
        const dropGroup = group.members.size === 0 && expired.length === group.offsets.offsetCount();
        if (expired.length === 0 && !dropGroup) continue;
        const records: RecordInput[] = expired.map(({ topic, partition }) => ({ key: encodeOffsetCommitKey(group.groupId, topic, partition), value: null }));
        if (dropGroup) {
          if (this.consumer.deleteGroup(group, records) !== ErrorCode.NONE) continue;
          groups++;
        } else {
          void this.topic.append(group.groupId, records).catch((err: unknown) => this.logger.error({ err, group: group.groupId }, 'flushing offset tombstones failed'));
        }
        for (const { topic, partition } of expired) group.offsets.removeOffset(topic, partition);
        offsets += expired.length;
      } catch (err) {
        this.logger.error({ err, group: group.groupId }, 'offset expiry failed');
      }
    }
    if (offsets > 0 || groups > 0) this.logger.info({ offsets, groups }, 'removed expired offsets and groups');
    return { offsets, groups };
  }

  // ---- loading ---------------------------------------------------------------------------

  /** This broker now leads `__consumer_offsets` partition `partition`: its groups, read from its log. */
  private async loadPartition(partition: number): Promise<void> {
    const term = (this.partitionTerms.get(partition) ?? 0) + 1;
    this.partitionTerms.set(partition, term);
    this.dropPartition(partition);
    this.loading.add(partition);
    try {
      await this.load([partition], () => this.partitionTerms.get(partition) === term && this.active);
    } catch (err) {
      this.logger.error({ err, partition }, `cannot load the groups of ${OFFSETS_TOPIC}-${partition}`);
    } finally {
      if (this.partitionTerms.get(partition) === term) this.loading.delete(partition);
    }
  }

  /** This broker no longer leads `__consumer_offsets` partition `partition`: its groups go (their parked requests get NOT_COORDINATOR). */
  private unloadPartition(partition: number): void {
    this.partitionTerms.set(partition, (this.partitionTerms.get(partition) ?? 0) + 1);
    this.loading.delete(partition);
    this.dropPartition(partition);
  }

  private dropPartition(partition: number): void {
    const mine = (groupId: string): boolean => this.topic.partitionFor(groupId) === partition;
    for (const group of [...this.groups.values()]) {
      if (!mine(group.groupId)) continue;
      this.unload(group, ErrorCode.NOT_COORDINATOR);
      this.groups.delete(group.groupId);
    }
    this.consumer.dropGroups(mine);
  }

  /** Load the groups of `partitions` (all when omitted); `current` false drops what was read (leadership moved meanwhile). */
  private async load(partitions?: readonly number[], current: () => boolean = () => true): Promise<void> {
    const { groups, stats } = await this.topic.load((producerId, records) => this.transactionalOffsets.restore(producerId, records), partitions);
    if (!current()) return;
    const now = Date.now();
    for (const [groupId, loaded] of groups) {
      if (loaded.consumer !== null) {
        const group = restoreConsumerGroup(groupId, loaded.consumer, loaded.offsets, now);
        this.consumer.groups.set(groupId, group);
        this.consumer.scheduleLoaded(group);
        continue;
      }
      const group = this.restore(groupId, loaded, now);
      this.groups.set(groupId, group);
      // Members of a loaded Stable group keep their generation if they come back within
      // their session timeout.
      for (const m of group.members.values()) this.scheduleHeartbeat(group, m);
    }
    if (stats.records > 0) this.logger.info(stats, 'loaded groups and offsets from __consumer_offsets');
  }

  private restore(groupId: string, loaded: LoadedGroup, now: number): ClassicGroup {
    const group = new ClassicGroup(groupId, now);
    const m = loaded.metadata;
    if (m !== null) {
      group.generationId = m.generation;
      group.protocolType = m.protocolType === '' ? null : m.protocolType;
      group.protocolName = m.protocol;
      group.stateTimestamp = m.currentStateTimestamp;
      for (const v of m.members) {
        const member = new Member(v.memberId, v.groupInstanceId, v.clientId, v.clientHost, v.rebalanceTimeout, v.sessionTimeout, m.protocolType, m.protocol === null ? [] : [{ name: m.protocol, metadata: v.subscription }]);
        member.assignment = v.assignment;
        group.add(member, null);
        if (v.groupInstanceId !== null) group.staticMembers.set(v.groupInstanceId, v.memberId);
      }
      group.leaderId = m.leader !== null && group.has(m.leader) ? m.leader : (group.members.keys().next().value ?? null);
      group.state = group.size > 0 ? 'Stable' : 'Empty';
    }
    for (const [topic, byPartition] of loaded.offsets) for (const [p, v] of byPartition) group.setOffset(topic, p, v);
    return group;
  }
}

export type { GroupState };
