/**
 * A v2 consumer instance: a group id, an embedded format, a subscription (topics or a pattern)
 * or a manual assignment, and a position per partition. A subscription makes the instance a
 * member of its Kafka group (membership.ts), which shares the partitions among its members,
 * kafkajs or Java consumers included; a manual assignment reads the partitions named, outside
 * the group, as Kafka's `assign()`. Positions start at the group's committed offset, else where
 * `auto.offset.reset` says (`latest` by default, as Kafka's consumer). A member commits with its
 * generation; an assigned instance with generation -1, as a consumer outside a group does.
 * A pattern is matched against the topics when the subscription is made.
 */
import type { KafkaClient } from '../../client/client.js';
import { commitOffsets, fetchOffsets } from '../../client/groups.js';
import { decodeRecords } from '../../client/records.js';
import { consumerAlreadySubscribed, illegalState } from './errors.js';
import type { EmbeddedFormat, SchemaCodecs } from './formats.js';
import { GroupMembership } from './membership.js';

export type OffsetReset = 'earliest' | 'latest' | 'none';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumedRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

const tp = (topic: string, partition: number): string => `${topic}\0${partition}`;

export class ConsumerInstance {
  lastUsed = Date.now();
  private topics: string[] = [];
  private pattern: RegExp | null = null;
  private assignment: TopicPartition[] | null = null;
  private readonly positions = new Map<string, number>();
  private membership: GroupMembership | null = null;
  /** One request at a time per instance, as a Kafka consumer is single-threaded. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: KafkaClient,
    readonly group: string,
    readonly name: string,
    readonly format: EmbeddedFormat,
    readonly reset: OffsetReset,
    readonly autoCommit: boolean,
    private readonly membershipOptions: { bootstrap: string; heartbeatIntervalMs: number; warn: (msg: string, err?: unknown) => void },
  ) {}

  private warn(msg: string, err?: unknown): void {
    this.membershipOptions.warn(msg, err);
  }

  serial<T>(fn: () => Promise<T>): Promise<T> {
    this.lastUsed = Date.now();
    // A request counts as use until it is answered (a long poll must not expire its instance).
    const run = this.queue.then(fn).finally(() => {
      this.lastUsed = Date.now();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Joins the group with these topics (or those the pattern matches now). */
  async subscribe(topics: string[] | null, pattern: string | null): Promise<void> {
    if (this.assignment !== null) throw consumerAlreadySubscribed();
    await this.unsubscribe();
    this.topics = topics ?? [];
    this.pattern = pattern === null ? null : new RegExp(`^(?:${pattern})$`);
    const wanted = this.pattern === null ? this.topics : (await this.client.metadata(null)).topics.filter((t) => t.error === null && !t.internal && this.pattern!.test(t.name)).map((t) => t.name);
    this.membership = new GroupMembership({
      bootstrap: this.membershipOptions.bootstrap,
      heartbeatIntervalMs: this.membershipOptions.heartbeatIntervalMs,
      groupId: this.group,
      topics: wanted,
      // Before the partitions move, what was consumed is committed (auto commit), as Kafka's consumer does.
      onRevoked: async () => {
        if (this.autoCommit) await this.commit(null).catch((err: unknown) => this.warn(`consumer ${this.name} of group ${this.group}: commit before a rebalance failed`, err));
        this.positions.clear();
      },
      onAssigned: () => this.positions.clear(),
      warn: this.membershipOptions.warn,
    });
  }

  subscription(): string[] {
    return [...this.topics];
  }

  /** Leaves the group. */
  async unsubscribe(): Promise<void> {
    // Still a member while it leaves: with auto commit, its positions are committed with its generation first.
    await this.membership?.close();
    this.membership = null;
    this.topics = [];
    this.pattern = null;
    this.positions.clear();
  }

  /** The instance is deleted or expired: it leaves its group. */
  async close(): Promise<void> {
    await this.unsubscribe();
  }

  assign(partitions: TopicPartition[]): void {
    if (this.topics.length > 0 || this.pattern !== null) throw consumerAlreadySubscribed();
    this.assignment = partitions;
  }

  assigned(): TopicPartition[] {
    return this.assignment ?? [];
  }

  /** The partitions read now: the manual assignment, or the group's share of this member. */
  private partitions(): TopicPartition[] {
    if (this.assignment !== null) return this.assignment;
    return this.membership?.assigned() ?? [];
  }

