/**
 * The transaction coordinator of this broker (Kafka's TransactionCoordinator, its state manager
 * and its marker channel, on one node): transactional ids and their producer ids and epochs,
 * the partitions of each ongoing transaction, commit and abort with markers written to every
 * partition, fencing of zombie producers, aborts of transactions past `transaction.timeout.ms`,
 * and expiry of idle transactional ids. State lives in `__transaction_state` (state-topic.ts) and
 * is loaded when the broker starts; transactions found decided but not completed (a crash
 * between PrepareCommit and CompleteCommit) are completed then.
 *
 * Every transition is durable before it is acted on, and the id is pending while it is written
 * (transitions.ts); InitProducerId is init-producer-id.ts, the timers' work expiry.ts, the cluster's
 * loading and unloading of state partitions leadership.ts, the admin views views.ts. Error codes
 * are Kafka's; handlers map PRODUCER_FENCED to INVALID_PRODUCER_EPOCH for versions that predate it.
 *
 * Single node: this broker coordinates every transactional id; the coordinator epoch is 0.
 *
 * Cluster: as in Kafka, a transactional id's coordinator is the leader of its `__transaction_state`
 * partition (placement.ts). A broker loads a partition's transactions when it becomes its leader
 * (with the partition's leader epoch as its coordinator epoch, which the partitions' logs use to
 * refuse markers from a deposed coordinator), resumes the markers of transactions found decided
 * (PrepareCommit / PrepareAbort), and drops them when it stops leading; requests for ids it does
 * not coordinate get NOT_COORDINATOR, for ids of a partition still loading
 * COORDINATOR_LOAD_IN_PROGRESS. Ongoing transactions carry on at the new coordinator (or time out
 * there: their start time is in the log).
 */
import type { Logger } from 'pino';
import { partitionForKey } from '../../java-hash.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { groupCoordinatorOf } from '../groups/index.js';
import { ProducerIdManager } from '../producer-ids.js';
import { abortTimedOut, expireIds } from './expiry.js';
import { type InitResult, initProducerId } from './init-producer-id.js';
import { StatePartitions } from './leadership.js';
import { type MarkerListener, MarkerWriter } from './markers.js';
import { hasPartition, type TxnMetadata, TxnState } from './metadata.js';
import { txnCoordinationError } from './placement.js';
import { type TxnSettings, txnSettings } from './settings.js';
import { TRANSACTION_STATE_TOPIC, TransactionStateTopic } from './state-topic.js';
import { Transitions } from './transitions.js';
import { describeTxn, listTxns, type TxnDescription, type TxnListing } from './views.js';

export type { InitResult } from './init-producer-id.js';
export type { TxnDescription, TxnListing } from './views.js';

const OFFSETS_TOPIC = '__consumer_offsets';
const MAX_DELAY = 2 ** 31 - 1;

export class TransactionCoordinator {
  private readonly transitions: Transitions;
  private readonly partitions: StatePartitions;
  private readonly timers: NodeJS.Timeout[] = [];
  readonly markers: MarkerWriter;
  private active = true;
  private stopListening: (() => void) | null = null;

  private constructor(
    private readonly core: BrokerCore,
    readonly producerIds: ProducerIdManager,
    readonly stateTopic: TransactionStateTopic,
    readonly settings: TxnSettings,
    private readonly logger: Logger,
  ) {
    this.markers = new MarkerWriter(core, logger);
    this.transitions = new Transitions(stateTopic, this.markers, (id) => this.partitions.termOf(id), logger);
    this.partitions = new StatePartitions(core, stateTopic, this.transitions, () => this.active, logger);
  }

