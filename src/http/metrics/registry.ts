/**
 * The Prometheus registry of one admin listener: prom-client's process metrics (memory, CPU,
 * event-loop delay, GC pauses, handles) and the broker's families, all computed at scrape time.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { HttpBroker } from '../server.js';
import { registerClusterMetrics } from './cluster.js';
import { registerRequestMetrics } from './requests.js';
import { registerStorageMetrics } from './storage.js';
import { registerTopicMetrics } from './topics.js';

export function createMetricsRegistry(broker: () => HttpBroker | null): Registry {
  const registry = new Registry();
  // GC pauses as a histogram (nodejs_gc_duration_seconds), event-loop delay percentiles
  // (nodejs_eventloop_lag_*), heap and RSS (process_resident_memory_bytes, nodejs_heap_*).
  collectDefaultMetrics({ register: registry, gcDurationBuckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
  registerTopicMetrics(registry, broker);
  registerRequestMetrics(registry, broker);
  registerClusterMetrics(registry, broker);
  registerStorageMetrics(registry);
  return registry;
}
