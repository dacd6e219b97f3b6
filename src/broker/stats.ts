/**
 * The broker's own counters, read by the admin HTTP layer's `/metrics` (src/http/metrics) at
 * scrape time. The request paths only add to plain numbers here: a map lookup per topic of a
 * request, never anything per record, and no metric library on the hot path. Latency
 * histograms are fixed buckets in typed arrays indexed by API key.
 *
 * Kafka's names, for orientation: BrokerTopicMetrics (BytesInPerSec, MessagesInPerSec,
 * BytesOutPerSec, TotalProduceRequestsPerSec, TotalFetchRequestsPerSec, ReplicationBytesOutPerSec)
 * and RequestMetrics (RequestsPerSec, RequestQueueTimeMs, LocalTimeMs, ResponseSendTimeMs,
 * TotalTimeMs, per request name).
 */

/** Per topic, since the broker started (Prometheus counters). */
export class TopicCounters {
  bytesIn = 0;
  messagesIn = 0;
  /** Record bytes sent to consumers (follower fetches are counted apart). */
  bytesOut = 0;
  /** Records in the batches sent to consumers (control batches left out). */
  messagesOut = 0;
  produceRequests = 0;
  fetchRequests = 0;
  failedProduceRequests = 0;
}

/** Upper bounds (seconds) of the latency histograms' buckets; +Inf follows. */
export const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
const SLOTS = LATENCY_BUCKETS.length + 1;
/** API keys counted; higher ones (none today) are not. */
export const API_KEYS = 128;

/** Fixed-bucket histograms of one time, per API key (cumulative only when exported). */
export class LatencyHistogram {
  /** [apiKey * SLOTS + bucket]: observations in that bucket (not cumulative). */
  readonly buckets = new Float64Array(API_KEYS * SLOTS);
  readonly sums = new Float64Array(API_KEYS);
  readonly counts = new Float64Array(API_KEYS);

  observe(apiKey: number, seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.buckets[apiKey * SLOTS + i]! += 1;
    this.sums[apiKey]! += seconds;
    this.counts[apiKey]! += 1;
  }
}

/**
 * Request timings as Kafka splits them: queue (read, waiting to start: a Fetch waits behind the
 * connection's previous one), local (in the handler, long polls and acks=all waits included:
 * Kafka calls those remote time), response (answered, waiting behind earlier responses of the
 * connection until written), total.
 */
export class RequestStats {
  readonly queue = new LatencyHistogram();
  readonly local = new LatencyHistogram();
  readonly response = new LatencyHistogram();
  readonly total = new LatencyHistogram();

  /** Times in milliseconds (performance.now() differences). */
  observe(apiKey: number, queueMs: number, localMs: number, responseMs: number): void {
    if (apiKey < 0 || apiKey >= API_KEYS) return;
    this.queue.observe(apiKey, queueMs / 1000);
    this.local.observe(apiKey, localMs / 1000);
    this.response.observe(apiKey, responseMs / 1000);
    this.total.observe(apiKey, (queueMs + localMs + responseMs) / 1000);
  }
}

export class BrokerStats {
  readonly topics = new Map<string, TopicCounters>();
  readonly requests = new RequestStats();
  /** Record bytes sent to follower replicas (Kafka's ReplicationBytesOutPerSec). */
  replicationBytesOut = 0;
  connectionsAccepted = 0;

  /** The topic's counters, made on first use. */
  topic(name: string): TopicCounters {
    let c = this.topics.get(name);
    if (c === undefined) {
      c = new TopicCounters();
      this.topics.set(name, c);
    }
    return c;
  }

  /** A fetch answered `bytes` of `topic`'s batches holding `records` records (control batches left out). */
  fetched(topic: string, bytes: number, records: number, follower: boolean): void {
    if (follower) {
      this.replicationBytesOut += bytes;
      return;
    }
    const c = this.topic(topic);
    c.bytesOut += bytes;
    c.messagesOut += records;
  }
}
