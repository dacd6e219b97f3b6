/**
 * One partition this broker holds a replica of (Kafka's `Partition`): its role, and while it
 * leads, the position of each follower, the high watermark, ISR shrink and expand, and the
 * produce requests waiting for acks=all.
 *
 * Kafka's rules, kept here:
 * - a follower is caught up when it fetched from at least the leader's log end of its previous
 *   fetch (Replica.updateFetchState): `lastCaughtUpMs` is then that previous fetch's time, or now
 *   when it fetched from the log end as it is now;
 * - the high watermark is the lowest log end among the ISR (the leader's own included), and only
 *   moves forward while this broker leads; a follower the leader has not heard from since it
 *   became leader holds it where it is (its log end is unknown);
 * - an ISR member not caught up for `replica.lag.time.max.ms` leaves the ISR; a replica outside
 *   it joins again once it has reached the high watermark and the start of this leader epoch;
 *   both go through the cluster (AlterPartition), one change in flight at a time.
 *
 * A leader that needs to shrink its ISR and cannot (the cluster refuses, or does not answer
 * within the lag time: this broker is cut off from the metadata store, and its followers have
 * most likely moved to a leader elected without it) fences itself: it answers as a non-leader
 * until the cluster state tells it what it is, so clients look for the new leader at once
 * instead of waiting out their request timeouts. (Kafka's brokers keep answering as leaders
 * there; its clients find the new leader after a timeout.) An etcd outage alone fences nobody:
 * followers keep fetching, so no shrink is needed.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Log } from '../../storage/log.js';
import { logger } from '../../logger.js';
import type { PartitionState } from '../types.js';

interface FollowerState {
  /** The follower's log end, as its last fetch offset said; -1 until it fetches from this leader. */
  logEnd: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's log end when the follower last fetched. */
  lastFetchLeaderEnd: number;
}

interface AckWaiter {
  offset: number;
  minIsr: number;
  resolve: (code: number) => void;
  timer: NodeJS.Timeout;
}

export type IsrRequest = (state: PartitionState, newIsr: number[]) => Promise<PartitionState>;