  /** Waits (up to `ms`) for the group to give this member partitions, as a Kafka consumer's poll does while it joins. */
  private async partitionsWithin(ms: number): Promise<TopicPartition[]> {
    const deadline = Date.now() + ms;
    let parts = this.partitions();
    while (parts.length === 0 && this.membership !== null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(50, deadline - Date.now())));
      parts = this.partitions();
    }
    return parts;
  }

  private async ensurePositions(parts: readonly TopicPartition[]): Promise<void> {
    const missing = parts.filter((p) => !this.positions.has(tp(p.topic, p.partition)));
    if (missing.length === 0) return;
    const committed = await fetchOffsets(this.client, this.group, groupByTopic(missing));
    for (const p of missing) {
      const c = committed.find((x) => x.topic === p.topic && x.partition === p.partition && x.error === null && x.offset >= 0);
      if (c !== undefined) {
        this.positions.set(tp(p.topic, p.partition), c.offset);
        continue;
      }
      if (this.reset === 'none') throw illegalState(`no committed offset for ${p.topic}-${p.partition} and auto.offset.reset is none`);
      this.positions.set(tp(p.topic, p.partition), (await this.client.listOffsets(p.topic, p.partition, this.reset)).offset);
    }
  }

  /** Records from the current positions, waiting up to `timeoutMs` for some; positions move past them. */
  async poll(codecs: () => Promise<SchemaCodecs | null>, timeoutMs: number, maxBytes: number): Promise<ConsumedRecord[]> {
    const started = Date.now();
    const parts = await this.partitionsWithin(timeoutMs);
    if (parts.length === 0) return [];
    // The wait for an assignment counts against the request's timeout.
    timeoutMs = Math.max(0, timeoutMs - (Date.now() - started));
    await this.ensurePositions(parts);
    const entries = parts.map((p) => ({ ...p, offset: this.positions.get(tp(p.topic, p.partition))! }));
    const results = await this.client.fetchMany(entries, { maxWaitMs: timeoutMs, maxBytes });
    const out: ConsumedRecord[] = [];
    const needsSchemas = this.format === 'avro' || this.format === 'jsonschema' || this.format === 'protobuf';
    const schemaCodecs = needsSchemas ? await codecs() : null;
    let bytes = 0;
    for (const [i, r] of results.entries()) {
      if (r.error !== null) {
        if (r.error.errorName === 'OFFSET_OUT_OF_RANGE' && this.reset !== 'none') this.positions.delete(tp(r.topic, r.partition));
        continue;
      }
      const from = entries[i]!.offset;
      const { records } = decodeRecords(r.records, from, `${r.topic}-${r.partition}`);
      let next = from;
      for (const rec of records) {
        if (bytes >= maxBytes && out.length > 0) break;
        bytes += (rec.key?.length ?? 0) + (rec.value?.length ?? 0);
        out.push({
          topic: r.topic,
          key: decodeWith(this.format, schemaCodecs, rec.key),
          value: decodeWith(this.format, schemaCodecs, rec.value),
          partition: r.partition,
          offset: rec.offset,
        });
        next = rec.offset + 1;
      }
      this.positions.set(tp(r.topic, r.partition), next);
    }
    if (this.autoCommit && out.length > 0) await this.commit(null);
    return out;
  }

  /** Commit `offsets` (each the last consumed offset: the group stores the next one, as Confluent does), or every position. */
  async commit(offsets: Array<TopicPartition & { offset: number; metadata?: string }> | null): Promise<void> {
    const list = offsets !== null
      ? offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset + 1, metadata: o.metadata ?? '' }))
      : [...this.positions].map(([k, offset]) => {
        const [topic, partition] = k.split('\0') as [string, string];
        return { topic, partition: Number(partition), offset, metadata: '' };
      });
    if (list.length === 0) return;
    if (this.membership !== null) return this.membership.commit(list);
    const results = await commitOffsets(this.client, this.group, list);
    const failed = results.find((r) => r.error !== null);
    if (failed) throw failed.error!;
  }

  async committed(partitions: TopicPartition[]): Promise<Array<TopicPartition & { offset: number; metadata: string }>> {
    const res = await fetchOffsets(this.client, this.group, groupByTopic(partitions));
    return partitions.map((p) => {
      const c = res.find((x) => x.topic === p.topic && x.partition === p.partition);
      return { topic: p.topic, partition: p.partition, offset: c?.offset ?? -1, metadata: c?.metadata ?? '' };
    });
  }

  seek(offsets: Array<TopicPartition & { offset: number }>): void {
    for (const o of offsets) this.positions.set(tp(o.topic, o.partition), o.offset);
  }

  async seekTo(partitions: TopicPartition[], where: 'earliest' | 'latest'): Promise<void> {
    for (const p of partitions) this.positions.set(tp(p.topic, p.partition), (await this.client.listOffsets(p.topic, p.partition, where)).offset);
  }
}

function decodeWith(format: EmbeddedFormat, codecs: SchemaCodecs | null, bytes: Buffer | null): unknown {
  if (codecs !== null) return codecs.decode(format, bytes);
  if (bytes === null) return null;
  return format === 'json' ? (bytes.length === 0 ? null : JSON.parse(bytes.toString('utf8')) as unknown) : bytes.toString('base64');
}

function groupByTopic(parts: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const m = new Map<string, number[]>();
  for (const p of parts) m.set(p.topic, [...(m.get(p.topic) ?? []), p.partition]);
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}
