/**
 * A replica fetcher (Kafka's ReplicaFetcherThread): one connection to one leader broker, and a
 * loop that keeps the partitions it was given in step with that leader.
 *
 * A partition starts by truncating (KIP-101/KIP-279): the fetcher asks the leader where this
 * replica's latest leader epoch ends (OffsetForLeaderEpoch) and cuts its own log there, round
 * after round, until the epochs agree, so a replica that led alone and was replaced never keeps
 * what it wrote alone. Then it fetches with Kafka's Fetch as a replica (`replica_id`, or
 * `replica_state` from v15), appends what comes verbatim (offsets, epochs and CRCs checked,
 * never rewritten), and takes the leader's high watermark as far as its own log reaches.
 *
 * One request at a time per connection: a slow disk or a slow leader slows this fetcher, it never
 * queues; the response size is bounded by replica.fetch.response.max.bytes.
 */
import { Connection, type ConnectionOptions } from '../../client/connection.js';
import { batchSizeAt } from '../../format/record-batch.js';
import { logger } from '../../logger.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { FetchApi, type FetchRequestFetchTopic, ListOffsetsApi, OffsetForLeaderEpochApi } from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/reader.js';
import type { Log } from '../../storage/log.js';
import type { ByteRateThrottle } from '../throttle.js';
import { ResponseBuffer } from './response-buffer.js';

export interface FetcherOptions {
  nodeId: number;
  /** This broker's epoch (the etcd revision of its registration), sent in `replica_state` (Fetch v15+). */
  brokerEpoch: () => number;
  /** `replica.fetch.max.bytes` */
  partitionMaxBytes: number;
  /** `replica.fetch.response.max.bytes` */
  responseMaxBytes: number;
  /** `replica.fetch.wait.max.ms` */
  maxWaitMs: number;
  /** `replica.fetch.backoff.ms` */
  backoffMs: number;
  /** `replica.socket.timeout.ms`-like: a request unanswered this long (beyond its wait) fails. */
  requestTimeoutMs: number;
  /** follower.replication.throttled.rate, applied to partitions `throttled` says are being reassigned here. */
  throttle?: ByteRateThrottle;
  throttled?: (topic: string, partition: number) => boolean;
  /** TLS and SASL of the inter-broker listener (absent: PLAINTEXT). */
  security?: Pick<ConnectionOptions, 'tls' | 'sasl'>;
}

