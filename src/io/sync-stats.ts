/**
 * How long callers wait for durability: every `SegmentFile.sync()` of either backend is timed
 * from the call to its promise settling (the group-commit wait plus the fdatasync), into fixed
 * buckets of plain numbers, read by the admin HTTP layer's /metrics at scrape time. Requests
 * per fsync (the backend's fsyncCount) is the group commit's batch size.
 */

/** Upper bounds (seconds) of the buckets; +Inf follows. */
export const SYNC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

export const syncStats = {
  /** sync() calls answered (successful or not). */
  requests: 0,
  seconds: 0,
  /** Observations per bucket (not cumulative), SYNC_BUCKETS.length + 1 of them. */
  buckets: new Float64Array(SYNC_BUCKETS.length + 1),
};

function observe(started: number): void {
  const s = (performance.now() - started) / 1000;
  let i = 0;
  while (i < SYNC_BUCKETS.length && s > SYNC_BUCKETS[i]!) i++;
  syncStats.buckets[i]! += 1;
  syncStats.requests++;
  syncStats.seconds += s;
}

/** `promise` (a sync in flight), timed from now. */
export function timedSync(promise: Promise<void>): Promise<void> {
  const started = performance.now();
  promise.then(() => observe(started), () => observe(started));
  return promise;
}