export class PartitionReplica {
  role: 'leader' | 'follower' = 'follower';
  /** A leader that could not shrink its ISR: serves as a non-leader until the cluster state says more. */
  fenced = false;
  private fenceTimer: NodeJS.Timeout | null = null;
  private followers = new Map<number, FollowerState>();
  private waiters: AckWaiter[] = [];
  private isrInFlight = false;
  /** The log end when this broker became leader: a replica joins the ISR only past it (Kafka's leaderEpochStartOffset). */
  private epochStartOffset = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: Log,
    public state: PartitionState,
    private readonly nodeId: number,
    private readonly requestIsr: IsrRequest,
    /** Wakes fetches waiting on this partition (the high watermark moved). */
    private readonly notify: () => void,
  ) {}

  get isLeader(): boolean {
    return this.role === 'leader' && !this.fenced;
  }

  makeLeader(state: PartitionState, now: number): void {
    this.unfence();
    this.state = state;
    this.role = 'leader';
    this.log.assignLeaderEpoch(state.leaderEpoch);
    this.epochStartOffset = this.log.endOffset;
    this.followers = new Map();
    for (const r of state.replicas) {
      if (r === this.nodeId) continue;
      // Kafka (Partition.makeLeader): ISR members count as caught up now, others never were.
      this.followers.set(r, { logEnd: -1, lastCaughtUpMs: state.isr.includes(r) ? now : 0, lastFetchMs: 0, lastFetchLeaderEnd: -1 });
    }
    this.maybeAdvanceHighWatermark();
  }

  makeFollower(state: PartitionState): void {
    this.unfence();
    this.state = state;
    this.role = 'follower';
    this.followers = new Map();
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  /** Same leader epoch, a newer partition epoch: other ISR or replicas. */
  update(state: PartitionState, now: number): void {
    if (state.partitionEpoch <= this.state.partitionEpoch && state.leaderEpoch === this.state.leaderEpoch) return;
    this.unfence();
    this.state = state;
    if (!this.isLeader) return;
    for (const r of state.replicas) {
      if (r !== this.nodeId && !this.followers.has(r)) this.followers.set(r, { logEnd: -1, lastCaughtUpMs: 0, lastFetchMs: 0, lastFetchLeaderEnd: -1 });
    }
    for (const r of [...this.followers.keys()]) if (!state.replicas.includes(r)) this.followers.delete(r);
    // Members added to the ISR by this leader's own request were caught up when it asked.
    for (const r of state.isr) {
      const f = this.followers.get(r);
      if (f !== undefined && f.lastCaughtUpMs === 0) f.lastCaughtUpMs = now;
    }
    this.maybeAdvanceHighWatermark();
    this.settleWaiters();
  }

  /**
   * A fetch from follower `replicaId` at `fetchOffset`. NOT_LEADER_OR_FOLLOWER when this broker
   * does not lead, or the fetcher is not a replica of the partition (Kafka answers a fetch from a
   * replica it does not recognise so: ReplicaManager.updateFollowerFetchState).
   */
  followerFetched(replicaId: number, fetchOffset: number, now: number): number {
    if (!this.isLeader) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const f = this.followers.get(replicaId);
    if (f === undefined) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const leaderEnd = this.log.endOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, now);
    else if (fetchOffset >= f.lastFetchLeaderEnd && f.lastFetchLeaderEnd >= 0) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEnd = fetchOffset;
    f.lastFetchLeaderEnd = leaderEnd;
    f.lastFetchMs = now;
    this.maybeExpandIsr(replicaId, f);
    this.maybeAdvanceHighWatermark();
    return ErrorCode.NONE;
  }

  /**
   * KIP-392 on the leader: among followers `eligible` says yes to that have `fetchOffset` (their
   * log end is at or past it), the most caught up (Kafka's RackAwareReplicaSelector: largest log
   * end, then the most recently caught up); -1 when none.
   */
  readReplicaIn(eligible: (replicaId: number) => boolean, fetchOffset: number): number {
    let best = -1;
    let bestEnd = -1;
    let bestCaughtUp = -1;
    for (const [r, f] of this.followers) {
      if (!eligible(r) || f.logEnd < fetchOffset) continue;
      if (f.logEnd > bestEnd || (f.logEnd === bestEnd && f.lastCaughtUpMs > bestCaughtUp)) {
        best = r;
        bestEnd = f.logEnd;
        bestCaughtUp = f.lastCaughtUpMs;
      }
    }
    return best;
  }

  /** After a leader append: with an ISR of one, the high watermark is the log end. */
  appended(): void {
    this.maybeAdvanceHighWatermark();
  }

  /** ISR members not caught up for `lagMs` leave the ISR (Kafka's maybeShrinkIsr). */
  maybeShrinkIsr(now: number, lagMs: number): void {
    if (!this.isLeader || this.isrInFlight) return;
    const out = this.state.isr.filter((r) => {
      if (r === this.nodeId) return false;
      const f = this.followers.get(r);
      return f === undefined || now - f.lastCaughtUpMs > lagMs;
    });
    if (out.length === 0) return;
    const newIsr = this.state.isr.filter((r) => !out.includes(r));
    logger.info({ topic: this.topic, partition: this.partition, isr: this.state.isr, newIsr, lagMs }, `replication: shrinking the ISR of ${this.topic}-${this.partition}: ${out.join(', ')} out of sync`);
    this.fenceTimer ??= setTimeout(() => this.fence('the cluster did not answer the ISR shrink'), lagMs);
    this.alterIsr(newIsr, true);
  }

  /** acks=all: resolves when the high watermark reaches `offset`, see Replication.waitForIsr. */
  waitForHighWatermark(offset: number, minIsr: number, timeoutMs: number): Promise<number> {
    if (!this.isLeader) return Promise.resolve(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (this.log.highWatermark >= offset) return Promise.resolve(this.state.isr.length < minIsr ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE);
    return new Promise((resolve) => {
      const waiter: AckWaiter = {
        offset, minIsr, resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(ErrorCode.REQUEST_TIMED_OUT);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** The partition is no longer here (deleted, reassigned away, or the broker stops). */
  close(): void {
    this.role = 'follower';
    this.unfence();
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  private maybeExpandIsr(replicaId: number, f: FollowerState): void {
    // Observers copy asynchronously and never join the ISR (src/cluster/placement.ts).
    if (this.isrInFlight || this.state.isr.includes(replicaId) || (this.state.observers ?? []).includes(replicaId)) return;
    if (f.logEnd < this.log.highWatermark || f.logEnd < this.epochStartOffset) return;
    const newIsr = [...this.state.isr, replicaId];
    logger.info({ topic: this.topic, partition: this.partition, isr: this.state.isr, newIsr }, `replication: expanding the ISR of ${this.topic}-${this.partition}: ${replicaId} caught up`);
    this.alterIsr(newIsr);
  }

  private alterIsr(newIsr: number[], shrink = false): void {
    this.isrInFlight = true;
    const asked = this.state;
    this.requestIsr(asked, newIsr)
      .then((next) => {
        if (this.state.leaderEpoch === next.leaderEpoch && this.state.partitionEpoch < next.partitionEpoch) this.update(next, Date.now());
        if (shrink) this.unfence();
      })
      .catch((err: Error) => {
        // Fenced or stale: the watch brings the current state; the next check asks again.
        logger.info({ topic: this.topic, partition: this.partition, err: err.message }, 'replication: ISR change refused');
        if (shrink && this.state === asked) this.fence(`the ISR shrink failed: ${err.message}`);
      })
      .finally(() => {
        this.isrInFlight = false;
      });
  }

  private fence(why: string): void {
    if (this.role !== 'leader' || this.fenced) return;
    this.fenced = true;
    logger.warn({ topic: this.topic, partition: this.partition, leaderEpoch: this.state.leaderEpoch, why }, `replication: no longer serving ${this.topic}-${this.partition} as its leader until the cluster state says more (${why})`);
    this.failWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  }

  private unfence(): void {
    if (this.fenceTimer !== null) clearTimeout(this.fenceTimer);
    this.fenceTimer = null;
    this.fenced = false;
  }

  private maybeAdvanceHighWatermark(): void {
    if (!this.isLeader) return;
    let hw = this.log.endOffset;
    for (const r of this.state.isr) {
      if (r === this.nodeId) continue;
      const f = this.followers.get(r);
      if (f === undefined || f.logEnd < 0) return; // an ISR member not heard from yet holds it
      if (f.logEnd < hw) hw = f.logEnd;
    }
    if (hw <= this.log.highWatermark) return;
    this.log.updateHighWatermark(hw);
    this.settleWaiters();
    this.notify();
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const hw = this.log.highWatermark;
    const short = this.state.isr.length;
    const left: AckWaiter[] = [];
    for (const w of this.waiters) {
      if (w.offset > hw) {
        left.push(w);
        continue;
      }
      clearTimeout(w.timer);
      // Kafka (Partition.checkEnoughReplicasReachOffset): acknowledged, but the ISR shrank below min.insync.replicas meanwhile.
      w.resolve(short < w.minIsr ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : ErrorCode.NONE);
    }
    this.waiters = left;
  }

  private failWaiters(code: number): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.resolve(code);
    }
    this.waiters = [];
  }
}
