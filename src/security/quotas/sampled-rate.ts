/**
 * Kafka's windowed rate (org.apache.kafka.common.metrics.stats.Rate over a SampledTotal), the
 * measure every Kafka quota is checked against: `samples` windows of `windowMs` each; a value
 * lands in the current window, a new window starts when the current one is `windowMs` old, and
 * windows older than `samples x windowMs` are reset before the rate is measured. The rate is
 * the sum of the kept windows over the elapsed time since the oldest one, counted as at least
 * `samples - 1` full windows (so one burst right after a quiet period is not divided by a few
 * milliseconds). Plain numbers, no objects per record: one record is a few arithmetic steps.
 */
export interface RateWindows {
  /** quota.window.num */
  readonly samples: number;
  /** quota.window.size.seconds x 1000 */
  readonly windowMs: number;
}

export class SampledRate {
  private readonly starts: number[];
  private readonly values: number[];
  private current = 0;
  /** Windows in use: Kafka adds them one by one, so a young rate has fewer. */
  private used = 0;

  constructor(readonly windows: RateWindows) {
    this.starts = new Array<number>(windows.samples).fill(0);
    this.values = new Array<number>(windows.samples).fill(0);
  }

  /** When the current window began (ms); 0 before the first record. */
  get lastWindowMs(): number {
    return this.used === 0 ? 0 : this.starts[this.current]!;
  }

  /** Add `value` at `now` (ms). */
  record(value: number, now: number): void {
    if (this.used === 0) {
      this.used = 1;
      this.current = 0;
      this.starts[0] = now;
      this.values[0] = 0;
    } else if (now - this.starts[this.current]! >= this.windows.windowMs) {
      // SampledStat.advance: the next window, reset to start now.
      this.current = (this.current + 1) % this.windows.samples;
      if (this.current >= this.used) this.used = this.current + 1;
      this.starts[this.current] = now;
      this.values[this.current] = 0;
    }
    this.values[this.current]! += value;
  }

  /** Take back a value recorded at `now` (Kafka unrecords a throttled Fetch, whose response is emptied). */
  unrecord(value: number, now: number): void {
    this.record(-value, now);
  }

  /** The rate per second at `now`, as Rate.measure computes it. */
  measure(now: number): number {
    this.purge(now);
    let total = 0;
    for (let i = 0; i < this.used; i++) total += this.values[i]!;
    return total / (this.windowSize(now) / 1000);
  }

  /**
   * Rate.windowSize: the time since the oldest kept window began, at least `samples - 1` full
   * windows plus what passed of the last, and at least 1 ms.
   */
  windowSize(now: number): number {
    this.purge(now);
    const { samples, windowMs } = this.windows;
    let oldest = this.used === 0 ? now : this.starts[0]!;
    for (let i = 1; i < this.used; i++) if (this.starts[i]! < oldest) oldest = this.starts[i]!;
    let elapsed = now - oldest;
    const full = Math.floor(elapsed / windowMs);
    if (full < samples - 1) elapsed += (samples - 1 - full) * windowMs;
    return Math.max(elapsed, 1);
  }

  /** SampledStat.purgeObsoleteSamples: windows `samples x windowMs` old start again, empty, now. */
  private purge(now: number): void {
    const expireAge = this.windows.samples * this.windows.windowMs;
    for (let i = 0; i < this.used; i++) {
      if (now - this.starts[i]! >= expireAge) {
        this.starts[i] = now;
        this.values[i] = 0;
      }
    }
  }
}

/**
 * Kafka's throttle time for a rate over its bound (ClientQuotaManager.throttleTime): how long
 * the client must stay quiet for the rate over the measured window to come back to the bound,
 * `(rate - bound) / bound x windowSize`, rounded. 0 when the rate is within the bound.
 */
export function throttleTimeMs(rate: SampledRate, bound: number, now: number): number {
  const value = rate.measure(now);
  if (value <= bound) return 0;
  return Math.round(((value - bound) / bound) * rate.windowSize(now));
}