  /** Load the state topic (if it exists), complete decided transactions, start the timers. */
  static async start(core: BrokerCore, logger: Logger = core.logger): Promise<TransactionCoordinator> {
    const settings = txnSettings(core);
    const log = logger.child({ component: 'transactions' });
    const topic = new TransactionStateTopic(core, { partitions: settings.statePartitions, segmentBytes: settings.stateSegmentBytes }, log);
    const ids = core.producerIdBlocks === null ? ProducerIdManager.open(core.config.dataDir) : ProducerIdManager.fromCluster(core.producerIdBlocks);
    const c = new TransactionCoordinator(core, ids, topic, settings, log);
    // Markers in __consumer_offsets decide the group coordinator's pending transactional offsets.
    const groups = groupCoordinatorOf(core);
    if (groups !== undefined) c.onMarker(OFFSETS_TOPIC, (partition, producerId, _epoch, commit) => groups.transactionalOffsets.complete(partition, producerId, commit));
    if (core.replication.clustered) {
      // Kafka's onElection / onResignation for __transaction_state partitions.
      c.stopListening = core.replication.onLeadershipChange((t, partition, leading) => {
        if (t !== TRANSACTION_STATE_TOPIC) return;
        if (leading) void c.partitions.load(partition);
        else c.partitions.unload(partition);
      });
    } else {
      const { txns, stats } = await topic.load();
      for (const [id, m] of txns) c.transitions.txns.set(id, m);
      if (stats.records > 0) log.info(stats, 'loaded transaction state');
      await Promise.all(c.transitions.resumeDecided(txns.values(), 0));
    }
    c.every(settings.abortCheckIntervalMs, () => abortTimedOut(c.transitions, Date.now(), log));
    c.every(settings.idExpirationCheckIntervalMs, () => expireIds(c.transitions, Date.now(), settings.idExpirationMs, log));
    return c;
  }

  /** Stop the timers and wait for transitions in progress; nothing more is written. */
  async shutdown(): Promise<void> {
    this.active = false;
    this.stopListening?.();
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.transitions.settle();
    await this.markers.close();
  }

  /** In a cluster: `__transaction_state` partitions this broker leads and is still loading. */
  get loading(): ReadonlySet<number> {
    return this.partitions.loading;
  }

  /** 0 when this broker may serve `transactionalId` now, else NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE. */
  coordinationError(transactionalId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return txnCoordinationError(this.core, transactionalId, this.partitions.loading);
  }

  /** Be told of the markers written to `topic` (one listener per topic). */
  onMarker(topic: string, listener: MarkerListener | null): void {
    this.markers.listen(topic, listener);
  }

  get(transactionalId: string): Readonly<TxnMetadata> | undefined {
    return this.transitions.txns.get(transactionalId);
  }

