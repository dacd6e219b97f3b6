/**
 * Broker-side schema validation, as Confluent Server does it for a topic with
 * `confluent.key.schema.validation` / `confluent.value.schema.validation` = true: every record's
 * key (or value) must be in Confluent's wire format (magic byte 0 and a 4-byte schema id) with an
 * id the Schema Registry knows under the subject that the topic's
 * `confluent.key.subject.name.strategy` / `confluent.value.subject.name.strategy` names
 * (TopicNameStrategy `<topic>-key|value` by default; RecordNameStrategy the schema's record name;
 * TopicRecordNameStrategy `<topic>-<record name>`). A batch with any bad record is refused whole
 * with INVALID_RECORD and one record_errors entry per bad record, as Confluent Server answers.
 *
 * The registry is the one at `confluent.schema.registry.url` (Confluent Server's setting), else the
 * broker's own (its admin HTTP listener, `http.listeners`), which in a cluster follows the same
 * `_schemas` as every other broker's. What it says of an id is cached for a minute, so a steady stream of
 * records with a few ids asks it once a minute. This runs only for topics with validation on: the
 * records are decoded (decompressed if need be), which the produce path otherwise never does.
 */
import { InvalidRecordError, KafkaErrorCode, type RecordError, StrandError } from '../errors.js';
import { batchSizeAt, checkBatch, readBatchRecords } from '../format/record-batch.js';
import type { StoredRecord } from '../format/record.js';
import type { BrokerCore } from './context.js';

export const KEY_VALIDATION = 'confluent.key.schema.validation';
export const VALUE_VALIDATION = 'confluent.value.schema.validation';
export const KEY_STRATEGY = 'confluent.key.subject.name.strategy';
export const VALUE_STRATEGY = 'confluent.value.subject.name.strategy';

const STRATEGY_PREFIX = 'io.confluent.kafka.serializers.subject.';
export const TOPIC_NAME_STRATEGY = `${STRATEGY_PREFIX}TopicNameStrategy`;
export const SUBJECT_NAME_STRATEGIES: readonly string[] = [TOPIC_NAME_STRATEGY, `${STRATEGY_PREFIX}RecordNameStrategy`, `${STRATEGY_PREFIX}TopicRecordNameStrategy`];

/** Confluent Server's message for each refused record. */
export const RECORD_REFUSED = 'This record has failed the validation on broker and hence will be rejected.';

const CACHE_MS = 60_000;
const REGISTRY_TIMEOUT_MS = 10_000;

/** The produce path's test: whether the topic asks for validation at all (two map lookups). */
export function needsSchemaValidation(configs: ReadonlyMap<string, string>): boolean {
  return configs.get(VALUE_VALIDATION) === 'true' || configs.get(KEY_VALIDATION) === 'true';
}

interface IdInfo {
  at: number;
  /** Subjects holding the id; null when the registry does not know it. */
  subjects: Set<string> | null;
  /** The record name (Avro full name, JSON Schema title, Protobuf package and first message). */
  recordName: string | null;
}

const cache = new Map<string, IdInfo>();

/** Refuses `records` (the partition's batch) with INVALID_RECORD when a record's key or value fails the topic's validation. */
export async function validateRecordSchemas(core: BrokerCore, topic: string, records: Buffer): Promise<void> {
  const configs = core.topics.get(topic)?.configs ?? new Map<string, string>();
  const parts: Array<{ part: 'key' | 'value'; strategy: string }> = [];
  if (configs.get(KEY_VALIDATION) === 'true') parts.push({ part: 'key', strategy: configs.get(KEY_STRATEGY) ?? TOPIC_NAME_STRATEGY });
  if (configs.get(VALUE_VALIDATION) === 'true') parts.push({ part: 'value', strategy: configs.get(VALUE_STRATEGY) ?? TOPIC_NAME_STRATEGY });
  const decoded = decodeAll(records);
  if (decoded === null) return; // not well-formed: the append's own validation answers CORRUPT_MESSAGE
  const url = registryUrl(core);
  const errors: RecordError[] = [];
  for (const [batchIndex, r] of decoded.entries()) {
    for (const { part, strategy } of parts) {
      if (!(await acceptable(url, topic, part, strategy, part === 'key' ? r.key : r.value))) {
        errors.push({ batchIndex, message: RECORD_REFUSED });
        break;
      }
    }
  }
  if (errors.length > 0) throw InvalidRecordError.forRecords(errors);
}

