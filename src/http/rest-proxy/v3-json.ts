/** Confluent REST Proxy v3's resource shapes: `kind`, `metadata.self` and `resource_name`, `related` links. */
import type { BrokerInfo, PartitionInfo, TopicInfo } from '../../client/core.js';
import type { ConfigEntry } from '../../client/admin.js';

export class V3Links {
  constructor(readonly base: string, readonly clusterId: string) {}

  url(path = ''): string {
    return `${this.base}/v3/clusters/${this.clusterId}${path}`;
  }

  resource(path = ''): string {
    return `crn:///kafka=${this.clusterId}${path}`;
  }

  related(path: string): { related: string } {
    return { related: this.url(path) };
  }

  list(kind: string, path: string, data: unknown[]): Record<string, unknown> {
    return { kind: `${kind}List`, metadata: { self: this.url(path), next: null }, data };
  }

  cluster(controller: number): Record<string, unknown> {
    return {
      kind: 'KafkaCluster',
      metadata: { self: this.url(), resource_name: this.resource() },
      cluster_id: this.clusterId,
      controller: controller >= 0 ? this.related(`/brokers/${controller}`) : null,
      acls: this.related('/acls'),
      brokers: this.related('/brokers'),
      broker_configs: this.related('/broker-configs'),
      consumer_groups: this.related('/consumer-groups'),
      topics: this.related('/topics'),
      partition_reassignments: this.related('/topics/-/partitions/-/reassignment'),
    };
  }

  broker(b: BrokerInfo): Record<string, unknown> {
    return {
      kind: 'KafkaBroker',
      metadata: { self: this.url(`/brokers/${b.nodeId}`), resource_name: this.resource(`/broker=${b.nodeId}`) },
      cluster_id: this.clusterId,
      broker_id: b.nodeId,
      host: b.host,
      port: b.port,
      rack: b.rack,
      configs: this.related(`/brokers/${b.nodeId}/configs`),
      partition_replicas: this.related(`/brokers/${b.nodeId}/partition-replicas`),
    };
  }

  topic(t: TopicInfo): Record<string, unknown> {
    const path = `/topics/${t.name}`;
    return {
      kind: 'KafkaTopic',
      metadata: { self: this.url(path), resource_name: this.resource(`/topic=${t.name}`) },
      cluster_id: this.clusterId,
      topic_name: t.name,
      is_internal: t.internal,
      replication_factor: t.partitions[0]?.replicas.length ?? 0,
      partitions_count: t.partitions.length,
      partitions: this.related(`${path}/partitions`),
      configs: this.related(`${path}/configs`),
      partition_reassignments: this.related(`${path}/partitions/-/reassignment`),
      authorized_operations: [],
    };
  }

  partition(topic: string, p: PartitionInfo): Record<string, unknown> {
    const path = `/topics/${topic}/partitions/${p.partition}`;
    return {
      kind: 'KafkaPartition',
      metadata: { self: this.url(path), resource_name: this.resource(`/topic=${topic}/partition=${p.partition}`) },
      cluster_id: this.clusterId,
      topic_name: topic,
      partition_id: p.partition,
      leader: p.leader >= 0 ? this.related(`${path}/replicas/${p.leader}`) : null,
      replicas: this.related(`${path}/replicas`),
      reassignment: this.related(`${path}/reassignment`),
    };
  }

  topicConfig(topic: string, c: ConfigEntry): Record<string, unknown> {
    return {
      kind: 'KafkaTopicConfig',
      metadata: { self: this.url(`/topics/${topic}/configs/${c.name}`), resource_name: this.resource(`/topic=${topic}/config=${c.name}`) },
      cluster_id: this.clusterId,
      topic_name: topic,
      name: c.name,
      value: c.sensitive ? null : c.value,
      is_default: c.isDefault,
      is_read_only: c.readOnly,
      is_sensitive: c.sensitive,
      source: c.source,
      synonyms: [],
    };
  }
}
