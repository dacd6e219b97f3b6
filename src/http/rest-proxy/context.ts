/** What the REST Proxy's routes share: the Kafka client, the consumer instances, the schema codecs. */
import { KafkaClient } from '../../client/client.js';
import type { TopicInfo } from '../../client/core.js';
import type { RegistryHandle } from '../schema-registry/shared.js';
import type { ConsumerInstance } from './consumer.js';
import { consumerInstanceNotFound, topicNotFound } from './errors.js';
import { SchemaCodecs } from './formats.js';

export const KAFKA_V2_JSON = 'application/vnd.kafka.v2+json';

export class ProxyContext {
  readonly consumers = new Map<string, ConsumerInstance>();
  private codecs: { registry: unknown; codecs: SchemaCodecs } | null = null;

  private kafka: KafkaClient | null = null;

  constructor(readonly bootstrap: () => string, readonly registry: RegistryHandle, readonly warn: (msg: string, err?: unknown) => void = () => undefined) {}

  /** The proxy's Kafka client, made on first use (when the broker's address is known). */
  get client(): KafkaClient {
    this.kafka ??= new KafkaClient({ bootstrap: this.bootstrap(), clientId: 'strand-rest-proxy' });
    return this.kafka;
  }

  async close(): Promise<void> {
    const instances = [...this.consumers.values()];
    this.consumers.clear();
    await Promise.all(instances.map((c) => c.close()));
    await this.kafka?.close();
  }

  /** The topic's metadata, or Confluent's 40401 when the broker does not know it. */
  async topic(name: string): Promise<TopicInfo> {
    const meta = await this.client.metadata([name]);
    const t = meta.topics.find((x) => x.name === name);
    if (t === undefined || t.error !== null) throw topicNotFound();
    return t;
  }

  async schemaCodecs(): Promise<SchemaCodecs> {
    const registry = await this.registry.get();
    if (this.codecs?.registry !== registry) this.codecs = { registry, codecs: new SchemaCodecs(registry) };
    return this.codecs.codecs;
  }

  consumer(group: string, name: string): ConsumerInstance {
    const c = this.consumers.get(`${group}\0${name}`);
    if (c === undefined) throw consumerInstanceNotFound();
    return c;
  }
}
