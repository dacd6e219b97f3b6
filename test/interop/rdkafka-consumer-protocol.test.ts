import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { call, committed, connectConsumer, connectProducer, consumeOnce, disconnect, Kafka, valueOf } from '../helpers/rdkafka.js';
import { sleep, until } from '../helpers/until.js';
import { describe as describeGroup, listGroups, RawClient } from '../broker/groups/consumer-client.js';

const TOPIC = 'kip848';
const PARTITIONS = 6;

interface Seen {
  member: string;
  partition: number;
  offset: number;
  value: string;
}

/** A consumer of the next-generation protocol (`group.protocol=consumer`) with a consume loop that commits what it processed. */
class Member {
  readonly events: Array<{ kind: 'assign' | 'revoke'; partitions: number[] }> = [];
  private running = true;
  private loop: Promise<void> = Promise.resolve();

  private constructor(readonly name: string, readonly consumer: Kafka.KafkaConsumer) {}

  static async start(name: string, bootstrap: string, seen: Seen[], extra: Kafka.ConsumerGlobalConfig = {}): Promise<Member> {
    let self: Member | undefined;
    const consumer = await connectConsumer(bootstrap, {
      'group.id': 'kip848-app',
      'group.protocol': 'consumer',
      'enable.auto.commit': false,
      'client.id': name,
      rebalance_cb: true,
      ...extra,
    } as Kafka.ConsumerGlobalConfig);
    self = new Member(name, consumer);
    consumer.on('rebalance', (err, assignment) => {
      const kind = err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS ? 'assign' : 'revoke';
      self!.events.push({ kind, partitions: assignment.map((a) => a.partition).sort((a, b) => a - b) });
    });
    consumer.setDefaultConsumeTimeout(100);
    consumer.subscribe([TOPIC]);
    self.loop = self.run(seen);
    return self;
  }

  private async run(seen: Seen[]): Promise<void> {
    while (this.running) {
      const messages = await consumeOnce(this.consumer, 50).catch(() => []);
      if (messages.length === 0) continue;
      const next = new Map<number, number>();
      for (const m of messages) {
        seen.push({ member: this.name, partition: m.partition, offset: m.offset, value: valueOf(m) });
        next.set(m.partition, m.offset + 1);
      }
      this.consumer.commit([...next].map(([partition, offset]) => ({ topic: TOPIC, partition, offset })));
    }
  }

  assigned(): number[] {
    return this.consumer.assignments().map((a) => a.partition).sort((a, b) => a - b);
  }

  /** Stops consuming once every offset it took is committed, then leaves the group. */
  async leave(expected: Map<number, number>): Promise<void> {
    this.running = false;
    await this.loop;
    const mine = this.assigned().map((partition) => ({ topic: TOPIC, partition }));
    if (mine.length > 0) {
      await until(`${this.name}'s commits`, async () => (await committed(this.consumer, mine)).every((tp) => tp.offset === expected.get(tp.partition)));
    }
    await disconnect(this.consumer);
  }
}

