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

export class SchemasTopic {
  private next = 0;
  private reading: Promise<void> | null = null;

  constructor(private readonly client: KafkaClient, private readonly state: RegistryState, readonly topic = SCHEMAS_TOPIC) {}

  /** Creates the topic if it is missing, then reads it to its end. */
  async open(): Promise<void> {
    const [created] = await this.client.createTopics([{ name: this.topic, partitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
    if (created?.error && created.error.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw created.error;
    await this.catchUp();
  }

  /** Applies every record up to the current end of the log (one reader at a time). */
  catchUp(): Promise<void> {
    this.reading ??= this.readToEnd().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readToEnd(): Promise<void> {
    const end = (await this.client.listOffsets(this.topic, 0, 'latest')).offset;
    while (this.next < end) {
      const res = await this.client.fetch(this.topic, 0, this.next, { maxWaitMs: 0 });
      if (res.error !== null) {
        // Compaction or retention removed the records before `next`: read on from the log start.
        if (res.error.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && res.logStartOffset > this.next) {
          this.next = res.logStartOffset;
          continue;
        }
        throw res.error;
      }
      const { records, nextOffset } = decodeRecords(res.records, this.next, `${this.topic}-0`);
      for (const r of records) this.state.apply(r.key, r.value);
      if (nextOffset === this.next) break; // nothing whole yet: the end moved back under us
      this.next = nextOffset;
    }
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