  /** InitProducerId with a transactional id (init-producer-id.ts). */
  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; epoch: number } | null): Promise<InitResult> {
    const parts = { transitions: this.transitions, producerIds: this.producerIds, stateTopic: this.stateTopic, settings: this.settings, logger: this.logger, coordinationError: (id: string) => this.coordinationError(id) };
    return initProducerId(parts, transactionalId, timeoutMs, expected);
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ----------------------------------------------

  /** Add partitions to the producer's transaction (starting it). Returns the error code for all of them. */
  async addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<number> {
    const m = this.transitions.txns.get(transactionalId);
    const error = this.checkProducer(m, producerId, epoch, transactionalId);
    if (error !== ErrorCode.NONE) return error;
    const txn = m!;
    if (this.transitions.isPending(transactionalId) || txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (txn.state === TxnState.Ongoing && partitions.every((t) => t.partitions.every((p) => hasPartition(txn, t.topic, p)))) return ErrorCode.NONE;
    const next = new Map<string, Set<number>>();
    for (const [topic, ps] of txn.partitions) next.set(topic, new Set(ps));
    for (const t of partitions) {
      let set = next.get(t.topic);
      if (set === undefined) next.set(t.topic, (set = new Set()));
      for (const p of t.partitions) set.add(p);
    }
    const now = Date.now();
    const starting = txn.state !== TxnState.Ongoing;
    try {
      await this.transitions.withPending(transactionalId, () => this.transitions.persist(txn, { state: TxnState.Ongoing, partitions: next, startTimestamp: starting ? now : txn.startTimestamp, lastUpdateTimestamp: now }));
    } catch (err) {
      return this.transitions.writeError(err, transactionalId);
    }
    return ErrorCode.NONE;
  }

  /**
   * AddPartitionsToTxn v4+ with verify_only: whether each partition is in the transaction
   * (NONE or INVALID_TXN_STATE), or one error for the whole transaction.
   */
  verifyPartitions(transactionalId: string, producerId: number, epoch: number, partitions: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): { errorCode: number; partitions: Map<string, Map<number, number>> } {
    const out = new Map<string, Map<number, number>>();
    const m = this.transitions.txns.get(transactionalId);
    let errorCode = this.checkProducer(m, producerId, epoch, transactionalId);
    if (errorCode === ErrorCode.NONE && (m!.state === TxnState.PrepareCommit || m!.state === TxnState.PrepareAbort)) errorCode = ErrorCode.CONCURRENT_TRANSACTIONS;
    for (const t of partitions) {
      const byP = new Map<number, number>();
      out.set(t.topic, byP);
      for (const p of t.partitions) byP.set(p, errorCode !== ErrorCode.NONE ? errorCode : hasPartition(m!, t.topic, p) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
    }
    return { errorCode, partitions: out };
  }

  /** The `__consumer_offsets` partition of a group (where its transactional offsets and their markers go). */
  offsetsPartitionFor(groupId: string): number {
    return partitionForKey(groupId, this.core.topics.get(OFFSETS_TOPIC)?.partitions ?? this.settings.offsetsTopicPartitions);
  }

  /** AddOffsetsToTxn: add the group's `__consumer_offsets` partition to the transaction. */
  addOffsets(transactionalId: string, producerId: number, epoch: number, groupId: string): Promise<number> {
    return this.addPartitions(transactionalId, producerId, epoch, [{ topic: OFFSETS_TOPIC, partitions: [this.offsetsPartitionFor(groupId)] }]);
  }

  // ---- EndTxn ----------------------------------------------------------------------------

  /** EndTxn from the producer: commit or abort its transaction. */
  async endTxn(transactionalId: string, producerId: number, epoch: number, commit: boolean): Promise<number> {
    const m = this.transitions.txns.get(transactionalId);
    const error = this.checkProducer(m, producerId, epoch, transactionalId);
    if (error !== ErrorCode.NONE) return error;
    const txn = m!;
    if (this.transitions.isPending(transactionalId)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (txn.state) {
      case TxnState.Ongoing:
        break;
      case TxnState.CompleteCommit:
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case TxnState.CompleteAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case TxnState.PrepareCommit:
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
      case TxnState.PrepareAbort:
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
      default:
        return ErrorCode.INVALID_TXN_STATE;
    }
    try {
      await this.transitions.withPending(transactionalId, () => this.transitions.end(txn, commit, false));
    } catch (err) {
      return this.transitions.writeError(err, transactionalId);
    }
    return ErrorCode.NONE;
  }

  // ---- Produce ---------------------------------------------------------------------------

  /**
   * May a transactional batch of (producerId, epoch) go to topic-partition? Kafka 3.9 verifies
   * this with the coordinator (KIP-890): the partition must be in the producer's ongoing
   * transaction. Returns an error code for the produce response, NONE if it may.
   */
  checkProduce(transactionalId: string | null, producerId: number, epoch: number, topic: string, partition: number): number {
    if (transactionalId === null || transactionalId === '') return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    const m = this.transitions.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId) return m !== undefined && m.lastProducerId === producerId ? ErrorCode.INVALID_PRODUCER_EPOCH : ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    // A decision is being written: retriable, as Kafka answers old clients.
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return ErrorCode.NOT_ENOUGH_REPLICAS;
    if (m.state !== TxnState.Ongoing || !hasPartition(m, topic, partition)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /** May the producer write transactional offsets for `groupId` (TxnOffsetCommit)? */
  checkOffsetCommit(transactionalId: string, producerId: number, epoch: number, groupId: string): number {
    const m = this.transitions.txns.get(transactionalId);
    const error = this.checkProducer(m, producerId, epoch, transactionalId);
    if (error !== ErrorCode.NONE) return error === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : error;
    if (m!.state !== TxnState.Ongoing || !hasPartition(m!, OFFSETS_TOPIC, this.offsetsPartitionFor(groupId))) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---- admin -----------------------------------------------------------------------------

  /** ListTransactions: ids in the given states (all when empty), of the given producer ids, running longer than `minDurationMs` (-1: any). */
  list(states: ReadonlySet<number>, producerIds: ReadonlySet<number>, minDurationMs: number, now = Date.now()): TxnListing[] {
    return listTxns(this.transitions.txns.values(), states, producerIds, minDurationMs, now);
  }

  describe(transactionalId: string): TxnDescription {
    const placement = this.coordinationError(transactionalId);
    return describeTxn(transactionalId, placement, placement === ErrorCode.NONE ? this.transitions.txns.get(transactionalId) : undefined);
  }

  // ---- internals -------------------------------------------------------------------------

  private checkProducer(m: TxnMetadata | undefined, producerId: number, epoch: number, transactionalId?: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (transactionalId !== undefined) {
      const placement = txnCoordinationError(this.core, transactionalId, this.partitions.loading);
      if (placement !== ErrorCode.NONE) return placement;
    }
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      if (this.active) fn();
    }, Math.min(ms, MAX_DELAY));
    t.unref();
    this.timers.push(t);
  }
}