describe('librdkafka 2.12 with group.protocol=consumer (KIP-848) against strand', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strand-kip848-'));
  const config = { 'offsets.topic.num.partitions': '3', 'group.consumer.heartbeat.interval.ms': '300' };
  let broker: RunningBroker;

  const produce = async (perPartition: number, tag: string) => {
    const p = await connectProducer(broker.bootstrap);
    for (let partition = 0; partition < PARTITIONS; partition++) for (let i = 0; i < perPartition; i++) p.produce(TOPIC, partition, Buffer.from(`${tag}-${partition}-${i}`));
    await call((cb) => p.flush(10_000, cb));
    await disconnect(p);
  };
  const expectedValues = (perPartition: number, tag: string) => {
    const out: string[] = [];
    for (let partition = 0; partition < PARTITIONS; partition++) for (let i = 0; i < perPartition; i++) out.push(`${tag}-${partition}-${i}`);
    return out.sort();
  };

  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', dataDir, config });
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await admin.disconnect();
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('three members share the partitions, one leaves and only its partitions move, every record is consumed once, and the offsets survive a restart', async () => {
    const seen: Seen[] = [];
    const c1 = await Member.start('c1', broker.bootstrap, seen, { 'group.remote.assignor': 'uniform' } as Kafka.ConsumerGlobalConfig);
    const c2 = await Member.start('c2', broker.bootstrap, seen);
    const c3 = await Member.start('c3', broker.bootstrap, seen);
    const members = [c1, c2, c3];
    await until('two partitions each', () => members.every((m) => m.assigned().length === 2), 30_000);
    expect(members.flatMap((m) => m.assigned()).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // The group is a KIP-848 group: three joins made group epoch 3, reconciled by everyone.
    const raw = await RawClient.open(broker.bootstrap);
    const group = await until('a stable group', async () => {
      const d = await describeGroup(raw, 'kip848-app');
      return d.state === 'Stable' ? d : null;
    });
    expect([group.groupEpoch, group.assignmentEpoch, group.assignor, Object.values(group.members).map((m) => m.epoch)]).toEqual([3, 3, 'uniform', [3, 3, 3]]);
    expect(await listGroups(raw)).toEqual([{ groupId: 'kip848-app', protocolType: 'consumer', groupState: 'Stable', groupType: 'consumer' }]);
    raw.socket.destroy();
    // Incremental: c1 only ever gave up partitions it held, and never all of them at once.
    expect(c1.events.filter((e) => e.kind === 'revoke').every((e) => e.partitions.length < 6)).toBe(true);

    await produce(50, 'first');
    await until('the first 300 records', () => seen.length >= 300, 30_000);

    // c3 leaves; c1 and c2 keep what they have and each take one of c3's partitions, never revoking anything.
    const before = { c1: c1.assigned(), c2: c2.assigned(), c3: c3.assigned() };
    const revokes = { c1: c1.events.filter((e) => e.kind === 'revoke').length, c2: c2.events.filter((e) => e.kind === 'revoke').length };
    await c3.leave(new Map(before.c3.map((p) => [p, 50])));
    await until('c3\'s partitions move', () => c1.assigned().length === 3 && c2.assigned().length === 3, 30_000);
    expect(before.c1.every((p) => c1.assigned().includes(p))).toBe(true);
    expect(before.c2.every((p) => c2.assigned().includes(p))).toBe(true);
    expect([...c1.assigned(), ...c2.assigned()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(c1.events.filter((e) => e.kind === 'revoke').length).toBe(revokes.c1);
    expect(c2.events.filter((e) => e.kind === 'revoke').length).toBe(revokes.c2);

    await produce(50, 'second');
    await until('all 600 records', () => seen.length >= 600, 30_000);
    await sleep(1000);
    // Exactly once: no offset twice, nothing missing.
    expect(seen.length).toBe(600);
    expect(new Set(seen.map((s) => `${s.partition}:${s.offset}`)).size).toBe(600);
    expect(seen.map((s) => s.value).sort()).toEqual([...expectedValues(50, 'first'), ...expectedValues(50, 'second')].sort());
    expect(seen.filter((s) => s.value.startsWith('second') && s.member === 'c3')).toEqual([]);

    const all = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition }));
    const done = new Map(all.map((tp) => [tp.partition, 100]));
    await until('commits of 100 per partition', async () => (await committed(c1.consumer, all)).every((tp) => tp.offset === 100));
    await c1.leave(done);
    await c2.leave(done);

    // A restart keeps the group's offsets: a new member starts where the group left off.
    await broker.stop();
    broker = await startBroker({ logLevel: 'silent', dataDir, config });
    await produce(10, 'third');
    const after: Seen[] = [];
    const c4 = await Member.start('c4', broker.bootstrap, after);
    await until('the 60 new records', () => after.length >= 60, 30_000);
    await sleep(1000);
    expect(after.map((s) => s.value).sort()).toEqual(expectedValues(10, 'third'));
    expect(after.every((s) => s.offset >= 100)).toBe(true);
    await c4.leave(new Map(all.map((tp) => [tp.partition, 110])));
  });

  it('a regex subscription is resolved by the broker, topics created later included', async () => {
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'metrics-a', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }] });
    const p = await connectProducer(broker.bootstrap);
    for (const topic of ['metrics-a', 'other']) p.produce(topic, 0, Buffer.from(`${topic}-0`));
    await call((cb) => p.flush(10_000, cb));
    const consumer = await connectConsumer(broker.bootstrap, { 'group.id': 'kip848-regex', 'group.protocol': 'consumer', 'topic.metadata.refresh.interval.ms': 500 } as Kafka.ConsumerGlobalConfig);
    consumer.setDefaultConsumeTimeout(100);
    consumer.subscribe(['^metrics-.*']);
    const got: string[] = [];
    await until('metrics-a-0', async () => (got.push(...(await consumeOnce(consumer)).map(valueOf)), got.includes('metrics-a-0')), 30_000);
    await admin.createTopics({ topics: [{ topic: 'metrics-b', numPartitions: 1 }] });
    p.produce('metrics-b', 0, Buffer.from('metrics-b-0'));
    await call((cb) => p.flush(10_000, cb));
    await until('metrics-b-0', async () => (got.push(...(await consumeOnce(consumer)).map(valueOf)), got.includes('metrics-b-0')), 30_000);
    expect(got.sort()).toEqual(['metrics-a-0', 'metrics-b-0']);
    await disconnect(consumer);
    await disconnect(p);
    await admin.disconnect();
  });
});
