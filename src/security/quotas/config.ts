/** The broker settings of client and connection quotas and request limits, under Kafka's names and defaults (merged into BROKER_CONFIG). */
const MAX_INT = '2147483647';

export const QUOTA_CONFIG: Readonly<Record<string, { kind: 'int' | 'string'; default: string; min?: number; doc: string }>> = {
  'quota.window.num': { kind: 'int', default: '11', min: 1, doc: 'samples a client quota rate is measured over' },
  'quota.window.size.seconds': { kind: 'int', default: '1', min: 1, doc: 'length of each sample of a client quota rate' },
  'max.connections': { kind: 'int', default: MAX_INT, min: 0, doc: 'connections the broker holds at once; past it new connections wait to be read (listener.name.<l>.max.connections per listener)' },
  'max.connections.per.ip': { kind: 'int', default: MAX_INT, min: 0, doc: 'connections from one address; past it new ones are closed' },
  'max.connections.per.ip.overrides': { kind: 'string', default: '', doc: 'per address or host limits, e.g. 127.0.0.1:10,10.0.0.5:100' },
  'max.connection.creation.rate': { kind: 'int', default: MAX_INT, min: 0, doc: 'new connections per second the broker accepts (listener.name.<l>.max.connection.creation.rate per listener); past it accepting is delayed' },
  'max.request.partition.size.limit': { kind: 'int', default: '10000', min: 1, doc: 'partitions one request may name (Kafka: DescribeTopicPartitions only, default 2000; strand: also Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, DeleteRecords, OffsetCommit, TxnOffsetCommit, and a request above it closes its connection)' },
};
