/**
 * Durability and the worker pool: time callers wait for an fsync (group-commit wait plus
 * fdatasync), the fsyncs the backend ran, and the pool's queue and task times. These are
 * process-wide (the storage backend and the pool are shared by every broker in the process).
 */
import type { Registry } from 'prom-client';
import { io } from '../../io/index.js';
import { SYNC_BUCKETS, syncStats } from '../../io/sync-stats.js';
import { defaultBatchPoolStats } from '../../workers/pool.js';
import { family, histogramSamples } from './families.js';

export function registerStorageMetrics(registry: Registry): void {
  family(registry, 'strand_log_flush_time_seconds', 'From asking a segment file for durability to having it: the group-commit wait plus the fdatasync (Kafka LogFlushRateAndTimeMs)', 'histogram', () =>
    histogramSamples('strand_log_flush_time_seconds', SYNC_BUCKETS, syncStats.buckets, 0, syncStats.seconds, {}));
  family(registry, 'strand_log_fsyncs_total', `fsync/fdatasync calls of the storage backend (${io.name}): segments, indexes, directories, checkpoints`, 'counter', () => [{ value: io.fsyncCount() }]);
  let last = { requests: 0, fsyncs: 0 };
  family(registry, 'strand_log_group_commit_batch_size', 'Durability requests answered per fsync since the previous scrape (group commit); 0 when no fsync ran', 'gauge', () => {
    const now = { requests: syncStats.requests, fsyncs: io.fsyncCount() };
    const fsyncs = now.fsyncs - last.fsyncs;
    const value = fsyncs > 0 ? (now.requests - last.requests) / fsyncs : 0;
    last = now;
    return [{ value }];
  });
  const pool = (name: string, help: string, type: 'gauge' | 'counter', pick: (s: NonNullable<ReturnType<typeof defaultBatchPoolStats>>) => number): void => {
    family(registry, name, help, type, () => {
      const s = defaultBatchPoolStats();
      return [{ value: s === null ? 0 : pick(s) }];
    });
  };
  pool('strand_worker_pool_threads', 'Threads of the worker pool (0 until it starts)', 'gauge', (s) => s.threads);
  pool('strand_worker_pool_in_flight_tasks', 'Tasks in the workers or queued for them', 'gauge', (s) => s.inFlight);
  pool('strand_worker_pool_waiting_tasks', 'Tasks waiting for admission to the pool (queue depth)', 'gauge', (s) => s.waiting);
  pool('strand_worker_pool_in_flight_bytes', 'Input bytes of the tasks in flight', 'gauge', (s) => s.inFlightBytes);
  pool('strand_worker_pool_inline_tasks_total', 'Tasks small enough to run on the event loop', 'counter', (s) => s.inline);
  family(registry, 'strand_worker_pool_task_seconds', 'Time of the tasks run in worker threads, from admission to answer', 'summary', () => {
    const s = defaultBatchPoolStats();
    return [{ metricName: 'strand_worker_pool_task_seconds_sum', value: s?.offloadedSeconds ?? 0 }, { metricName: 'strand_worker_pool_task_seconds_count', value: s?.offloaded ?? 0 }];
  });
}
