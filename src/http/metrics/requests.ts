/** Request rates and latencies per API (Kafka RequestMetrics), connections (SocketServer). */
import type { Registry } from 'prom-client';
import { ApiKey } from '../../protocol/messages/index.js';
import { API_KEYS, LATENCY_BUCKETS, type LatencyHistogram } from '../../broker/stats.js';
import type { HttpBroker } from '../server.js';
import { family, histogramSamples, type Sample } from './families.js';

/** Kafka's request names (`request="Produce"`), by API key. */
const API_NAMES: string[] = [];
for (const [name, key] of Object.entries(ApiKey)) API_NAMES[key] = name;
const apiName = (key: number): string => API_NAMES[key] ?? `Api${key}`;

function histogram(name: string, h: LatencyHistogram): Sample[] {
  const out: Sample[] = [];
  for (let key = 0; key < API_KEYS; key++) {
    if (h.counts[key] === 0) continue;
    out.push(...histogramSamples(name, LATENCY_BUCKETS, h.buckets, key * (LATENCY_BUCKETS.length + 1), h.sums[key]!, { request: apiName(key) }));
  }
  return out;
}

export function registerRequestMetrics(registry: Registry, broker: () => HttpBroker | null): void {
  family(registry, 'strand_requests_total', 'Requests answered, per API (Kafka RequestsPerSec)', 'counter', () => {
    const b = broker();
    if (b === null) return [];
    const counts = b.stats.requests.total.counts;
    const out: Sample[] = [];
    for (let key = 0; key < API_KEYS; key++) if (counts[key]! > 0) out.push({ labels: { request: apiName(key) }, value: counts[key]! });
    return out;
  });
  const times: Array<[string, string, 'queue' | 'local' | 'response' | 'total']> = [
    ['strand_request_queue_time_seconds', 'From read to started: waiting behind the connection\'s earlier Fetch (Kafka RequestQueueTimeMs)', 'queue'],
    ['strand_request_local_time_seconds', 'In the handler, long polls and acks=all waits included (Kafka LocalTimeMs + RemoteTimeMs)', 'local'],
    ['strand_request_response_time_seconds', 'From answered to written: waiting behind earlier responses of the connection (Kafka ResponseQueueTimeMs + ResponseSendTimeMs)', 'response'],
    ['strand_request_total_time_seconds', 'From read to written (Kafka TotalTimeMs)', 'total'],
  ];
  for (const [name, help, which] of times) {
    family(registry, name, help, 'histogram', () => {
      const b = broker();
      return b === null ? [] : histogram(name, b.stats.requests[which]);
    });
  }
  family(registry, 'strand_connections', 'Client connections open (Kafka connection-count)', 'gauge', () => {
    const b = broker();
    return b === null ? [] : [{ value: b.connectionCount }];
  });
  family(registry, 'strand_connections_accepted_total', 'Client connections accepted (Kafka connection-creation-total)', 'counter', () => {
    const b = broker();
    return b === null ? [] : [{ value: b.stats.connectionsAccepted }];
  });
}
