/**
 * The `_schemas` topic as the registry's store, as in Confluent's KafkaStore: one partition,
 * `cleanup.policy=compact` (the latest record of each key is the state), created on first start.
 * Every change is produced with acks=all and takes effect only once the registry has read it
 * back from the log, so the state is always a prefix of the log and a restart (or another
 * broker's registry) rebuilds exactly the same state by reading the topic from offset 0.
 */
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { decodeRecords } from '../../client/records.js';
import { encodeBatch } from '../../format/record-batch.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { storeError } from './errors.js';
import type { RegistryKey, RegistryState } from './state.js';

export const SCHEMAS_TOPIC = '_schemas';
/** How long one read of the tail waits for new records. */
const TAIL_WAIT_MS = 1000;

export class SchemasTopic {
  private next = 0;
  /** Reads of the log, one at a time: catch-ups and the tail's long polls. */
  private chain: Promise<void> = Promise.resolve();
  private tailing: Promise<void> | null = null;
  private closed = false;
  /** The tail's own client: a broker answers a connection's requests in order, so a long poll would hold up produces. */
  private tailClient: KafkaClient | null = null;

  constructor(private readonly client: KafkaClient, private readonly state: RegistryState, readonly topic = SCHEMAS_TOPIC) {}

  /** Creates the topic if it is missing, then reads it to its end. */
  async open(): Promise<void> {
    const [created] = await this.client.createTopics([{ name: this.topic, partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    if (created?.error && created.error.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw created.error;
    await this.catchUp();
  }

  /**
   * Keeps reading the log as it grows (long polls), so the state includes what other brokers'
   * registries (the leader) write, as Confluent's KafkaStoreReaderThread does.
   */
  follow(tail: KafkaClient, warn: (msg: string) => void): void {
    this.tailClient = tail;
    this.tailing ??= (async () => {
      let failures = 0;
      while (!this.closed) {
        try {
          await this.exclusive(async () => {
            await this.readOnce(TAIL_WAIT_MS, tail);
          });
          failures = 0;
        } catch (err) {
          if (this.closed) return;
          if (failures++ === 0) warn(`${this.topic}: reading the log failed, retrying: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** failures, 2000)));
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tailClient?.close(); // ends the long poll in flight
    await this.tailing;
  }

  /** Applies every record up to the current end of the log. */
  async catchUp(): Promise<void> {
    // Already there: no need to queue behind the tail's long poll, which waits for more.
    if (this.next >= await this.endOffset()) return;
    return this.exclusive(() => this.readToEnd());
  }

  private async endOffset(): Promise<number> {
    return (await this.client.listOffsets(this.topic, 0, 'latest')).offset;
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async readToEnd(): Promise<void> {
    const end = await this.endOffset();
    while (this.next < end) {
      if (!(await this.readOnce(0))) break; // nothing whole yet: the end moved back under us
    }
  }

  /** One fetch from `next`, applied; false when it returned nothing. */
  private async readOnce(maxWaitMs: number, client = this.client): Promise<boolean> {
    const res = await client.fetch(this.topic, 0, this.next, { maxWaitMs }).catch((err: unknown) => {
      // Compaction or retention removed the records before `next`: read on from the log start.
      if (err instanceof KafkaResponseError && err.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) return null;
      throw err;
    });
    if (res === null) {
      const start = (await this.client.listOffsets(this.topic, 0, 'earliest')).offset;
      if (start <= this.next) throw new KafkaResponseError(ErrorCode.OFFSET_OUT_OF_RANGE, { api: 'Fetch', topic: this.topic, partition: 0 }, `offset ${this.next}`);
      this.next = start;
      return true;
    }
    const { records, nextOffset } = decodeRecords(res.records, this.next, `${this.topic}-0`);
    for (const r of records) this.state.apply(r.key, r.value);
    if (nextOffset === this.next) return false;
    this.next = nextOffset;
    return true;
  }

  /** Produces one change and resolves once it is applied to the state. */
  async write(key: RegistryKey, value: Record<string, unknown> | null): Promise<void> {
    let offset: number;
    try {
      const batch = encodeBatch([{ key: JSON.stringify(key), value: value === null ? null : JSON.stringify(value) }]);
      ({ baseOffset: offset } = await this.client.produce(this.topic, 0, batch, { acks: -1 }));
    } catch (err) {
      throw storeError(err instanceof KafkaResponseError ? err.message : String(err));
    }
    // A read already under way may have started before this record existed: read again until past it.
    while (this.next <= offset) await this.catchUp();
  }
}
