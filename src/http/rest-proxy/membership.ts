/**
 * A v2 consumer instance's membership of its Kafka group, as a classic member with the
 * `consumer` protocol (what a Java KafkaConsumer with `subscribe()` is): it joins through the
 * group's coordinator with its subscription, receives its share of the partitions, runs the
 * assignor when it is the group's leader, commits with its generation and member id (so a commit
 * from a member that lost its partitions is refused, as Kafka refuses it), and leaves the group
 * when the instance is deleted or expires. The group's other members (kafkajs, librdkafka, Java)
 * rebalance with it.
 */
import { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../protocol/consumer-protocol.js';
import { OffsetCommitApi } from '../../protocol/messages/index.js';
import { GroupMember } from '../schema-registry/group-member.js';
import { assign, ASSIGNORS } from './assignors.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface MembershipOptions {
  bootstrap: string;
  groupId: string;
  topics: readonly string[];
  /** Kafka's consumer defaults: session.timeout.ms 45000, heartbeat.interval.ms 3000, max.poll.interval.ms 300000. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** Before the partitions are taken away (commit what was consumed, when auto commit is on). */
  onRevoked: () => Promise<void>;
  onAssigned: (partitions: TopicPartition[]) => void;
  warn?: (msg: string, err?: unknown) => void;
}

export class GroupMembership {
  /** Its own connections: a records long poll on a shared one would hold up the heartbeats. */
  private readonly client: KafkaClient;
  private readonly member: GroupMember;
  private partitions: TopicPartition[] = [];

  constructor(private readonly o: MembershipOptions) {
    this.client = new KafkaClient({ bootstrap: o.bootstrap, clientId: `strand-rest-proxy-${o.groupId}` });
    const metadata = encodeSubscription({ topics: [...o.topics], userData: null }, 0);
    this.member = new GroupMember({
      client: this.client,
      groupId: o.groupId,
      protocolType: 'consumer',
      protocols: () => ASSIGNORS.map((name) => ({ name, metadata })),
      sessionTimeoutMs: o.sessionTimeoutMs ?? 45_000,
      rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 300_000,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 3000,
      assign: (protocol, members) => this.lead(protocol, members),
      onAssigned: (bytes) => {
        const { assignment } = decodeAssignment(bytes);
        this.partitions = assignment.assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
        o.onAssigned(this.partitions);
      },
      onRevoked: async () => {
        await o.onRevoked();
        this.partitions = [];
      },
      warn: o.warn,
    });
    this.member.start();
  }

  /** The partitions of the current generation ([] while joining). */
  assigned(): TopicPartition[] {
    return this.member.generation === null ? [] : this.partitions;
  }

  /** Commits as this member: generation and member id, at the group's coordinator. */
  async commit(offsets: ReadonlyArray<TopicPartition & { offset: number; metadata: string }>): Promise<void> {
    const g = this.member.generation;
    if (g === null) throw new KafkaResponseError(ErrorCode.REBALANCE_IN_PROGRESS, { api: 'OffsetCommit', resource: `group ${this.o.groupId}` }, 'the group is rebalancing');
    const byTopic = new Map<string, Array<TopicPartition & { offset: number; metadata: string }>>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    const res = await this.client.request(OffsetCommitApi, {
      groupId: this.o.groupId,
      generationIdOrMemberEpoch: g.generationId,
      memberId: g.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: p.metadata })),
      })),
    }, { nodeId: await this.member.coordinatorNode() });
    for (const t of res.topics) for (const p of t.partitions) KafkaResponseError.check(p.errorCode, { api: 'OffsetCommit', topic: t.name, partition: p.partitionIndex });
  }

  /** Leaves the group (after `onRevoked`) and closes its connections. */
  async close(): Promise<void> {
    await this.member.stop();
    await this.client.close();
  }

  private async lead(protocol: string, members: ReadonlyArray<{ memberId: string; metadata: Buffer }>): Promise<Map<string, Buffer>> {
    const subscriptions = members.map((m) => {
      let topics: string[] = [];
      try {
        topics = decodeSubscription(m.metadata).subscription.topics;
      } catch (err) {
        this.o.warn?.(`group ${this.o.groupId}: member ${m.memberId}'s subscription does not decode`, err);
      }
      return { memberId: m.memberId, topics };
    });
    const wanted = [...new Set(subscriptions.flatMap((s) => s.topics))];
    const meta = await this.client.metadata(wanted);
    const counts = new Map(meta.topics.filter((t) => t.error === null).map((t) => [t.name, t.partitions.length]));
    const plan = assign(protocol, subscriptions, counts);
    return new Map([...plan].map(([memberId, topics]) => [
      memberId,
      encodeAssignment({ assignedPartitions: [...topics].map(([topic, partitions]) => ({ topic, partitions })), userData: null }, 0),
    ]));
  }
}
