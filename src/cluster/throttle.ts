/**
 * A byte-rate token bucket for replication throttles (Kafka's `follower.replication.throttled.rate`
 * and `leader.replication.throttled.rate`, bytes per second, over a one-second window as Kafka's
 * quota samples are): bytes are taken when they have been moved, and the answer is how long the
 * throttled partitions must wait before the next fetch so that the average stays at the rate.
 */
export class ByteRateThrottle {
  private tokens: number;
  private last: number;

  constructor(readonly bytesPerSecond: number, now = Date.now()) {
    this.tokens = bytesPerSecond;
    this.last = now;
  }

  /** Kafka's default, Long.MAX_VALUE, throttles nothing. */
  get unlimited(): boolean {
    return !Number.isFinite(this.bytesPerSecond) || this.bytesPerSecond >= Number.MAX_SAFE_INTEGER;
  }

  /** Takes `bytes`; returns the delay in ms before more may be moved (0 while within the rate). */
  take(bytes: number, now = Date.now()): number {
    if (this.unlimited) return 0;
    this.tokens = Math.min(this.bytesPerSecond, this.tokens + ((now - this.last) / 1000) * this.bytesPerSecond);
    this.last = now;
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.bytesPerSecond) * 1000);
  }

  /** Whether the rate is used up for now (Kafka's isQuotaExceeded): a leader then sends throttled replicas nothing. */
  exceeded(now = Date.now()): boolean {
    if (this.unlimited) return false;
    return this.take(0, now) > 0;
  }

  /** Most bytes to ask for in one fetch: a second's worth (the leader still sends one whole batch, KIP-74). */
  fetchBytes(max: number): number {
    return this.unlimited ? max : Math.max(1, Math.min(max, Math.floor(this.bytesPerSecond)));
  }
}
