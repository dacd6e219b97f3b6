/**
 * node-rdkafka (librdkafka 2.12, built from the source it bundles) in tests, with promises.
 * Imported statically on purpose: when the addon cannot load, every test file using it fails at
 * import, loudly, instead of skipping.
 */
import Kafka from 'node-rdkafka';
import { sleep } from './until.js';

export { Kafka };
export type Message = Kafka.Message;

/** A handful of defaults that keep librdkafka quick against a broker on loopback. */
const quick = { 'socket.timeout.ms': 10_000, 'topic.metadata.refresh.interval.ms': 1000, 'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500 };

export async function connectProducer(bootstrap: string, config: Kafka.ProducerGlobalConfig = {}): Promise<Kafka.Producer> {
  const p = new Kafka.Producer({ 'bootstrap.servers': bootstrap, 'linger.ms': 1, ...quick, ...config });
  await new Promise<void>((resolve, reject) => p.connect({}, (err) => (err ? reject(err) : resolve())));
  p.setPollInterval(20);
  return p;
}

export async function connectConsumer(bootstrap: string, config: Kafka.ConsumerGlobalConfig, topicConfig: Kafka.ConsumerTopicConfig = {}): Promise<Kafka.KafkaConsumer> {
  const c = new Kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'fetch.wait.max.ms': 50, ...quick, ...config }, { 'auto.offset.reset': 'earliest', ...topicConfig });
  await new Promise<void>((resolve, reject) => c.connect({}, (err) => (err ? reject(err) : resolve())));
  return c;
}

export const disconnect = (client: Kafka.Producer | Kafka.KafkaConsumer): Promise<void> =>
  new Promise((resolve) => {
    if (!client.isConnected()) return resolve();
    client.disconnect(() => resolve());
  });

/** One non-flowing consume call of up to `n` messages. */
export const consumeOnce = (c: Kafka.KafkaConsumer, n = 100): Promise<Kafka.Message[]> =>
  new Promise((resolve, reject) => c.consume(n, (err, messages) => (err ? reject(err) : resolve(messages))));

/** Consumes until `count` messages have arrived, then keeps polling `quietMs` more to catch any extra; throws after `timeoutMs`. */
export async function consumeCount(c: Kafka.KafkaConsumer, count: number, timeoutMs = 30_000, quietMs = 500): Promise<Kafka.Message[]> {
  const seen: Kafka.Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (seen.length < count) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seen.length} of ${count} messages`);
    seen.push(...(await consumeOnce(c)));
  }
  const quietEnd = Date.now() + quietMs;
  while (Date.now() < quietEnd) {
    seen.push(...(await consumeOnce(c)));
    await sleep(20);
  }
  return seen;
}

/** Calls a node-rdkafka method that ends with a node-style callback. */
export const call = (fn: (cb: (err: Kafka.LibrdKafkaError | null | undefined) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));

export const committed = (c: Kafka.KafkaConsumer, partitions: Kafka.TopicPartition[]): Promise<Kafka.TopicPartitionOffset[]> =>
  new Promise((resolve, reject) => c.committed(partitions, 5000, (err, tps) => (err ? reject(err) : resolve(tps))));

export const valueOf = (m: Kafka.Message): string => m.value?.toString() ?? '';
