/** Per-topic traffic (BrokerTopicMetrics) and per-partition log figures (kafka.log:type=Log). */
import type { Registry } from 'prom-client';
import type { TopicCounters } from '../../broker/stats.js';
import type { HttpBroker } from '../server.js';
import { family, type Sample } from './families.js';

const TOPIC_COUNTERS: Array<[keyof TopicCounters, string, string]> = [
  ['bytesIn', 'strand_topic_bytes_in_total', 'Record bytes appended by producers (Kafka BytesInPerSec)'],
  ['messagesIn', 'strand_topic_messages_in_total', 'Records appended by producers (Kafka MessagesInPerSec)'],
  ['bytesOut', 'strand_topic_bytes_out_total', 'Record bytes sent to consumers (Kafka BytesOutPerSec)'],
  ['messagesOut', 'strand_topic_messages_out_total', 'Records in the batches sent to consumers, control batches left out'],
  ['produceRequests', 'strand_topic_produce_requests_total', 'Produce requests naming the topic (Kafka TotalProduceRequestsPerSec)'],
  ['fetchRequests', 'strand_topic_fetch_requests_total', 'Consumer fetch requests naming the topic (Kafka TotalFetchRequestsPerSec)'],
  ['failedProduceRequests', 'strand_topic_failed_produce_requests_total', 'Partitions of produce requests refused (Kafka FailedProduceRequestsPerSec)'],
];

/** Counters of topics that still exist; a deleted topic's are dropped (Kafka removes its metrics). */
function liveCounters(broker: HttpBroker): Array<[string, TopicCounters]> {
  const out: Array<[string, TopicCounters]> = [];
  for (const [name, c] of broker.stats.topics) {
    if (broker.topics.get(name) === undefined) broker.stats.topics.delete(name);
    else out.push([name, c]);
  }
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

function perPartition(broker: HttpBroker, value: (log: NonNullable<ReturnType<HttpBroker['topics']['log']>>) => number): Sample[] {
  const out: Sample[] = [];
  for (const t of broker.topics.list()) {
    for (let p = 0; p < t.partitions; p++) {
      const log = broker.topics.log(t.name, p);
      if (log !== null) out.push({ labels: { topic: t.name, partition: p }, value: value(log) });
    }
  }
  return out;
}

export function registerTopicMetrics(registry: Registry, broker: () => HttpBroker | null): void {
  for (const [key, name, help] of TOPIC_COUNTERS) {
    family(registry, name, help, 'counter', () => {
      const b = broker();
      return b === null ? [] : liveCounters(b).map(([topic, c]) => ({ labels: { topic }, value: c[key] }));
    });
  }
  family(registry, 'strand_replication_bytes_out_total', 'Record bytes sent to follower replicas (Kafka ReplicationBytesOutPerSec)', 'counter', () => {
    const b = broker();
    return b === null ? [] : [{ value: b.stats.replicationBytesOut }];
  });
  const logs: Array<[string, string, (log: NonNullable<ReturnType<HttpBroker['topics']['log']>>) => number]> = [
    ['strand_log_size_bytes', 'Bytes of the partition log on disk (Kafka Log Size)', (l) => l.size],
    ['strand_log_segments', 'Segments of the partition log (Kafka NumLogSegments)', (l) => l.segmentCount],
    ['strand_log_start_offset', 'First offset of the partition log (Kafka LogStartOffset)', (l) => l.startOffset],
    ['strand_log_end_offset', 'Offset after the last record of the partition log (Kafka LogEndOffset)', (l) => l.endOffset],
  ];
  for (const [name, help, value] of logs) {
    family(registry, name, help, 'gauge', () => {
      const b = broker();
      return b === null ? [] : perPartition(b, value);
    });
  }
}