export interface FetchedPartition {
  topic: string;
  partition: number;
  log: Log;
  /** The leader epoch this replica follows in. */
  leaderEpoch: number;
  topicId: () => string | undefined;
  /** Truncation still to be done before fetching. */
  truncating: boolean;
  /** Not fetched before this time (after an error). */
  delayedUntil: number;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaFetcher {
  private readonly partitions = new Map<string, FetchedPartition>();
  private conn: Connection | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly responses = new ResponseBuffer();

  constructor(
    readonly leaderId: number,
    /** Where the leader listens now (it may move between its sessions). */
    private readonly endpoint: () => { host: string; port: number } | undefined,
    private readonly options: FetcherOptions,
    /** A partition's data arrived (wake consumers? no: followers serve none; for tests and metrics). */
    private readonly onAppended: (topic: string, partition: number) => void,
  ) {}

  get size(): number {
    return this.partitions.size;
  }

  has(topic: string, partition: number): boolean {
    return this.partitions.has(key(topic, partition));
  }

  add(p: Omit<FetchedPartition, 'truncating' | 'delayedUntil'>): void {
    this.partitions.set(key(p.topic, p.partition), { ...p, truncating: true, delayedUntil: 0 });
    this.running ??= this.loop();
    this.wake?.();
  }

  remove(topic: string, partition: number): void {
    this.partitions.delete(key(topic, partition));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const conn = this.conn;
    this.conn = null;
    await conn?.close().catch(() => undefined);
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.partitions.size === 0) {
          await this.sleep(60_000);
          continue;
        }
        const conn = await this.connection();
        if (conn === null) {
          await this.sleep(this.options.backoffMs);
          continue;
        }
        const now = Date.now();
        const ready = [...this.partitions.values()].filter((p) => p.delayedUntil <= now);
        const truncating = ready.filter((p) => p.truncating);
        if (truncating.length > 0) await this.truncate(conn, truncating);
        const fetching = ready.filter((p) => !p.truncating && this.partitions.get(key(p.topic, p.partition)) === p);
        if (fetching.length > 0) await this.fetch(conn, fetching);
        else if (truncating.length === 0) await this.sleep(Math.max(1, Math.min(...[...this.partitions.values()].map((p) => p.delayedUntil)) - Date.now()));
      } catch (err) {
        if (this.stopped) break;
        logger.warn({ leader: this.leaderId, err: (err as Error).message }, `replication: fetching from broker ${this.leaderId} failed; retrying in ${this.options.backoffMs} ms`);
        const conn = this.conn;
        this.conn = null;
        void conn?.close().catch(() => undefined);
        await this.sleep(this.options.backoffMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async connection(): Promise<Connection | null> {
    if (this.conn !== null && !this.conn.closed) return this.conn;
    const at = this.endpoint();
    if (at === undefined) return null;
    this.conn = await Connection.connect({ ...this.options.security, host: at.host, port: at.port, clientId: `strand-replica-fetcher-${this.options.nodeId}`, requestTimeoutMs: this.options.requestTimeoutMs, allocateResponse: this.responses.allocate });
    return this.conn;
  }

  /** One round of OffsetForLeaderEpoch for `parts`, and the truncations it calls for. */
  private async truncate(conn: Connection, parts: FetchedPartition[]): Promise<void> {
    const byTopic = new Map<string, FetchedPartition[]>();
    for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    const res = await conn.send(OffsetForLeaderEpochApi, {
      replicaId: this.options.nodeId,
      topics: [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: p.log.latestEpoch })) })),
    });
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const p = this.partitions.get(key(t.topic, r.partition));
        if (p === undefined || !parts.includes(p)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          p.delayedUntil = Date.now() + this.options.backoffMs;
          continue;
        }
        this.applyEpochEnd(p, r.leaderEpoch, Number(r.endOffset));
      }
    }
  }

  /** Kafka's AbstractFetcherThread.getOffsetTruncationState, applied. */
  private applyEpochEnd(p: FetchedPartition, leaderEpoch: number, leaderEnd: number): void {
    const log = p.log;
    const end = log.endOffset;
    let to: number;
    let done = true;
    if (leaderEnd < 0) {
      // The leader knows no epoch at or below ours: keep what is below our high watermark.
      to = Math.min(log.highWatermark, end);
    } else {
      const mine = log.endOffsetForEpoch(leaderEpoch);
      if (mine.epoch < 0) to = Math.min(leaderEnd, end);
      else if (mine.epoch !== leaderEpoch) {
        // We do not have the leader's epoch: cut to where our nearest lower one ends, and ask again.
        to = Math.min(mine.endOffset, end);
        done = false;
      } else to = Math.min(leaderEnd, mine.endOffset, end);
    }
    if (to < end) {
      logger.info({ topic: p.topic, partition: p.partition, from: end, to, leaderEpoch }, `replication: truncating ${p.topic}-${p.partition} from ${end} to ${to} (diverged from leader ${this.leaderId})`);
      log.truncateTo(to);
    }
    if (done || to >= end) p.truncating = false;
  }

  private async fetch(conn: Connection, parts: FetchedPartition[]): Promise<void> {
    const byTopic = new Map<string, FetchedPartition[]>();
    for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
    const sentAt = new Map<FetchedPartition, number>();
    const topics = [...byTopic].map(([topic, ps]) => ({
      topic,
      topicId: ps[0]!.topicId() ?? ZERO_UUID,
      partitions: ps.map((p) => {
        sentAt.set(p, p.log.endOffset);
        const throttled = this.options.throttle !== undefined && this.options.throttled?.(p.topic, p.partition) === true;
        const partitionMaxBytes = throttled ? this.options.throttle!.fetchBytes(this.options.partitionMaxBytes) : this.options.partitionMaxBytes;
        return { partition: p.partition, currentLeaderEpoch: p.leaderEpoch, fetchOffset: BigInt(p.log.endOffset), lastFetchedEpoch: p.log.latestEpoch, logStartOffset: BigInt(p.log.startOffset), partitionMaxBytes };
      }),
    }));
    try {
      await this.fetchOnce(conn, parts, topics, sentAt);
    } finally {
      // Every batch of the response is appended (copied into the log) or dropped by now.
      this.responses.release();
    }
  }

  private async fetchOnce(conn: Connection, parts: FetchedPartition[], topics: FetchRequestFetchTopic[], sentAt: Map<FetchedPartition, number>): Promise<void> {
    const res = await conn.send(FetchApi, {
      replicaId: this.options.nodeId,
      replicaState: { replicaId: this.options.nodeId, replicaEpoch: BigInt(this.options.brokerEpoch()) },
      maxWaitMs: this.options.maxWaitMs,
      minBytes: 1,
      maxBytes: this.options.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics,
      forgottenTopicsData: [],
      rackId: '',
    }, { timeoutMs: this.options.requestTimeoutMs + this.options.maxWaitMs });
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`fetch refused with error ${res.errorCode}`);
    for (const t of res.responses) {
      const topic = t.topic || parts.find((p) => p.topicId() === t.topicId)?.topic || '';
      for (const r of t.partitions) {
        const p = this.partitions.get(key(topic, r.partitionIndex));
        if (p === undefined || !sentAt.has(p)) continue; // removed while the fetch was out
        if (p.log.endOffset !== sentAt.get(p)) continue; // truncated meanwhile
        await this.handlePartition(conn, p, r.errorCode, r.records, Number(r.highWatermark), Number(r.logStartOffset));
      }
    }
  }

  private async handlePartition(conn: Connection, p: FetchedPartition, errorCode: number, records: Buffer | null, highWatermark: number, leaderStartOffset: number): Promise<void> {
    const log = p.log;
    switch (errorCode) {
      case ErrorCode.NONE: {
        if (records !== null && records.length > 0) {
          let end = 0;
          for (let size; (size = batchSizeAt(records, end, records.length)) > 0;) end += size;
          if (end > 0) {
            log.appendAsFollower(end === records.length ? records : records.subarray(0, end));
            log.durable().catch((err: Error) => logger.error({ topic: p.topic, partition: p.partition, err: err.message }, 'replication: flush failed'));
            this.onAppended(p.topic, p.partition);
            if (this.options.throttle !== undefined && this.options.throttled?.(p.topic, p.partition) === true) {
              const wait = this.options.throttle.take(end);
              if (wait > 0) p.delayedUntil = Date.now() + wait;
            }
          }
        }
        if (leaderStartOffset > log.startOffset) log.advanceStartOffset(Math.min(leaderStartOffset, log.endOffset));
        if (highWatermark >= 0) log.updateHighWatermark(Math.min(highWatermark, log.endOffset));
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.resetOutOfRange(conn, p);
        return;
      case ErrorCode.FENCED_LEADER_EPOCH:
      case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      case ErrorCode.UNKNOWN_LEADER_EPOCH:
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      case ErrorCode.UNKNOWN_TOPIC_ID:
      default:
        // The cluster state will say who leads now; until then, ask again after the backoff.
        p.delayedUntil = Date.now() + this.options.backoffMs;
    }
  }

  /** Kafka's handleOutOfRangeError: past the leader's end, truncate to it; before its start, start over at it. */
  private async resetOutOfRange(conn: Connection, p: FetchedPartition): Promise<void> {
    const ask = async (timestamp: bigint): Promise<number> => {
      const res = await conn.send(ListOffsetsApi, {
        replicaId: this.options.nodeId, isolationLevel: 0,
        topics: [{ name: p.topic, partitions: [{ partitionIndex: p.partition, currentLeaderEpoch: p.leaderEpoch, timestamp, maxNumOffsets: 1 }] }],
      });
      const r = res.topics[0]?.partitions[0];
      if (r === undefined || r.errorCode !== ErrorCode.NONE) return -1;
      return Number(r.offset);
    };
    const latest = await ask(-1n);
    const earliest = await ask(-2n);
    if (latest < 0 || earliest < 0) {
      p.delayedUntil = Date.now() + this.options.backoffMs;
      return;
    }
    const end = p.log.endOffset;
    if (end > latest) {
      logger.warn({ topic: p.topic, partition: p.partition, from: end, to: latest }, `replication: ${p.topic}-${p.partition} is past the leader's end; truncating to ${latest}`);
      p.log.truncateTo(latest);
    } else if (end < earliest) {
      logger.warn({ topic: p.topic, partition: p.partition, from: end, to: earliest }, `replication: ${p.topic}-${p.partition} ends before the leader's start; starting over at ${earliest}`);
      p.log.truncateFullyAndStartAt(earliest);
    }
  }
}
