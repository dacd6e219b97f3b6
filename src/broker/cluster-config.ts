/**
 * The broker settings of cluster mode, with Kafka's names and defaults where Kafka has the
 * setting. `cluster.etcd` is strand's own: where the cluster's metadata store is.
 */
/** Kafka's replica selector that sends consumers to a replica in their rack (KIP-392). */
export const RACK_AWARE_REPLICA_SELECTOR = 'org.apache.kafka.common.replica.RackAwareReplicaSelector';

export const CLUSTER_CONFIG = {
  'cluster.etcd': { kind: 'string', default: '', doc: 'strand only: etcd://HOST:PORT[,HOST:PORT] of the cluster metadata store (strand broker --cluster); empty runs a single broker' },
  'broker.rack': { kind: 'string', default: '', doc: 'rack of this broker; replicas of a partition go to distinct racks when they can' },
  'broker.session.timeout.ms': { kind: 'int', default: '9000', min: 1000, doc: 'a broker not heard from this long leaves the cluster (its etcd lease TTL, rounded up to seconds)' },
  'replica.selector.class': { kind: 'string', default: '', oneOf: [RACK_AWARE_REPLICA_SELECTOR, 'org.apache.kafka.common.replica.LeaderSelector'], doc: 'KIP-392: with RackAwareReplicaSelector a leader sends a consumer that gives its client.rack to a replica in that rack that has what it asks for (fetching from the closest replica); unset, consumers read from leaders' },
  'num.replica.fetchers': { kind: 'int', default: '1', min: 1, doc: 'fetcher connections per source broker; partitions are spread over them' },
  'replica.lag.time.max.ms': { kind: 'long', default: '30000', min: 1, doc: 'a follower not caught up this long leaves the ISR' },
  'replica.fetch.max.bytes': { kind: 'int', default: '1048576', min: 0, doc: 'bytes a follower asks for per partition' },
  'replica.fetch.response.max.bytes': { kind: 'int', default: '10485760', min: 0, doc: 'bytes a follower asks for per fetch' },
  'replica.fetch.wait.max.ms': { kind: 'int', default: '500', min: 0, doc: 'how long a follower fetch waits at the leader for data' },
  'replica.fetch.backoff.ms': { kind: 'int', default: '1000', min: 0, doc: 'pause after a follower fetch fails' },
  'replica.socket.timeout.ms': { kind: 'int', default: '30000', min: 1, doc: 'a follower request unanswered this long fails' },
  'min.insync.replicas': { kind: 'int', default: '1', min: 1, doc: 'in-sync replicas an acks=all write needs (topics: min.insync.replicas)' },
  'unclean.leader.election.enable': { kind: 'bool', default: 'false', doc: 'whether a replica out of the ISR may become leader, losing data (topics: unclean.leader.election.enable)' },
  'offsets.topic.replication.factor': { kind: 'int', default: '3', min: 1, doc: 'replication factor of __consumer_offsets in a cluster (capped at the live brokers when it is created)' },
  'transaction.state.log.replication.factor': { kind: 'int', default: '3', min: 1, doc: 'replication factor of __transaction_state in a cluster (capped at the live brokers when it is created)' },
  'transaction.state.log.min.isr': { kind: 'int', default: '2', min: 1, doc: 'min.insync.replicas of __transaction_state in a cluster (capped at its replication factor): a transaction state write waits for this many in-sync replicas' },
  'controlled.shutdown.enable': { kind: 'bool', default: 'true', doc: 'a graceful stop first moves leadership away and leaves the ISRs (controlled shutdown)' },
  'controlled.shutdown.max.retries': { kind: 'int', default: '3', min: 0, doc: 'controlled shutdown waits at most this many rounds of controlled.shutdown.retry.backoff.ms for the controller, then stops anyway' },
  'controlled.shutdown.retry.backoff.ms': { kind: 'long', default: '5000', min: 0, doc: 'length of one round of waiting in a controlled shutdown' },
  'auto.leader.rebalance.enable': { kind: 'bool', default: 'true', doc: 'the controller gives leadership back to preferred replicas when a broker\'s imbalance exceeds leader.imbalance.per.broker.percentage' },
  'leader.imbalance.check.interval.seconds': { kind: 'long', default: '300', min: 1, doc: 'how often the controller checks the leader imbalance' },
  'leader.imbalance.per.broker.percentage': { kind: 'int', default: '10', min: 0, doc: 'share of a broker\'s preferred partitions led elsewhere (percent) that triggers a rebalance' },
  'leader.replication.throttled.rate': { kind: 'long', default: '9223372036854775807', min: 0, doc: 'bytes/s a leader sends to replicas that are being added by a reassignment (not yet in the ISR); when used up, their fetches of those partitions are answered without records' },
  'follower.replication.throttled.rate': { kind: 'long', default: '9223372036854775807', min: 0, doc: 'bytes/s a follower fetches for the partitions it is being added to by a reassignment' },
} as const;
