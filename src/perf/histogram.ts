/**
 * Latency recording for `strand perf`: an HdrHistogram (hdr-histogram-js) of microseconds, 3
 * significant digits, 64-bit counts (a batch of records is recorded as one value with a count), and
 * the summaries the tools print: average, p50, p95, p99, p99.9, max, plus a percentile curve for
 * the HTML report.
 */
import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  /** Number of recorded values (records, or requests for fetch latency). */
  count: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** [percentile, milliseconds] points from p0 to p99.99, spaced as HdrHistogram plots space them. */
export type LatencyCurve = Array<[number, number]>;

/** Percentiles of the curve: 0, 50, 75, 87.5, ... (halving the distance to 100 each step). */
const CURVE_PERCENTILES = (() => {
  const out = [0, 10, 25];
  for (let gap = 50; gap >= 0.005; gap /= 2) out.push(100 - gap);
  out.push(99.99, 99.999, 100);
  return [...new Set(out.map((p) => Number(p.toFixed(4))))].sort((a, b) => a - b);
})();

export class LatencyRecorder {
  private readonly h = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });

  /** Record `count` values of `micros` microseconds. */
  record(micros: number, count = 1): void {
    if (count <= 0) return;
    const v = micros < 1 ? 1 : Math.round(micros);
    this.h.recordValueWithCount(v, count);
  }

  /**
   * Record `count` records created evenly between `firstCreated` and `lastCreated` (ms, as
   * performance.now()) and completed at `done`: in a few slices, so a batch that filled over
   * time is not credited with its newest record's latency only.
   */
  recordSpread(firstCreated: number, lastCreated: number, done: number, count: number): void {
    if (count <= 0) return;
    const slices = lastCreated > firstCreated && count >= 8 ? 8 : 1;
    const per = Math.floor(count / slices);
    let left = count;
    for (let i = 0; i < slices; i++) {
      const n = i === slices - 1 ? left : per;
      left -= n;
      const created = firstCreated + ((lastCreated - firstCreated) * (i + 0.5)) / slices;
      this.record((done - created) * 1000, n);
    }
  }

  get count(): number {
    return this.h.totalCount;
  }

  summary(): LatencySummary {
    const h = this.h;
    if (h.totalCount === 0) return { count: 0, avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: h.totalCount,
      avgMs: ms(h.mean),
      p50Ms: ms(h.getValueAtPercentile(50)),
      p95Ms: ms(h.getValueAtPercentile(95)),
      p99Ms: ms(h.getValueAtPercentile(99)),
      p999Ms: ms(h.getValueAtPercentile(99.9)),
      maxMs: ms(h.maxValue),
    };
  }

  curve(): LatencyCurve {
    if (this.h.totalCount === 0) return [];
    return CURVE_PERCENTILES.map((p) => [p, Math.round(p === 100 ? this.h.maxValue : this.h.getValueAtPercentile(p)) / 1000]);
  }
}
