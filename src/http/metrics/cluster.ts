/**
 * Replication health (Kafka ReplicaManager and KafkaController gauges) and consumer lag, from
 * the broker's `replication` interface and group coordinator, computed at scrape time.
 *
 * ISR shrinks and expands are counted by comparing each led partition's ISR with the one the
 * previous scrape saw (the replication layer keeps no counters): a change that comes and goes
 * between two scrapes is not seen. On a single broker every figure here is 0.
 */
import type { Registry } from 'prom-client';
import type { HttpBroker } from '../server.js';
import { family } from './families.js';
import { consumerLag } from './lag.js';

interface ReplicationFigures {
  partitions: number;
  leaders: number;
  underReplicated: number;
  offline: number;
  underMinIsr: number;
}

class IsrWatch {
  shrinks = 0;
  expands = 0;
  private readonly last = new Map<string, ReadonlySet<number>>();

  /** Looks at every partition of the broker's topics; counts ISR changes since the last look. */
  scan(broker: HttpBroker): ReplicationFigures {
    const f: ReplicationFigures = { partitions: 0, leaders: 0, underReplicated: 0, offline: 0, underMinIsr: 0 };
    const seen = new Set<string>();
    const defaultMinIsr = Number(broker.config.raw('min.insync.replicas') ?? '1');
    for (const t of broker.topics.list()) {
      const minIsr = Number(t.configs.get('min.insync.replicas') ?? defaultMinIsr);
      for (let p = 0; p < t.partitions; p++) {
        const view = broker.replication.view(t.name, p);
        if (view === undefined) continue;
        if (view.leader === -1) f.offline++;
        if (broker.topics.log(t.name, p) !== null) f.partitions++;
        if (view.leader !== broker.nodeId) continue;
        f.leaders++;
        if (view.isr.length < view.replicas.length) f.underReplicated++;
        if (view.isr.length < minIsr) f.underMinIsr++;
        const key = `${t.name}\u0000${p}`;
        seen.add(key);
        const before = this.last.get(key);
        if (before !== undefined) {
          if (view.isr.some((r) => !before.has(r))) this.expands++;
          if ([...before].some((r) => !view.isr.includes(r))) this.shrinks++;
        }
        this.last.set(key, new Set(view.isr));
      }
    }
    for (const key of this.last.keys()) if (!seen.has(key)) this.last.delete(key);
    return f;
  }
}

export function registerClusterMetrics(registry: Registry, broker: () => HttpBroker | null): void {
  const watch = new IsrWatch();
  // One scan per scrape: the first family asks, the others read what it found.
  let figures: ReplicationFigures | null = null;
  const gauge = (name: string, help: string, pick: (f: ReplicationFigures) => number): void => {
    family(registry, name, help, 'gauge', () => {
      const b = broker();
      if (b === null) return [];
      if (name === 'strand_partitions' || figures === null) figures = watch.scan(b);
      return [{ value: pick(figures) }];
    });
  };
  gauge('strand_partitions', 'Partitions with a replica on this broker (Kafka PartitionCount)', (f) => f.partitions);
  gauge('strand_leader_partitions', 'Partitions this broker leads (Kafka LeaderCount)', (f) => f.leaders);
  gauge('strand_under_replicated_partitions', 'Led partitions whose ISR is smaller than their replicas (Kafka UnderReplicatedPartitions)', (f) => f.underReplicated);
  gauge('strand_under_min_isr_partitions', 'Led partitions whose ISR is below min.insync.replicas (Kafka UnderMinIsrPartitionCount)', (f) => f.underMinIsr);
  gauge('strand_offline_partitions', 'Partitions without a leader (Kafka OfflinePartitionsCount)', (f) => f.offline);
  family(registry, 'strand_isr_shrinks_total', 'ISR shrinks of led partitions seen between scrapes (Kafka IsrShrinksPerSec)', 'counter', () => (broker() === null ? [] : [{ value: watch.shrinks }]));
  family(registry, 'strand_isr_expands_total', 'ISR expands of led partitions seen between scrapes (Kafka IsrExpandsPerSec)', 'counter', () => (broker() === null ? [] : [{ value: watch.expands }]));
  family(registry, 'strand_consumer_group_lag', 'Partition end (high watermark) minus the committed offset, per group and partition', 'gauge', () => {
    const b = broker();
    return b === null ? [] : consumerLag(b).filter((l) => l.lag >= 0).map((l) => ({ labels: { group: l.group, topic: l.topic, partition: l.partition }, value: l.lag }));
  });
  family(registry, 'strand_consumer_group_committed_offset', 'Committed offset, per group and partition', 'gauge', () => {
    const b = broker();
    return b === null ? [] : consumerLag(b).map((l) => ({ labels: { group: l.group, topic: l.topic, partition: l.partition }, value: l.committed }));
  });
}
