/**
 * The active controller's work for one term: assign replicas to new topics, and keep every
 * partition's leader and ISR consistent with the live brokers (reconcilePartition). It runs once
 * when elected and again whenever brokers or topics change; each run reads the state afresh
 * from etcd and writes each decision as a compare-and-swap fenced by the term, so a decision
 * made on a stale read is refused and the run is repeated, and a superseded term writes nothing.
 */
import type { Etcd3, Watcher } from 'etcd3';
import { KafkaErrorCode } from '../errors.js';
import { logger } from '../logger.js';
import { assignReplicas, topicStartIndex } from './assignment.js';
import { keyOf, readPrefix } from './etcd-client.js';
import type { ControllerTerm, TermOp } from './election.js';
import { NotControllerError } from './errors.js';
import type { ClusterKeys } from './keys.js';
import { controlledShutdownChange, imbalancedPartitions, preferredElection } from './leader-election.js';
import { initialPartitionState, reconcilePartition } from './partition-change.js';
import { assignByPlacement, PLACEMENT_CONFIG, type Placement, PlacementError, parsePlacement, placementRoles } from './placement.js';
import { reassignmentStep } from './reassignment.js';
import { decodeBroker, decodePartition, decodeReassignment, decodeTopic, encodePartition, encodeTopic, type ReassignmentRecord } from './records.js';
import type { BrokerRegistration, PartitionState, TopicRecord } from './types.js';

/** etcd refuses transactions of more than 128 operations by default (--max-txn-ops). */
const MAX_PARTITIONS_PER_TXN = 100;
const RETRY_MS = 250;

interface Snapshot {
  brokers: BrokerRegistration[];
  topics: { value: TopicRecord; modRevision: number }[];
  partitions: { value: PartitionState; modRevision: number; key: string }[];
  /** Brokers in controlled shutdown. */
  shutting: Set<number>;
  reassignments: Map<string, { value: ReassignmentRecord; modRevision: number; key: string }>;
}

/** Automatic preferred-leader rebalancing (Kafka's auto.leader.rebalance.enable and its two settings). */
export interface RebalanceOptions {
  enabled: boolean;
  intervalMs: number;
  imbalancePercentage: number;
}

