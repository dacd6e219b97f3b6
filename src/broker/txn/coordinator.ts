/**
 * The transaction coordinator of this broker (Kafka's TransactionCoordinator, its state manager
 * and its marker channel, on one node): transactional ids and their producer ids and epochs,
 * the partitions of each ongoing transaction, commit and abort with markers written to every
 * partition, fencing of zombie producers, aborts of transactions past `transaction.timeout.ms`,
 * and expiry of idle transactional ids. State lives in `__transaction_state` (state-topic.ts) and
 * is loaded when the broker starts; transactions found decided but not completed (a crash
 * between PrepareCommit and CompleteCommit) are completed then.
 *
 * Every transition is written to the state topic and durable before it is acted on (markers
 * are written only once the decision is durable), and while it is being written the id is
 * pending: other requests for it get CONCURRENT_TRANSACTIONS, which clients retry. Error codes
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
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BrokerCore } from '../context.js';
import { groupCoordinatorOf } from '../groups/index.js';
import { StrandError } from '../../errors.js';
import { ProducerIdManager } from '../producer-ids.js';
import { partitionForKey } from '../../java-hash.js';
import { MAX_EPOCH, TXN_STATE_NAMES, TxnState, type TxnMetadata, hasPartition, isEpochExhausted, partitionList } from './metadata.js';
import { COORDINATOR_EPOCH, type MarkerListener, MarkerWriter } from './markers.js';
import { txnCoordinationError } from './placement.js';
import { type TxnSettings, txnSettings } from './settings.js';
import { TRANSACTION_STATE_TOPIC, TransactionStateTopic } from './state-topic.js';

const OFFSETS_TOPIC = '__consumer_offsets';
const MAX_DELAY = 2 ** 31 - 1;

export interface InitResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface TxnListing {
  transactionalId: string;
  producerId: number;
  state: string;
}

export interface TxnDescription {
  errorCode: number;
  transactionalId: string;
  state: string;
  timeoutMs: number;
  startTimestamp: number;
  producerId: number;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

export class TransactionCoordinator {
  private readonly txns = new Map<string, TxnMetadata>();
  /** Ids with a transition being written, each with the token of that transition. */
  private readonly pending = new Map<string, object>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly timers: NodeJS.Timeout[] = [];
  readonly markers: MarkerWriter;
  private active = true;
  /** In a cluster: `__transaction_state` partitions this broker leads and is still loading. */
  readonly loading = new Set<number>();
  /** Bumped at each change of leadership of a partition, so work that leadership outran stops. */
  private readonly partitionTerms = new Map<number, number>();
  /** In a cluster: the leader epoch of each led partition, as loaded: the coordinator epoch of its markers. */
  private readonly coordinatorEpochs = new Map<number, number>();
  private stopListening: (() => void) | null = null;

  private constructor(
    private readonly core: BrokerCore,
    readonly producerIds: ProducerIdManager,
    readonly stateTopic: TransactionStateTopic,
    readonly settings: TxnSettings,
    private readonly logger: Logger,
  ) {
    this.markers = new MarkerWriter(core, logger);
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
        if (leading) void c.loadPartition(partition);
        else c.unloadPartition(partition);
      });
    } else {
      const { txns, stats } = await topic.load();
      for (const [id, m] of txns) c.txns.set(id, m);
      if (stats.records > 0) log.info(stats, 'loaded transaction state');
      await Promise.all(c.resumeDecided(txns.values(), 0));
    }
    c.every(settings.abortCheckIntervalMs, () => c.abortTimedOut(Date.now()));
    c.every(settings.idExpirationCheckIntervalMs, () => c.expireIds(Date.now()));
    return c;
  }

  /** Stop the timers and wait for transitions in progress; nothing more is written. */
  async shutdown(): Promise<void> {
    this.active = false;
    this.stopListening?.();
    for (const t of this.timers.splice(0)) clearInterval(t);
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    await this.markers.close();
  }

  /** 0 when this broker may serve `transactionalId` now, else NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE. */
  coordinationError(transactionalId: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return txnCoordinationError(this.core, transactionalId, this.loading);
  }

  // ---- loading (cluster) -----------------------------------------------------------------

  /** This broker now leads `__transaction_state` partition `partition`: its transactions, read from its log. */
  private async loadPartition(partition: number): Promise<void> {
    const term = this.bumpTerm(partition);
    this.dropPartition(partition);
    this.loading.add(partition);
    try {
      const { txns, stats } = await this.stateTopic.load([partition]);
      if (this.partitionTerms.get(partition) !== term || !this.active) return;
      const epoch = this.core.replication.leaderEpoch(TRANSACTION_STATE_TOPIC, partition);
      this.coordinatorEpochs.set(partition, epoch);
      for (const [id, m] of txns) this.txns.set(id, m);
      this.logger.info({ partition, coordinatorEpoch: epoch, ...stats }, `loaded the transactions of ${TRANSACTION_STATE_TOPIC}-${partition}`);
      // Not awaited: the ids are pending (CONCURRENT_TRANSACTIONS) until their markers are written.
      for (const p of this.resumeDecided(txns.values(), partition)) p.catch(() => undefined);
    } catch (err) {
      this.logger.error({ err, partition }, `cannot load the transactions of ${TRANSACTION_STATE_TOPIC}-${partition}`);
    } finally {
      if (this.partitionTerms.get(partition) === term) this.loading.delete(partition);
    }
  }

  /** This broker no longer leads `__transaction_state` partition `partition`: its transactions go; markers being sent stop. */
  private unloadPartition(partition: number): void {
    this.bumpTerm(partition);
    this.loading.delete(partition);
    this.coordinatorEpochs.delete(partition);
    this.dropPartition(partition);
  }

  private bumpTerm(partition: number): number {
    const term = (this.partitionTerms.get(partition) ?? 0) + 1;
    this.partitionTerms.set(partition, term);
    return term;
  }

  private dropPartition(partition: number): void {
    for (const id of [...this.txns.keys()]) if (this.stateTopic.partitionFor(id) === partition) this.txns.delete(id);
  }

  /**
   * Complete the transactions found decided but not complete (the coordinator stopped between
   * PrepareCommit/PrepareAbort and CompleteCommit/CompleteAbort): their markers again (a
   * partition that already has one takes a second, which changes nothing), as Kafka's
   * TransactionMarkerChannelManager does on loading.
   */
  private resumeDecided(txns: Iterable<TxnMetadata>, partition: number): Array<Promise<void>> {
    const out: Array<Promise<void>> = [];
    for (const m of txns) {
      if (m.state !== TxnState.PrepareCommit && m.state !== TxnState.PrepareAbort) continue;
      const commit = m.state === TxnState.PrepareCommit;
      this.logger.info({ transactionalId: m.transactionalId, producerId: m.producerId, partition, commit }, 'completing a transaction decided before this coordinator took over');
      out.push(this.withPending(m.transactionalId, () => this.complete(m, commit)).catch((err: unknown) => {
        this.logger.warn({ transactionalId: m.transactionalId, err: (err as Error).message }, 'could not complete a decided transaction');
      }));
    }
    return out;
  }

  /** The coordinator epoch markers of `transactionalId` carry, and whether this broker still coordinates it. */
  private coordinatorTerm(transactionalId: string): { epoch: number; current: () => boolean } {
    if (!this.core.replication.clustered) return { epoch: COORDINATOR_EPOCH, current: () => this.active };
    const partition = this.stateTopic.partitionFor(transactionalId);
    const term = this.partitionTerms.get(partition);
    return { epoch: this.coordinatorEpochs.get(partition) ?? COORDINATOR_EPOCH, current: () => this.active && this.partitionTerms.get(partition) === term };
  }

  /** Be told of the markers written to `topic` (one listener per topic). */
  onMarker(topic: string, listener: MarkerListener | null): void {
    this.markers.listen(topic, listener);
  }

  get(transactionalId: string): Readonly<TxnMetadata> | undefined {
    return this.txns.get(transactionalId);
  }

  // ---- InitProducerId --------------------------------------------------------------------

  /**
   * InitProducerId with a transactional id: a producer id and a new epoch for it. An open
   * transaction of the previous instance is aborted first (its epoch bumped, so the zombie is
   * fenced); Kafka answers CONCURRENT_TRANSACTIONS then and bumps again on the client's retry,
   * strand completes the abort and bumps in the same request. `expected` is the id and epoch a
   * v3+ client sends to resume after an error (KIP-360).
   */
  async initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; epoch: number } | null): Promise<InitResult> {
    const fail = (errorCode: number): InitResult => ({ errorCode, producerId: -1, producerEpoch: -1 });
    const placement = this.coordinationError(transactionalId);
    if (placement !== ErrorCode.NONE) return fail(placement);
    if (timeoutMs <= 0 || timeoutMs > this.settings.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    if (this.pending.has(transactionalId)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    let m = this.txns.get(transactionalId);
    if (m === undefined) {
      try {
        this.stateTopic.ensure();
      } catch (err) {
        this.logger.error({ err }, 'cannot create the transaction state topic');
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      let producerId: number;
      try {
        producerId = await this.producerIds.allocate();
      } catch (err) {
        // The cluster could not reserve a block (etcd unreachable): retriable, as for idempotent producers.
        this.logger.warn({ transactionalId, err: (err as Error).message }, 'cannot allocate a producer id');
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      // Another request for the id may have created it meanwhile.
      if (this.pending.has(transactionalId) || this.txns.has(transactionalId)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      m = { transactionalId, producerId, lastProducerId: -1, producerEpoch: -1, lastProducerEpoch: -1, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: Date.now() };
      this.txns.set(transactionalId, m);
    }
    const txn = m;
    if (expected !== null && !(txn.producerEpoch === -1 || expected.producerId === txn.producerId || (expected.producerId === txn.lastProducerId && isEpochExhausted(expected.epoch)))) {
      return fail(ErrorCode.PRODUCER_FENCED);
    }
    if (txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    return this.withPending(transactionalId, () => this.bumpEpoch(txn, timeoutMs, expected)).catch((err: unknown) => fail(this.writeError(err, transactionalId)));
  }

  /** InitProducerId's transition, with the id pending: abort what is open, then a new epoch (or producer id). */
  private async bumpEpoch(txn: TxnMetadata, timeoutMs: number, expected: { producerId: number; epoch: number } | null): Promise<InitResult> {
    const transactionalId = txn.transactionalId;
    if (txn.state === TxnState.Ongoing) {
      this.logger.info({ transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch }, 'aborting the open transaction of a fenced producer');
      await this.end(txn, false, true);
    }
    const now = Date.now();
    if (isEpochExhausted(txn.producerEpoch) && (expected === null || expected.epoch === txn.producerEpoch)) {
      // Out of epochs: a new producer id, from epoch 0.
      await this.persist(txn, { producerId: await this.producerIds.allocate(), lastProducerId: txn.producerId, producerEpoch: 0, lastProducerEpoch: expected === null ? -1 : txn.producerEpoch, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now });
    } else {
      let epoch: number;
      let last: number;
      if (expected === null) {
        epoch = txn.producerEpoch + 1;
        last = -1;
      } else if (txn.producerEpoch === -1 || expected.epoch === txn.producerEpoch) {
        epoch = txn.producerEpoch + 1;
        last = txn.producerEpoch;
      } else if (expected.epoch === txn.lastProducerEpoch) {
        // A retry of a bump whose answer was lost: the same epoch again.
        epoch = txn.producerEpoch;
        last = txn.lastProducerEpoch;
      } else {
        return { errorCode: ErrorCode.PRODUCER_FENCED, producerId: -1, producerEpoch: -1 };
      }
      await this.persist(txn, { producerEpoch: epoch, lastProducerEpoch: last, timeoutMs, state: TxnState.Empty, partitions: new Map(), startTimestamp: -1, lastUpdateTimestamp: now });
    }
    this.logger.debug({ transactionalId, producerId: txn.producerId, epoch: txn.producerEpoch }, 'initialized a transactional producer');
    return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: txn.producerEpoch };
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ----------------------------------------------

  /** Add partitions to the producer's transaction (starting it). Returns the error code for all of them. */
  async addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<number> {
    const m = this.txns.get(transactionalId);
    const error = this.checkProducer(m, producerId, epoch, transactionalId);
    if (error !== ErrorCode.NONE) return error;
    const txn = m!;
    if (this.pending.has(transactionalId) || txn.state === TxnState.PrepareCommit || txn.state === TxnState.PrepareAbort) return ErrorCode.CONCURRENT_TRANSACTIONS;
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
      await this.withPending(transactionalId, () => this.persist(txn, { state: TxnState.Ongoing, partitions: next, startTimestamp: starting ? now : txn.startTimestamp, lastUpdateTimestamp: now }));
    } catch (err) {
      return this.writeError(err, transactionalId);
    }
    return ErrorCode.NONE;
  }

  /**
   * AddPartitionsToTxn v4+ with verify_only: whether each partition is in the transaction
   * (NONE or INVALID_TXN_STATE), or one error for the whole transaction.
   */
  verifyPartitions(transactionalId: string, producerId: number, epoch: number, partitions: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): { errorCode: number; partitions: Map<string, Map<number, number>> } {
    const out = new Map<string, Map<number, number>>();
    const m = this.txns.get(transactionalId);
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
    const m = this.txns.get(transactionalId);
    const error = this.checkProducer(m, producerId, epoch, transactionalId);
    if (error !== ErrorCode.NONE) return error;
    const txn = m!;
    if (this.pending.has(transactionalId)) return ErrorCode.CONCURRENT_TRANSACTIONS;
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
      await this.withPending(transactionalId, () => this.end(txn, commit, false));
    } catch (err) {
      return this.writeError(err, transactionalId);
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
    const m = this.txns.get(transactionalId);
    if (m === undefined || m.producerId !== producerId) return m !== undefined && m.lastProducerId === producerId ? ErrorCode.INVALID_PRODUCER_EPOCH : ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    // A decision is being written: retriable, as Kafka answers old clients.
    if (m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort) return ErrorCode.NOT_ENOUGH_REPLICAS;
    if (m.state !== TxnState.Ongoing || !hasPartition(m, topic, partition)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /** May the producer write transactional offsets for `groupId` (TxnOffsetCommit)? */
  checkOffsetCommit(transactionalId: string, producerId: number, epoch: number, groupId: string): number {
    const m = this.txns.get(transactionalId);
    const error = this.checkProducer(m, producerId, epoch, transactionalId);
    if (error !== ErrorCode.NONE) return error === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : error;
    if (m!.state !== TxnState.Ongoing || !hasPartition(m!, OFFSETS_TOPIC, this.offsetsPartitionFor(groupId))) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---- admin -----------------------------------------------------------------------------

  /** ListTransactions: ids in the given states (all when empty), of the given producer ids, running longer than `minDurationMs` (-1: any). */
  list(states: ReadonlySet<number>, producerIds: ReadonlySet<number>, minDurationMs: number, now = Date.now()): TxnListing[] {
    const out: TxnListing[] = [];
    for (const m of this.txns.values()) {
      if (states.size > 0 && !states.has(m.state)) continue;
      if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
      if (minDurationMs >= 0 && (m.state !== TxnState.Ongoing || now - m.startTimestamp < minDurationMs)) continue;
      out.push({ transactionalId: m.transactionalId, producerId: m.producerId, state: TXN_STATE_NAMES[m.state] });
    }
    return out.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  }

  describe(transactionalId: string): TxnDescription {
    const placement = this.coordinationError(transactionalId);
    if (placement !== ErrorCode.NONE) return { errorCode: placement, transactionalId, state: '', timeoutMs: 0, startTimestamp: -1, producerId: -1, producerEpoch: -1, topics: [] };
    const m = this.txns.get(transactionalId);
    if (m === undefined) {
      return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, state: '', timeoutMs: 0, startTimestamp: -1, producerId: -1, producerEpoch: -1, topics: [] };
    }
    return { errorCode: ErrorCode.NONE, transactionalId, state: TXN_STATE_NAMES[m.state], timeoutMs: m.timeoutMs, startTimestamp: m.startTimestamp, producerId: m.producerId, producerEpoch: m.producerEpoch, topics: partitionList(m) };
  }

  // ---- internals -------------------------------------------------------------------------

  /**
   * The answer to a transition that could not be written: NOT_COORDINATOR when leadership of the
   * state partition moved (the client finds the new coordinator), else COORDINATOR_NOT_AVAILABLE,
   * as Kafka's TransactionCoordinator maps a failed append.
   */
  private writeError(err: unknown, transactionalId: string): number {
    if (err instanceof StrandError && err.kafkaCode === ErrorCode.NOT_COORDINATOR) {
      this.logger.info({ transactionalId, err: err.message }, 'no longer the transaction coordinator');
      return ErrorCode.NOT_COORDINATOR;
    }
    this.logger.error({ err, transactionalId }, 'cannot write the transaction state');
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }

  private checkProducer(m: TxnMetadata | undefined, producerId: number, epoch: number, transactionalId?: string): number {
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (transactionalId !== undefined) {
      const placement = txnCoordinationError(this.core, transactionalId, this.loading);
      if (placement !== ErrorCode.NONE) return placement;
    }
    if (m === undefined || m.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== m.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  /** Run a transition of `id` with the id pending (other requests get CONCURRENT_TRANSACTIONS), tracked for shutdown. */
  private withPending<T>(id: string, fn: () => Promise<T>): Promise<T> {
    // A transition of a partition that was unloaded and loaded again may still be finishing: only
    // the latest one clears the id.
    const token = {};
    this.pending.set(id, token);
    const run = fn().finally(() => {
      if (this.pending.get(id) === token) this.pending.delete(id);
      this.inflight.delete(run);
    });
    this.inflight.add(run);
    return run;
  }

  /** Apply `next` to `m` and write it; on failure `m` is put back as it was. */
  private async persist(m: TxnMetadata, next: Partial<TxnMetadata>): Promise<void> {
    const before: Partial<TxnMetadata> = {};
    for (const k of Object.keys(next) as Array<keyof TxnMetadata>) (before as Record<string, unknown>)[k] = m[k];
    Object.assign(m, next);
    try {
      await this.stateTopic.write(m.transactionalId, m);
    } catch (err) {
      Object.assign(m, before);
      throw err;
    }
  }

  /**
   * End an ongoing transaction: the decision (PrepareCommit / PrepareAbort) is made durable,
   * then the markers are written, then the transaction is complete. `fence` bumps the epoch
   * first (a timeout or a new producer instance), so the old producer can no longer write.
   */
  private async end(m: TxnMetadata, commit: boolean, fence: boolean): Promise<void> {
    const bump = fence && m.producerEpoch < MAX_EPOCH;
    await this.persist(m, {
      state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort,
      producerEpoch: bump ? m.producerEpoch + 1 : m.producerEpoch,
      lastProducerEpoch: fence ? -1 : m.lastProducerEpoch,
      lastUpdateTimestamp: Date.now(),
    });
    await this.complete(m, commit);
  }

  /** Write the markers of a decided transaction to its partitions, then record it complete. */
  private async complete(m: TxnMetadata, commit: boolean): Promise<void> {
    const { epoch, current } = this.coordinatorTerm(m.transactionalId);
    await this.markers.write(m, commit, epoch, current);
    await this.persist(m, { state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Map(), lastUpdateTimestamp: Date.now() });
  }

  /** Abort ongoing transactions past their timeout, fencing their producers (as Kafka does). */
  private abortTimedOut(now: number): void {
    for (const m of this.txns.values()) {
      if (m.state !== TxnState.Ongoing || this.pending.has(m.transactionalId) || now - m.startTimestamp <= m.timeoutMs) continue;
      this.logger.info({ transactionalId: m.transactionalId, producerId: m.producerId, epoch: m.producerEpoch, timeoutMs: m.timeoutMs }, 'aborting a transaction past its timeout');
      this.withPending(m.transactionalId, () => this.end(m, false, true)).catch((err) => this.logger.error({ err, transactionalId: m.transactionalId }, 'cannot abort a timed-out transaction'));
    }
  }

  /** Forget ids without a transaction for transactional.id.expiration.ms (a tombstone in the state topic). */
  private expireIds(now: number): void {
    for (const m of [...this.txns.values()]) {
      const idle = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
      if (!idle || this.pending.has(m.transactionalId) || now - m.lastUpdateTimestamp < this.settings.idExpirationMs) continue;
      const id = m.transactionalId;
      this.withPending(id, async () => {
        await this.stateTopic.write(id, null);
        this.txns.delete(id);
        this.logger.info({ transactionalId: id }, 'expired a transactional id');
      }).catch((err) => this.logger.error({ err, transactionalId: id }, 'cannot expire a transactional id'));
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(() => {
      if (this.active) fn();
    }, Math.min(ms, MAX_DELAY));
    t.unref();
    this.timers.push(t);
  }
}
