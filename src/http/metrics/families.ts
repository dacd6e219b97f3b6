/**
 * Metric families computed at scrape time, registered in a prom-client `Registry` beside its
 * own (process, event loop, GC): prom-client formats them and a family's values come from a
 * function of the broker's plain counters, so nothing on the request path touches prom-client.
 */
import type { Registry } from 'prom-client';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface Sample {
  labels?: Record<string, string | number>;
  value: number;
  /** For histograms and summaries: `<name>_bucket`, `_sum`, `_count`. */
  metricName?: string;
}

/** Register family `name` whose samples `values()` computes at each scrape. */
export function family(registry: Registry, name: string, help: string, type: MetricType, values: () => Sample[]): void {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

/**
 * Samples of one histogram: `counts` holds the observations per bucket (not cumulative, the
 * last one past every bound) from `offset`; Prometheus wants cumulative `le` buckets.
 */
export function histogramSamples(name: string, bounds: readonly number[], counts: Float64Array, offset: number, sum: number, labels: Record<string, string | number>): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i <= bounds.length; i++) {
    cumulative += counts[offset + i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: i < bounds.length ? bounds[i]! : '+Inf' }, value: cumulative });
  }
  out.push({ metricName: `${name}_sum`, labels, value: sum });
  out.push({ metricName: `${name}_count`, labels, value: cumulative });
  return out;
}
