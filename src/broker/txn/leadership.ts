/**
 * Which `__transaction_state` partitions this broker coordinates, in a cluster (Kafka's
 * TransactionCoordinator.onElection / onResignation): a broker loads a partition's transactions
 * when it becomes its leader, with the partition's leader epoch as its coordinator epoch (which
 * the partitions' logs use to refuse markers from a deposed coordinator), resumes the markers of
 * transactions found decided, and drops them when it stops leading. Each change of leadership
 * starts a new term, so work that leadership outran stops.
 */
import type { Logger } from 'pino';
import type { BrokerCore } from '../context.js';
import { COORDINATOR_EPOCH } from './markers.js';
import { TRANSACTION_STATE_TOPIC, type TransactionStateTopic } from './state-topic.js';
import type { CoordinatorTerm, Transitions } from './transitions.js';

export class StatePartitions {
  /** Partitions this broker leads and is still loading. */
  readonly loading = new Set<number>();
  /** Bumped at each change of leadership of a partition. */
  private readonly terms = new Map<number, number>();
  /** The leader epoch of each led partition, as loaded: the coordinator epoch of its markers. */
  private readonly epochs = new Map<number, number>();

  constructor(
    private readonly core: BrokerCore,
    private readonly stateTopic: TransactionStateTopic,
    private readonly transitions: Transitions,
    private readonly active: () => boolean,
    private readonly logger: Logger,
  ) {}

  /** This broker now leads partition `partition`: its transactions, read from its log. */
  async load(partition: number): Promise<void> {
    const term = this.bumpTerm(partition);
    this.drop(partition);
    this.loading.add(partition);
    try {
      const { txns, stats } = await this.stateTopic.load([partition]);
      if (this.terms.get(partition) !== term || !this.active()) return;
      const epoch = this.core.replication.leaderEpoch(TRANSACTION_STATE_TOPIC, partition);
      this.epochs.set(partition, epoch);
      for (const [id, m] of txns) this.transitions.txns.set(id, m);
      this.logger.info({ partition, coordinatorEpoch: epoch, ...stats }, `loaded the transactions of ${TRANSACTION_STATE_TOPIC}-${partition}`);
      // Not awaited: the ids are pending (CONCURRENT_TRANSACTIONS) until their markers are written.
      for (const p of this.transitions.resumeDecided(txns.values(), partition)) p.catch(() => undefined);
    } catch (err) {
      this.logger.error({ err, partition }, `cannot load the transactions of ${TRANSACTION_STATE_TOPIC}-${partition}`);
    } finally {
      if (this.terms.get(partition) === term) this.loading.delete(partition);
    }
  }

  /** This broker no longer leads partition `partition`: its transactions go; markers being sent stop. */
  unload(partition: number): void {
    this.bumpTerm(partition);
    this.loading.delete(partition);
    this.epochs.delete(partition);
    this.drop(partition);
  }

  /** The coordinator epoch markers of `transactionalId` carry, and whether this broker still coordinates it. */
  termOf(transactionalId: string): CoordinatorTerm {
    if (!this.core.replication.clustered) return { epoch: COORDINATOR_EPOCH, current: this.active };
    const partition = this.stateTopic.partitionFor(transactionalId);
    const term = this.terms.get(partition);
    return { epoch: this.epochs.get(partition) ?? COORDINATOR_EPOCH, current: () => this.active() && this.terms.get(partition) === term };
  }

  private bumpTerm(partition: number): number {
    const term = (this.terms.get(partition) ?? 0) + 1;
    this.terms.set(partition, term);
    return term;
  }

  private drop(partition: number): void {
    const txns = this.transitions.txns;
    for (const id of [...txns.keys()]) if (this.stateTopic.partitionFor(id) === partition) txns.delete(id);
  }
}