export class ActiveController {
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private watcher: Watcher | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private rebalanceDue = false;
  /** Reassignments or controlled shutdowns were pending at the last run: partition changes (ISR growth) matter then. */
  private pending = false;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    readonly term: ControllerTerm,
    private readonly uncleanDefault: boolean,
    /** Called once when the term turns out to be superseded. */
    private readonly onDeposed: (err: NotControllerError) => void,
    private readonly rebalance: RebalanceOptions = { enabled: false, intervalMs: 300_000, imbalancePercentage: 10 },
  ) {
    // Requests under admin/ (controlled shutdowns, reassignments) are not in the brokers' cache:
    // the controller watches them itself.
    void this.client.watch().prefix(this.keys.admin).create().then((w) => {
      if (this.stopped) return void w.cancel().catch(() => undefined);
      this.watcher = w;
      w.on('data', () => this.schedule());
      w.on('error', (err) => logger.warn({ err: err.message }, 'cluster: controller watch of admin requests failed'));
    }).catch((err: Error) => logger.warn({ err: err.message }, 'cluster: controller cannot watch admin requests'));
    if (this.rebalance.enabled) {
      this.rebalanceTimer = setInterval(() => {
        this.rebalanceDue = true;
        this.schedule();
      }, this.rebalance.intervalMs);
      this.rebalanceTimer.unref();
    }
  }

  /** Whether a partition change may be one this controller waits for (a reassigned replica joining the ISR). */
  get waitsForPartitions(): boolean {
    return this.pending;
  }

  /** Asks for a run; runs requested while one is in progress coalesce into one more. */
  schedule(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    void this.watcher?.cancel().catch(() => undefined);
    this.watcher = null;
  }

  private async run(): Promise<void> {
    let retry = false;
    try {
      retry = !(await this.reconcile());
    } catch (err) {
      if (err instanceof NotControllerError) {
        this.stop();
        this.onDeposed(err);
      } else {
        logger.warn({ err, nodeId: this.term.nodeId }, 'cluster: controller run failed, retrying');
        retry = true;
      }
    }
    this.running = false;
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      this.schedule();
    } else if (retry) {
      this.timer = setTimeout(() => this.schedule(), RETRY_MS);
    }
  }

  /** One pass; false when some write lost a race and the pass must be repeated. */
  private async reconcile(): Promise<boolean> {
    const snap = await this.snapshot();
    if (this.stopped) return true;
    // Set before writing: the partition changes this pass makes must bring the next step.
    this.pending = snap.reassignments.size > 0 || snap.shutting.size > 0;
    const live = new Set(snap.brokers.map((b) => b.nodeId));
    let clean = true;
    const existing = new Map(snap.partitions.map((p) => [p.key, p.value]));
    for (const t of snap.topics) {
      if (t.value.assignment === null && !t.value.error) clean = (await this.assign(t.value, t.modRevision, snap.brokers, existing)) && clean;
    }
    const topics = new Map(snap.topics.map((t) => [t.value.name, t.value]));
    for (const t of snap.topics) {
      const a = t.value.assignment;
      if (a !== null && a.length < t.value.numPartitions) clean = (await this.extend(t.value, t.modRevision, snap.brokers, existing)) && clean;
    }
    const eligible = (b: number): boolean => live.has(b) && !snap.shutting.has(b);
    const rebalance = this.rebalanceDue;
    this.rebalanceDue = false;
    const toRebalance = rebalance ? new Set(imbalancedPartitions(snap.partitions.map((p) => p.value), eligible, this.rebalance.imbalancePercentage).map((s) => `${s.topic}/${s.partition}`)) : new Set<string>();
    const racks = new Map(snap.brokers.map((b) => [b.nodeId, b.rack]));
    for (const p of snap.partitions) {
      const topic = topics.get(p.value.topic);
      const unclean = (topic?.configs['unclean.leader.election.enable'] ?? String(this.uncleanDefault)) === 'true';
      let next = reconcilePartition(p.value, live, unclean, this.term.epoch);
      if (topic !== undefined) next = this.applyPlacement(next ?? p.value, topic, racks) ?? next;
      if (snap.shutting.size > 0) next = controlledShutdownChange(next ?? p.value, live, snap.shutting, this.term.epoch) ?? next;
      const ops: TermOp[] = [];
      const r = snap.reassignments.get(this.keys.reassignment(p.value.topic, p.value.partition));
      if (r !== undefined) {
        const step = reassignmentStep(next ?? p.value, r.value, eligible, this.term.epoch);
        if (step.kind !== 'wait') next = step.state;
        if (step.kind === 'complete') ops.push({ key: r.key, expectModRevision: r.modRevision });
        if (step.kind !== 'wait') logger.info({ topic: p.value.topic, partition: p.value.partition, step: step.kind, replicas: step.state.replicas, leader: step.state.leader }, 'cluster: reassignment step');
      }
      if (next === null && toRebalance.has(`${p.value.topic}/${p.value.partition}`)) {
        const elected = preferredElection(p.value, eligible, this.term.epoch);
        if ('state' in elected) next = elected.state;
      }
      if (!next) continue;
      ops.push({ key: p.key, expectModRevision: p.modRevision, value: encodePartition(next) });
      const res = await this.term.commit(ops, `the state change of ${p.value.topic}-${p.value.partition}`);
      if (!res.ok) clean = false;
      else if (next.leader !== p.value.leader) logger.info({ topic: next.topic, partition: next.partition, leader: next.leader, leaderEpoch: next.leaderEpoch, isr: next.isr }, 'cluster: partition leader changed');
    }
    // Reassignments of partitions that no longer exist are dropped.
    const existingKeys = new Set(snap.partitions.map((p) => this.keys.reassignment(p.value.topic, p.value.partition)));
    for (const r of snap.reassignments.values()) {
      if (!existingKeys.has(r.key)) await this.term.commit([{ key: r.key, expectModRevision: r.modRevision }], `the end of a reassignment of a deleted partition (${r.key})`);
    }
    this.pending = snap.reassignments.size > 0 || snap.shutting.size > 0;
    return clean;
  }

  /**
   * Observers promoted or demoted by a change of the topic's placement (placement.ts): the
   * partition's replicas take the roles it asks for; without a placement there are no observers.
   */
  private applyPlacement(state: PartitionState, topic: TopicRecord, racks: ReadonlyMap<number, string | null>): PartitionState | null {
    const placement = placementOf(topic);
    if (placement === null) {
      if ((state.observers ?? []).length === 0) return null;
      const { observers: _dropped, ...rest } = state;
      return { ...rest, partitionEpoch: state.partitionEpoch + 1, controllerEpoch: this.term.epoch };
    }
    if (placement instanceof PlacementError) return null;
    const { state: next, reason } = placementRoles(state, placement, racks, this.term.epoch);
    if (reason !== undefined) logger.debug({ topic: state.topic, partition: state.partition, reason }, 'cluster: placement not applied');
    if (next !== null) logger.info({ topic: next.topic, partition: next.partition, replicas: next.replicas, observers: next.observers ?? [], leader: next.leader }, 'cluster: replica roles changed by the placement');
    return next;
  }

  private async snapshot(): Promise<Snapshot> {
    const { kvs } = await readPrefix(this.client, this.keys.prefix);
    const snap: Snapshot = { brokers: [], topics: [], partitions: [], shutting: new Set(), reassignments: new Map() };
    for (const kv of kvs) {
      const parsed = this.keys.parse(keyOf(kv));
      if (parsed?.kind === 'shutdown') snap.shutting.add(parsed.nodeId);
      else if (parsed?.kind === 'reassignment') snap.reassignments.set(keyOf(kv), { value: decodeReassignment(kv), modRevision: Number(kv.mod_revision), key: keyOf(kv) });
      if (parsed?.kind === 'broker') snap.brokers.push(decodeBroker(kv));
      else if (parsed?.kind === 'topic') snap.topics.push({ value: decodeTopic(kv), modRevision: Number(kv.mod_revision) });
      else if (parsed?.kind === 'partition') snap.partitions.push({ value: decodePartition(kv), modRevision: Number(kv.mod_revision), key: keyOf(kv) });
    }
    return snap;
  }

  /**
   * Assigns a pending topic's replicas and writes its partitions, then the topic record with the
   * assignment (which marks it complete). Partitions written by an interrupted earlier run (a topic
   * of more than one transaction's worth) keep their replicas.
   */
  private async assign(topic: TopicRecord, modRevision: number, brokers: BrokerRegistration[], existing: Map<string, PartitionState>): Promise<boolean> {
    const what = `the creation of topic ${topic.name}`;
    const placed = this.placed(topic, brokers);
    if (placed instanceof PlacementError) {
      const error = { code: placed.kafkaCode, message: placed.message };
      return (await this.term.commit([{ key: this.keys.topic(topic.name), expectModRevision: modRevision, value: encodeTopic({ ...topic, error }) }], what)).ok;
    }
    if (placed === null && topic.replicationFactor > brokers.length) {
      const error = { code: KafkaErrorCode.INVALID_REPLICATION_FACTOR, message: `replication factor ${topic.replicationFactor} is larger than the ${brokers.length} live broker(s)` };
      return (await this.term.commit([{ key: this.keys.topic(topic.name), expectModRevision: modRevision, value: encodeTopic({ ...topic, error }) }], what)).ok;
    }
    const computed = placed ?? assignReplicas(topic.numPartitions, topic.replicationFactor, brokers, topicStartIndex(topic.name, brokers.length)).map((replicas) => ({ replicas, observers: [] }));
    const assignment = computed.map((c, p) => existing.get(this.keys.partition(topic.name, p))?.replicas ?? c.replicas);
    const ops: TermOp[] = [];
    assignment.forEach((replicas, p) => {
      const key = this.keys.partition(topic.name, p);
      if (!existing.has(key)) ops.push({ key, expectModRevision: 0, value: encodePartition(initialPartitionState(topic.name, p, replicas, this.term.epoch, computed[p]!.observers)) });
    });
    for (let i = 0; i < ops.length; i += MAX_PARTITIONS_PER_TXN) {
      const chunk = ops.slice(i, i + MAX_PARTITIONS_PER_TXN);
      const last = i + MAX_PARTITIONS_PER_TXN >= ops.length;
      // The topic record guards every chunk, so a topic deleted meanwhile gets no partitions;
      // the last chunk also completes it.
      chunk.push({ key: this.keys.topic(topic.name), expectModRevision: modRevision, value: encodeTopic(last ? { ...topic, assignment } : topic) });
      const res = await this.term.commit(chunk, what);
      if (!res.ok) return false;
      if (last) return true;
      modRevision = res.revision;
    }
    return (await this.term.commit([{ key: this.keys.topic(topic.name), expectModRevision: modRevision, value: encodeTopic({ ...topic, assignment }) }], what)).ok;
  }

  /**
   * CreatePartitions: a topic whose partition count was raised gets its new partitions assigned as
   * a new topic's would be (Kafka assigns added partitions with the same algorithm, starting where
   * the existing ones leave off), written with the topic record's new assignment.
   */
  private async extend(topic: TopicRecord, modRevision: number, brokers: BrokerRegistration[], existing: Map<string, PartitionState>): Promise<boolean> {
    const current = topic.assignment!;
    const rf = current[0]?.length ?? topic.replicationFactor;
    const placed = this.placed(topic, brokers);
    if (placed instanceof PlacementError) return true; // waits for brokers of the right racks; the request's caller times out
    if (placed === null && rf > brokers.length) return true; // waits for brokers; the request's caller times out
    const all = placed ?? assignReplicas(topic.numPartitions, rf, brokers, topicStartIndex(topic.name, brokers.length)).map((replicas) => ({ replicas, observers: [] }));
    const assignment = [...current, ...all.slice(current.length).map((c, i) => existing.get(this.keys.partition(topic.name, current.length + i))?.replicas ?? c.replicas)];
    const ops: TermOp[] = [];
    for (let p = current.length; p < topic.numPartitions; p++) {
      const key = this.keys.partition(topic.name, p);
      if (!existing.has(key)) ops.push({ key, expectModRevision: 0, value: encodePartition(initialPartitionState(topic.name, p, assignment[p]!, this.term.epoch, all[p]!.observers)) });
    }
    const what = `the new partitions of topic ${topic.name}`;
    // Chunks as in assign(): partitions written by an interrupted run keep their replicas.
    for (let i = 0; i < ops.length; i += MAX_PARTITIONS_PER_TXN) {
      const chunk = ops.slice(i, i + MAX_PARTITIONS_PER_TXN);
      const last = i + MAX_PARTITIONS_PER_TXN >= ops.length;
      chunk.push({ key: this.keys.topic(topic.name), expectModRevision: modRevision, value: encodeTopic(last ? { ...topic, assignment } : topic) });
      const res = await this.term.commit(chunk, what);
      if (!res.ok) return false;
      modRevision = res.revision;
    }
    if (ops.length > 0) return true;
    return (await this.term.commit([{ key: this.keys.topic(topic.name), expectModRevision: modRevision, value: encodeTopic({ ...topic, assignment }) }], what)).ok;
  }

  /** Replicas and observers by the topic's placement; null without one; the error when it cannot be met. */
  private placed(topic: TopicRecord, brokers: BrokerRegistration[]): Array<{ replicas: number[]; observers: number[] }> | PlacementError | null {
    const placement = placementOf(topic);
    if (placement === null || placement instanceof PlacementError) return placement;
    try {
      return assignByPlacement(placement, topic.numPartitions, brokers, topicStartIndex(topic.name, brokers.length));
    } catch (err) {
      if (err instanceof PlacementError) return err;
      throw err;
    }
  }
}

function placementOf(topic: TopicRecord): Placement | PlacementError | null {
  const value = topic.configs[PLACEMENT_CONFIG];
  if (value === undefined || value === '') return null;
  try {
    return parsePlacement(value);
  } catch (err) {
    if (err instanceof PlacementError) return err;
    throw err;
  }
}
