/**
 * A transactional id's state as the coordinator keeps it (Kafka's TransactionMetadata), and the
 * transaction states with their ids in the log and names in the admin APIs:
 *
 *   Empty -> Ongoing            first AddPartitionsToTxn / AddOffsetsToTxn of a transaction
 *   Ongoing -> PrepareCommit | PrepareAbort     EndTxn, a timeout, or a fencing InitProducerId
 *   Prepare* -> Complete*       once every partition has its marker
 *   Complete* | Empty -> Empty  InitProducerId (new epoch)
 *   Complete* | Empty -> Ongoing                the next transaction
 *   -> Dead                     the transactional id expired (a tombstone in the log)
 */
import type { TxnLogValue } from './records.js';

export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnState = (typeof TxnState)[keyof typeof TxnState];

/** Names as Kafka's ListTransactions / DescribeTransactions report them. */
export const TXN_STATE_NAMES: Readonly<Record<TxnState, string>> = {
  0: 'Empty',
  1: 'Ongoing',
  2: 'PrepareCommit',
  3: 'PrepareAbort',
  4: 'CompleteCommit',
  5: 'CompleteAbort',
  6: 'Dead',
  7: 'PrepareEpochFence',
};

export function txnStateFromName(name: string): TxnState | undefined {
  for (const [id, n] of Object.entries(TXN_STATE_NAMES)) if (n === name) return Number(id) as TxnState;
  return undefined;
}

/** Producer epochs are int16; Kafka rotates the producer id before the last one. */
export const MAX_EPOCH = 32767;

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_EPOCH - 1;
}

export interface TxnMetadata {
  readonly transactionalId: string;
  producerId: number;
  /** The producer id before the last rotation (-1 if none). */
  lastProducerId: number;
  producerEpoch: number;
  /** The epoch before the last bump, for recognising a retried InitProducerId (in memory only, as in Kafka). */
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  /** Partitions in the current transaction: topic -> partition ids. */
  partitions: Map<string, Set<number>>;
  /** When the current transaction started (-1 outside one). */
  startTimestamp: number;
  lastUpdateTimestamp: number;
}

export function partitionList(m: TxnMetadata): Array<{ topic: string; partitions: number[] }> {
  return [...m.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }));
}

export function hasPartition(m: TxnMetadata, topic: string, partition: number): boolean {
  return m.partitions.get(topic)?.has(partition) ?? false;
}

export function partitionCount(m: TxnMetadata): number {
  let n = 0;
  for (const ps of m.partitions.values()) n += ps.size;
  return n;
}

/** The log value of a state. */
export function toLogValue(m: TxnMetadata): TxnLogValue {
  return {
    producerId: m.producerId,
    previousProducerId: m.lastProducerId,
    producerEpoch: m.producerEpoch,
    timeoutMs: m.timeoutMs,
    status: m.state,
    partitions: m.state === TxnState.Empty ? null : partitionList(m),
    lastUpdateTimestamp: m.lastUpdateTimestamp,
    startTimestamp: m.startTimestamp,
  };
}

export function fromLogValue(transactionalId: string, v: TxnLogValue): TxnMetadata {
  const partitions = new Map<string, Set<number>>();
  if (v.status !== TxnState.Empty) {
    for (const t of v.partitions ?? []) {
      let set = partitions.get(t.topic);
      if (set === undefined) partitions.set(t.topic, (set = new Set()));
      for (const p of t.partitions) set.add(p);
    }
  }
  return {
    transactionalId,
    producerId: v.producerId,
    lastProducerId: v.previousProducerId,
    producerEpoch: v.producerEpoch,
    lastProducerEpoch: -1,
    timeoutMs: v.timeoutMs,
    state: v.status as TxnState,
    partitions,
    startTimestamp: v.startTimestamp,
    lastUpdateTimestamp: v.lastUpdateTimestamp,
  };
}
