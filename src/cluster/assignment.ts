/**
 * Replica assignment for new topics, Kafka's algorithm (AdminUtils.assignReplicasToBrokers,
 * rack-aware and rack-unaware): leaders go round-robin over the brokers, the second replica is
 * shifted by a step that grows every time the partitions have gone once round the brokers, and
 * with racks the brokers are first ordered so that consecutive ones sit on different racks and a
 * replica is placed on a rack that has none yet whenever one is left.
 *
 * Kafka starts at a random broker; here `startIndex` is given (the controller derives it from
 * the topic name), so an assignment is reproducible.
 */
import type { BrokerRegistration } from './types.js';

export type BrokerRack = Pick<BrokerRegistration, 'nodeId' | 'rack'>;

/** Replicas of partitions 0..numPartitions-1; throws if replicationFactor exceeds the brokers (callers check first). */
export function assignReplicas(numPartitions: number, replicationFactor: number, brokers: readonly BrokerRack[], startIndex = 0, replicaShift = startIndex): number[][] {
  if (replicationFactor < 1 || replicationFactor > brokers.length) throw new RangeError(`replication factor ${replicationFactor} with ${brokers.length} broker(s)`);
  // Kafka refuses a mix of racked and unracked brokers; strand falls back to the rack-unaware
  // algorithm, which is what Kafka does with --disable-rack-aware.
  const racked = brokers.every((b) => b.rack !== null && b.rack !== '');
  return racked ? rackAware(numPartitions, replicationFactor, brokers, startIndex, replicaShift) : rackUnaware(numPartitions, replicationFactor, brokers, startIndex, replicaShift);
}

function replicaIndex(firstReplicaIndex: number, secondReplicaShift: number, index: number, nBrokers: number): number {
  const shift = 1 + ((secondReplicaShift + index) % (nBrokers - 1));
  return (firstReplicaIndex + shift) % nBrokers;
}

function rackUnaware(numPartitions: number, rf: number, brokers: readonly BrokerRack[], startIndex: number, shift0: number): number[][] {
  const ids = brokers.map((b) => b.nodeId).sort((a, b) => a - b);
  const n = ids.length;
  const out: number[][] = [];
  let shift = shift0 % n;
  for (let p = 0; p < numPartitions; p++) {
    if (p > 0 && p % n === 0) shift += 1;
    const first = (p + startIndex) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < rf - 1; j++) replicas.push(ids[replicaIndex(first, shift, j, n)]!);
    out.push(replicas);
  }
  return out;
}

/** Brokers ordered rack by rack in turn (racks sorted, brokers sorted within a rack): a1, b1, c1, a2, b2, ... */
export function rackAlternatedBrokers(brokers: readonly BrokerRack[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of brokers) {
    const list = byRack.get(b.rack!) ?? [];
    list.push(b.nodeId);
    byRack.set(b.rack!, list);
  }
  const racks = [...byRack.keys()].sort();
  const lists = racks.map((r) => byRack.get(r)!.sort((a, b) => a - b));
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]!);
  }
  return out;
}

function rackAware(numPartitions: number, rf: number, brokers: readonly BrokerRack[], startIndex: number, shift0: number): number[][] {
  const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack!]));
  const numRacks = new Set(rackOf.values()).size;
  const arranged = rackAlternatedBrokers(brokers);
  const n = arranged.length;
  const out: number[][] = [];
  let shift = shift0 % n;
  for (let p = 0; p < numPartitions; p++) {
    if (p > 0 && p % n === 0) shift += 1;
    const first = (p + startIndex) % n;
    const leader = arranged[first]!;
    const replicas = [leader];
    const racksWithReplicas = new Set([rackOf.get(leader)!]);
    const brokersWithReplicas = new Set([leader]);
    let k = 0;
    while (replicas.length < rf) {
      const broker = arranged[replicaIndex(first, shift * numRacks, k, n)]!;
      const rack = rackOf.get(broker)!;
      // Skip a broker whose rack already holds a replica while some rack holds none, and a broker
      // that already holds one while some broker holds none (Kafka's two rules).
      if ((!racksWithReplicas.has(rack) || racksWithReplicas.size === numRacks) && (!brokersWithReplicas.has(broker) || brokersWithReplicas.size === n)) {
        replicas.push(broker);
        racksWithReplicas.add(rack);
        brokersWithReplicas.add(broker);
      }
      k++;
    }
    out.push(replicas);
  }
  return out;
}

/** A start index derived from the topic name (FNV-1a), so topics' leaders do not all start on one broker. */
export function topicStartIndex(topic: string, numBrokers: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) h = Math.imul(h ^ topic.charCodeAt(i), 0x01000193) >>> 0;
  return h % numBrokers;
}
