/**
 * /metrics of a real broker, parsed by a Prometheus text parser: the traffic counters move by
 * exactly the records and bytes a kafkajs client produced and consumed, lag is the partition end
 * minus the committed offset, and the single broker reports no replication trouble.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { until } from '../helpers/until.js';
import { scrape } from './prom.js';

const N = 25;
const VALUE = Buffer.alloc(200, 7);

describe('/metrics', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let base: string;

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '1' } });
    base = broker.http[0]!;
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, clientId: 'metrics-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 't', numPartitions: 2 }, { topic: 'idle', numPartitions: 1 }] });
    await admin.disconnect();
  });
  afterAll(async () => broker?.stop());

  it('counts exactly the records and bytes produced and consumed, and lag as end minus committed', async () => {
    const producer = kafka.producer();
    await producer.connect();
    // One request of one batch to partition 0: N records.
    await producer.send({ topic: 't', messages: Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: VALUE, partition: 0 })) });
    await producer.disconnect();

    const before = await scrape(base);
    expect(before.value('strand_topic_messages_in_total', { topic: 't' })).toBe(N);
    const logBytes = before.value('strand_log_size_bytes', { topic: 't', partition: '0' })!;
    // The batch as stored is the batch as received: bytes in equals the log's size.
    expect(before.value('strand_topic_bytes_in_total', { topic: 't' })).toBe(logBytes);
    expect(logBytes).toBeGreaterThan(N * VALUE.length);
    expect(before.value('strand_topic_produce_requests_total', { topic: 't' })).toBe(1);
    expect(before.value('strand_log_end_offset', { topic: 't', partition: '0' })).toBe(N);
    expect(before.value('strand_log_end_offset', { topic: 't', partition: '1' })).toBe(0);
    expect(before.value('strand_log_segments', { topic: 't', partition: '0' })).toBe(1);
    expect(before.value('strand_topic_messages_out_total', { topic: 't' })).toBe(0);
    expect(before.value('strand_topic_messages_in_total', { topic: 'idle' })).toBeUndefined(); // no traffic, no series
    expect(before.value('strand_requests_total', { request: 'Produce' })).toBe(1);
    expect(before.families.get('strand_request_total_time_seconds')?.type).toBe('HISTOGRAM');
    expect(before.sample('strand_request_total_time_seconds_count', { request: 'Produce' })).toBe(1);
    expect(before.sample('strand_request_queue_time_seconds_bucket', { request: 'Produce', le: '+Inf' })).toBe(1);

    // Consume the first 10 records, commit offset 10 by hand: lag 15.
    const consumer = kafka.consumer({ groupId: 'g1', maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 't', fromBeginning: true });
    let seen = 0;
    await consumer.run({ autoCommit: false, eachMessage: async () => { seen++; } });
    await until('the consumer reads every record', () => seen === N, 15_000);
    await consumer.commitOffsets([{ topic: 't', partition: 0, offset: '10' }]);
    await consumer.disconnect();

    const after = await scrape(base);
    expect(after.value('strand_topic_messages_out_total', { topic: 't' })).toBe(N);
    expect(after.value('strand_topic_bytes_out_total', { topic: 't' })).toBe(logBytes);
    expect(after.value('strand_consumer_group_committed_offset', { group: 'g1', topic: 't', partition: '0' })).toBe(10);
    expect(after.value('strand_consumer_group_lag', { group: 'g1', topic: 't', partition: '0' })).toBe(N - 10);
    expect(after.value('strand_topic_fetch_requests_total', { topic: 't' })).toBeGreaterThanOrEqual(1);
  });

  it('reports a single broker as healthy: everything led, nothing under-replicated or offline', async () => {
    const s = await scrape(base);
    // t (2) + idle (1) + __consumer_offsets (1, created by the group above).
    expect(s.value('strand_partitions')).toBe(4);
    expect(s.value('strand_leader_partitions')).toBe(4);
    expect(s.value('strand_under_replicated_partitions')).toBe(0);
    expect(s.value('strand_under_min_isr_partitions')).toBe(0);
    expect(s.value('strand_offline_partitions')).toBe(0);
    expect(s.value('strand_isr_shrinks_total')).toBe(0);
    expect(s.value('strand_isr_expands_total')).toBe(0);
    expect(s.value('strand_replication_bytes_out_total')).toBe(0);
    expect(s.value('strand_connections')).toBeGreaterThanOrEqual(0);
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds', 'strand_log_flush_time_seconds', 'strand_log_fsyncs_total', 'strand_worker_pool_waiting_tasks', 'strand_worker_pool_task_seconds']) {
      expect(s.families.has(name), name).toBe(true);
    }
  });

  it('drops the counters of a deleted topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: ['t'] });
    await admin.disconnect();
    const s = await scrape(base);
    expect(s.value('strand_topic_messages_in_total', { topic: 't' })).toBeUndefined();
    expect(s.value('strand_log_size_bytes', { topic: 't', partition: '0' })).toBeUndefined();
  });
});
