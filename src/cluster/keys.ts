/**
 * The key layout under a cluster's prefix (default `/strand/<cluster-id>/`):
 *
 *   brokers/<node.id>          BrokerRegistration, bound to the broker's session lease
 *   controller                 ControllerInfo, bound to the controller's session lease
 *   controller_epoch           the last controller epoch (a decimal number), never deleted
 *   topics/<name>              TopicRecord
 *   partitions/<topic>/<p>     PartitionState
 *   admin/shutdown/<node.id>   ControlledShutdownRecord, bound to that broker's session lease
 *   admin/reassignments/<topic>/<p>  ReassignmentRecord, while a reassignment is in progress
 *
 * Topic names cannot contain '/' (Kafka allows only [a-zA-Z0-9._-]), so the keys parse back.
 */
export class ClusterKeys {
  constructor(readonly prefix: string) {}

  static forCluster(clusterId: string, root = '/strand/'): ClusterKeys {
    return new ClusterKeys(`${root}${clusterId}/`);
  }

  get brokers(): string { return `${this.prefix}brokers/`; }
  get topics(): string { return `${this.prefix}topics/`; }
  get partitions(): string { return `${this.prefix}partitions/`; }
  get controller(): string { return `${this.prefix}controller`; }
  get controllerEpoch(): string { return `${this.prefix}controller_epoch`; }
  /** Requests the controller acts on (controlled shutdowns, reassignments): it watches this prefix. */
  get admin(): string { return `${this.prefix}admin/`; }
  get shutdowns(): string { return `${this.admin}shutdown/`; }
  get reassignments(): string { return `${this.admin}reassignments/`; }

  broker(nodeId: number): string { return `${this.brokers}${nodeId}`; }
  topic(name: string): string { return `${this.topics}${name}`; }
  partitionsOf(topic: string): string { return `${this.partitions}${topic}/`; }
  partition(topic: string, partition: number): string { return `${this.partitions}${topic}/${partition}`; }
  shutdown(nodeId: number): string { return `${this.shutdowns}${nodeId}`; }
  reassignment(topic: string, partition: number): string { return `${this.reassignments}${topic}/${partition}`; }

  /** What a key under the prefix is, or null for a key this layout does not know. */
  parse(key: string): ParsedKey | null {
    if (!key.startsWith(this.prefix)) return null;
    const rest = key.slice(this.prefix.length);
    if (rest === 'controller') return { kind: 'controller' };
    if (rest === 'controller_epoch') return { kind: 'controllerEpoch' };
    const parts = rest.split('/');
    if (parts[0] === 'brokers' && parts.length === 2 && /^\d+$/.test(parts[1]!)) return { kind: 'broker', nodeId: Number(parts[1]) };
    if (parts[0] === 'topics' && parts.length === 2 && parts[1]) return { kind: 'topic', topic: parts[1] };
    if (parts[0] === 'partitions' && parts.length === 3 && parts[1] && /^\d+$/.test(parts[2]!)) return { kind: 'partition', topic: parts[1], partition: Number(parts[2]) };
    if (parts[0] === 'admin' && parts[1] === 'shutdown' && parts.length === 3 && /^\d+$/.test(parts[2]!)) return { kind: 'shutdown', nodeId: Number(parts[2]) };
    if (parts[0] === 'admin' && parts[1] === 'reassignments' && parts.length === 4 && parts[2] && /^\d+$/.test(parts[3]!)) return { kind: 'reassignment', topic: parts[2], partition: Number(parts[3]) };
    return null;
  }
}

export type ParsedKey =
  | { kind: 'controller' }
  | { kind: 'controllerEpoch' }
  | { kind: 'broker'; nodeId: number }
  | { kind: 'topic'; topic: string }
  | { kind: 'partition'; topic: string; partition: number }
  | { kind: 'shutdown'; nodeId: number }
  | { kind: 'reassignment'; topic: string; partition: number };
