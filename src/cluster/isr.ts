/**
 * AlterPartition: a leader's request for a new ISR, checked in the order Kafka's controller
 * checks it (ReplicationControlManager.validateAlterPartitionData) and written with one etcd
 * transaction that compares the partition key's mod revision (the partition epoch it was checked
 * against) and the registration of every ISR member (still the session that was checked alive).
 * etcd is the arbiter here, as the controller is in Kafka: a stale request loses the compare.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { keyOf, readPrefix } from './etcd-client.js';
import { FencedLeaderEpochError, IneligibleReplicaError, InvalidIsrRequestError, InvalidUpdateVersionError, UnknownTopicOrPartitionError } from './errors.js';
import type { ClusterKeys } from './keys.js';
import { decodeBroker, decodePartition, encodePartition } from './records.js';
import type { PartitionState } from './types.js';

export interface IsrChange {
  brokerId: number;
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
}

export async function alterPartition(client: Etcd3, keys: ClusterKeys, req: IsrChange): Promise<PartitionState> {
  const { topic, partition } = req;
  const key = keys.partition(topic, partition);
  const kv = (await client.get(key).exec()).kvs[0] as IKeyValue | undefined;
  if (!kv) throw new UnknownTopicOrPartitionError(topic, partition);
  const state = decodePartition(kv);
  if (req.leaderEpoch !== state.leaderEpoch) throw new FencedLeaderEpochError(topic, partition, req.leaderEpoch, state.leaderEpoch);
  if (req.brokerId !== state.leader) throw new InvalidIsrRequestError(topic, partition, `broker ${req.brokerId} is not the leader (the leader is ${state.leader})`);
  if (req.partitionEpoch !== state.partitionEpoch) throw new InvalidUpdateVersionError(topic, partition, req.partitionEpoch, state.partitionEpoch);
  const newIsr = [...new Set(req.newIsr)];
  if (!newIsr.includes(state.leader)) throw new InvalidIsrRequestError(topic, partition, `the new ISR [${newIsr.join(', ')}] does not contain the leader ${state.leader}`);
  const registrations = new Map<number, IKeyValue>();
  for (const b of (await readPrefix(client, keys.brokers)).kvs) registrations.set(decodeBroker(b).nodeId, b);
  // A broker in controlled shutdown may not join an ISR (KRaft: INELIGIBLE_REPLICA), so the
  // controller's moving it out is not undone by its leader.
  const shutting = new Set((await readPrefix(client, keys.shutdowns)).kvs.map((kv) => keys.parse(keyOf(kv))).flatMap((k) => (k?.kind === 'shutdown' ? [k.nodeId] : [])));
  // An observer never joins the ISR (placement.ts).
  const ineligible = newIsr.filter((b) => !state.replicas.includes(b) || (state.observers ?? []).includes(b) || !registrations.has(b) || (shutting.has(b) && !state.isr.includes(b)));
  if (ineligible.length > 0) throw new IneligibleReplicaError(topic, partition, ineligible);

  const next: PartitionState = { ...state, isr: newIsr, partitionEpoch: state.partitionEpoch + 1 };
  let txn = client.if(key, 'Mod', '==', Number(kv.mod_revision));
  for (const b of newIsr) txn = txn.and(keyOf(registrations.get(b)!), 'Mod', '==', Number(registrations.get(b)!.mod_revision));
  const res = await txn.then(client.put(key).value(encodePartition(next))).else(client.get(key)).commit();
  if (res.succeeded) return next;
  // Lost a race: tell the leader what changed, in the same terms as if it had been seen first.
  const now = res.responses[0]?.response_range?.kvs[0] as IKeyValue | undefined;
  if (!now) throw new UnknownTopicOrPartitionError(topic, partition);
  const current = decodePartition(now);
  if (current.leaderEpoch !== req.leaderEpoch) throw new FencedLeaderEpochError(topic, partition, req.leaderEpoch, current.leaderEpoch);
  if (current.partitionEpoch !== req.partitionEpoch) throw new InvalidUpdateVersionError(topic, partition, req.partitionEpoch, current.partitionEpoch);
  throw new IneligibleReplicaError(topic, partition, newIsr);
}
