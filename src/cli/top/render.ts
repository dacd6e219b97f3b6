/**
 * One frame of `strand top` from two scrapes of /metrics: the broker's health line, per-topic
 * rates and totals, request rates and mean latency, consumer lag, and the process. Plain text,
 * so `--once` output can be read by a script or a test.
 */
import { byLabel, type Scrape, type Sample, total } from './scrape.js';

export const rate = (now: number, before: number, seconds: number): number => (seconds > 0 ? Math.max(0, now - before) / seconds : 0);

export function human(n: number, unit = ''): string {
  const abs = Math.abs(n);
  const [d, s] = abs >= 1e9 ? [1e9, 'G'] : abs >= 1e6 ? [1e6, 'M'] : abs >= 1e3 ? [1e3, 'k'] : [1, ''];
  const v = n / d;
  return `${d === 1 ? (Number.isInteger(v) ? String(v) : v.toFixed(1)) : v.toFixed(1)}${s}${unit}`;
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export function render(url: string, before: Scrape, now: Scrape): string {
  const dt = (now.at - before.at) / 1000;
  const out: string[] = [];
  out.push(`strand top  ${url}  ${new Date(now.at).toISOString()}  (rates over ${dt.toFixed(1)} s)`);
  out.push(`connections ${total(now, 'strand_connections')}  partitions ${total(now, 'strand_partitions')}  leaders ${total(now, 'strand_leader_partitions')}  under-replicated ${total(now, 'strand_under_replicated_partitions')}  offline ${total(now, 'strand_offline_partitions')}  isr shrinks ${total(now, 'strand_isr_shrinks_total')}  expands ${total(now, 'strand_isr_expands_total')}`);
  out.push('');

  const metrics = ['strand_topic_messages_in_total', 'strand_topic_bytes_in_total', 'strand_topic_messages_out_total', 'strand_topic_bytes_out_total'] as const;
  const [mi0, bi0, mo0, bo0] = metrics.map((m) => byLabel(before, m, 'topic'));
  const [mi, bi, mo, bo] = metrics.map((m) => byLabel(now, m, 'topic'));
  const topics = [...mi!.keys()].sort();
  out.push(...table(['TOPIC', 'MSG IN/S', 'BYTES IN/S', 'MSG OUT/S', 'BYTES OUT/S', 'MSG IN', 'MSG OUT'], topics.map((t) => [
    t,
    human(rate(mi!.get(t) ?? 0, mi0!.get(t) ?? 0, dt)),
    human(rate(bi!.get(t) ?? 0, bi0!.get(t) ?? 0, dt), 'B'),
    human(rate(mo!.get(t) ?? 0, mo0!.get(t) ?? 0, dt)),
    human(rate(bo!.get(t) ?? 0, bo0!.get(t) ?? 0, dt), 'B'),
    String(mi!.get(t) ?? 0),
    String(mo!.get(t) ?? 0),
  ])));
  out.push('');

  const reqs0 = byLabel(before, 'strand_requests_total', 'request');
  const reqs = byLabel(now, 'strand_requests_total', 'request');
  const sum0 = byLabel(before, 'strand_request_total_time_seconds_sum', 'request');
  const sum = byLabel(now, 'strand_request_total_time_seconds_sum', 'request');
  const busiest = [...reqs.keys()].sort((a, b) => rate(reqs.get(b)!, reqs0.get(b) ?? 0, dt) - rate(reqs.get(a)!, reqs0.get(a) ?? 0, dt) || a.localeCompare(b)).slice(0, 8);
  out.push(...table(['REQUEST', 'PER S', 'MEAN MS', 'TOTAL'], busiest.map((r) => {
    const n = (reqs.get(r) ?? 0) - (reqs0.get(r) ?? 0);
    const mean = n > 0 ? ((sum.get(r) ?? 0) - (sum0.get(r) ?? 0)) / n * 1000 : 0;
    return [r, human(rate(reqs.get(r)!, reqs0.get(r) ?? 0, dt)), mean.toFixed(2), String(reqs.get(r))];
  })));
  out.push('');

  const lag = now.samples.filter((s: Sample) => s.name === 'strand_consumer_group_lag').sort((a, b) => b.value - a.value).slice(0, 10);
  if (lag.length > 0) {
    out.push(...table(['GROUP', 'TOPIC', 'PARTITION', 'LAG'], lag.map((s) => [s.labels.group ?? '', s.labels.topic ?? '', s.labels.partition ?? '', String(s.value)])));
    out.push('');
  }

  const flushes = total(now, 'strand_log_flush_time_seconds_count') - total(before, 'strand_log_flush_time_seconds_count');
  const flushMs = flushes > 0 ? (total(now, 'strand_log_flush_time_seconds_sum') - total(before, 'strand_log_flush_time_seconds_sum')) / flushes * 1000 : 0;
  out.push(`process rss ${human(total(now, 'process_resident_memory_bytes'), 'B')}  heap ${human(total(now, 'nodejs_heap_size_used_bytes'), 'B')}  event loop p99 ${(total(now, 'nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(1)} ms  fsync waits ${flushes} (mean ${flushMs.toFixed(2)} ms)  worker queue ${total(now, 'strand_worker_pool_waiting_tasks')}`);
  return out.join('\n') + '\n';
}