function decodeAll(records: Buffer): StoredRecord[] | null {
  const out: StoredRecord[] = [];
  let pos = 0;
  try {
    while (pos < records.length) {
      const size = batchSizeAt(records, pos, records.length);
      if (size <= 0 || checkBatch(records, pos, size) !== null) return null;
      readBatchRecords(records, pos, size, out);
      pos += size;
    }
  } catch {
    return null;
  }
  return out;
}

function registryUrl(core: BrokerCore): string {
  const configured = (core.config.raw('confluent.schema.registry.url') ?? '').split(',')[0]!.trim();
  if (configured !== '') return configured.replace(/\/+$/, '');
  // The Broker has httpAddresses(); the narrower BrokerCore the handlers see does not name it.
  const own = (core as BrokerCore & { httpAddresses?: () => string[] }).httpAddresses?.()[0];
  if (own === undefined) {
    throw new StrandError('schema validation of topic records needs a schema registry: set confluent.schema.registry.url or http.listeners', 'ERR_STRAND_SCHEMA_VALIDATION', KafkaErrorCode.INVALID_RECORD);
  }
  return own;
}

async function acceptable(url: string, topic: string, part: 'key' | 'value', strategy: string, bytes: Buffer | null): Promise<boolean> {
  // Confluent Server lets a null key or value (a tombstone) through.
  if (bytes === null) return true;
  if (bytes.length < 5 || bytes[0] !== 0) return false;
  const info = await idInfo(url, bytes.readInt32BE(1), strategy !== TOPIC_NAME_STRATEGY);
  if (info.subjects === null) return false;
  const subject = strategy === TOPIC_NAME_STRATEGY
    ? `${topic}-${part}`
    : strategy.endsWith('TopicRecordNameStrategy') ? `${topic}-${info.recordName}` : info.recordName;
  return subject !== null && info.subjects.has(subject);
}

async function idInfo(url: string, id: number, withRecordName: boolean): Promise<IdInfo> {
  const key = `${url}\0${id}`;
  const hit = cache.get(key);
  if (hit !== undefined && Date.now() - hit.at < CACHE_MS && (!withRecordName || hit.subjects === null || hit.recordName !== null)) return hit;
  const versions = await ask<Array<{ subject: string; version: number }>>(url, `/schemas/ids/${id}/versions`);
  let recordName: string | null = null;
  if (versions !== null && withRecordName) {
    const schema = await ask<{ schema: string; schemaType?: string }>(url, `/schemas/ids/${id}`);
    recordName = schema === null ? null : recordNameOf(schema.schemaType ?? 'AVRO', schema.schema);
  }
  const info: IdInfo = { at: Date.now(), subjects: versions === null ? null : new Set(versions.map((v) => v.subject)), recordName };
  cache.set(key, info);
  return info;
}

/** The registry's JSON answer, or null for a 404 (an unknown id). */
async function ask<T>(url: string, path: string): Promise<T | null> {
  let res: Response;
  try {
    res = await fetch(url + path, { signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS) });
  } catch (err) {
    throw new StrandError(`schema validation: the schema registry at ${url} cannot be reached: ${(err as Error).message}`, 'ERR_STRAND_SCHEMA_VALIDATION', KafkaErrorCode.UNKNOWN_SERVER_ERROR);
  }
  if (res.status === 404) return null;
  if (!res.ok) throw new StrandError(`schema validation: the schema registry at ${url} answered ${res.status} to ${path}`, 'ERR_STRAND_SCHEMA_VALIDATION', KafkaErrorCode.UNKNOWN_SERVER_ERROR);
  return await res.json() as T;
}

/** What Confluent's record name strategies name a schema by. */
export function recordNameOf(schemaType: string, schema: string): string | null {
  try {
    if (schemaType === 'PROTOBUF') {
      const pkg = /^\s*package\s+([\w.]+)\s*;/m.exec(schema)?.[1];
      const message = /^\s*message\s+(\w+)/m.exec(schema)?.[1];
      return message === undefined ? null : pkg === undefined ? message : `${pkg}.${message}`;
    }
    const parsed = JSON.parse(schema) as { name?: unknown; namespace?: unknown; title?: unknown };
    if (schemaType === 'JSON') return typeof parsed.title === 'string' ? parsed.title : null;
    if (typeof parsed.name !== 'string') return null;
    return parsed.name.includes('.') || typeof parsed.namespace !== 'string' || parsed.namespace === '' ? parsed.name : `${parsed.namespace}.${parsed.name}`;
  } catch {
    return null;
  }
}
