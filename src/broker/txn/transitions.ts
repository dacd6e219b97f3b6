/**
 * The coordinator's transactions and the transitions between their states (Kafka's
 * TransactionStateManager with the coordinator's endTransaction). Every transition is written to
 * the state topic and durable before it is acted on (markers are written only once the decision
 * is durable), and while it is being written the id is pending: other requests for it get
 * CONCURRENT_TRANSACTIONS, which clients retry.
 */
import type { Logger } from 'pino';
import { StrandError } from '../../errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MarkerWriter } from './markers.js';
import { MAX_EPOCH, type TxnMetadata, TxnState } from './metadata.js';
import type { TransactionStateTopic } from './state-topic.js';

/** The coordinator epoch the markers of a transactional id carry, and whether this broker still coordinates it. */
export type CoordinatorTerm = { epoch: number; current: () => boolean };

export class Transitions {
  readonly txns = new Map<string, TxnMetadata>();
  /** Ids with a transition being written, each with the token of that transition. */
  private readonly pending = new Map<string, object>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly stateTopic: TransactionStateTopic,
    private readonly markers: MarkerWriter,
    private readonly termOf: (transactionalId: string) => CoordinatorTerm,
    private readonly logger: Logger,
  ) {}

  isPending(transactionalId: string): boolean {
    return this.pending.has(transactionalId);
  }

  /** Run a transition of `id` with the id pending (other requests get CONCURRENT_TRANSACTIONS), tracked for shutdown. */
  withPending<T>(id: string, fn: () => Promise<T>): Promise<T> {
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

  /** Wait for every transition in progress. */
  async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Apply `next` to `m` and write it; on failure `m` is put back as it was. */
  async persist(m: TxnMetadata, next: Partial<TxnMetadata>): Promise<void> {
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

  /** Forget `id`: a tombstone in the state topic. */
  async forget(id: string): Promise<void> {
    await this.stateTopic.write(id, null);
    this.txns.delete(id);
  }

  /**
   * End an ongoing transaction: the decision (PrepareCommit / PrepareAbort) is made durable,
   * then the markers are written, then the transaction is complete. `fence` bumps the epoch
   * first (a timeout or a new producer instance), so the old producer can no longer write.
   */
  async end(m: TxnMetadata, commit: boolean, fence: boolean): Promise<void> {
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
  async complete(m: TxnMetadata, commit: boolean): Promise<void> {
    const { epoch, current } = this.termOf(m.transactionalId);
    await this.markers.write(m, commit, epoch, current);
    await this.persist(m, { state: commit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: new Map(), lastUpdateTimestamp: Date.now() });
  }

  /**
   * Complete the transactions found decided but not complete (the coordinator stopped between
   * PrepareCommit/PrepareAbort and CompleteCommit/CompleteAbort): their markers again (a
   * partition that already has one takes a second, which changes nothing), as Kafka's
   * TransactionMarkerChannelManager does on loading.
   */
  resumeDecided(txns: Iterable<TxnMetadata>, partition: number): Array<Promise<void>> {
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

  /**
   * The answer to a transition that could not be written: NOT_COORDINATOR when leadership of the
   * state partition moved (the client finds the new coordinator), else COORDINATOR_NOT_AVAILABLE,
   * as Kafka's TransactionCoordinator maps a failed append.
   */
  writeError(err: unknown, transactionalId: string): number {
    if (err instanceof StrandError && err.kafkaCode === ErrorCode.NOT_COORDINATOR) {
      this.logger.info({ transactionalId, err: err.message }, 'no longer the transaction coordinator');
      return ErrorCode.NOT_COORDINATOR;
    }
    this.logger.error({ err, transactionalId }, 'cannot write the transaction state');
    return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}
