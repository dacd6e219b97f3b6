/**
 * The client quota configuration: entity -> { key: value }, as kafka-configs and
 * AlterClientQuotas set it. A single broker keeps it in `<data dir>/__strand_metadata/client-quotas` (JSON),
 * written atomically (temporary file, fsync, rename, directory fsync) before an alteration is
 * answered, and read back at start. In a cluster the quotas are cluster state, as in Kafka: the
 * same JSON in a document every broker shares (`share`), so a quota set through one broker is
 * enforced by all. Each change bumps `version`, which tells the connections' cached lookups to
 * resolve again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { io } from '../../io/index.js';
import { StrandError } from '../../errors.js';
import { joinShared, type SharedDocument } from '../shared-document.js';
import { entityKey, type QuotaEntity } from './entity.js';

export const QUOTAS_FILE = join('__strand_metadata', 'client-quotas');

export class QuotaFileError extends StrandError {
  constructor(message: string, readonly path: string) {
    super(message, 'ERR_STRAND_QUOTA_FILE');
  }
}

export interface QuotaRecord {
  readonly entity: QuotaEntity;
  readonly values: Map<string, number>;
}

interface FileShape {
  version: 1;
  entities: Array<{ user?: string | null; clientId?: string | null; ip?: string | null; values: Record<string, number> }>;
}

type Records = Map<string, QuotaRecord>;

function decodeQuotas(text: string, source: string): Records {
  let parsed: FileShape;
  try {
    parsed = JSON.parse(text) as FileShape;
  } catch (err) {
    throw new QuotaFileError(`cannot read the client quotas in ${source}: ${(err as Error).message}`, source);
  }
  if (parsed.version !== 1 || !Array.isArray(parsed.entities)) throw new QuotaFileError(`${source} is not a client quota file of version 1`, source);
  const records: Records = new Map();
  for (const e of parsed.entities) {
    const entity: QuotaEntity = {};
    if (e.user !== undefined) entity.user = e.user;
    if (e.clientId !== undefined) entity.clientId = e.clientId;
    if (e.ip !== undefined) entity.ip = e.ip;
    records.set(entityKey(entity), { entity, values: new Map(Object.entries(e.values)) });
  }
  return records;
}

function encodeQuotas(records: Records): string {
  const shape: FileShape = { version: 1, entities: [...records.values()].map((r) => ({ ...r.entity, values: Object.fromEntries(r.values) })) };
  return JSON.stringify(shape, null, 2) + '\n';
}

type Changes = ReadonlyArray<{ entity: QuotaEntity; set: ReadonlyMap<string, number | null> }>;

function applyChanges(records: Records, changes: Changes): void {
  for (const { entity, set } of changes) {
    const key = entityKey(entity);
    const values = new Map(records.get(key)?.values ?? []);
    for (const [k, v] of set) {
      if (v === null) values.delete(k);
      else values.set(k, v);
    }
    if (values.size === 0) records.delete(key);
    else records.set(key, { entity, values });
  }
}

export class QuotaConfigs {
  private records: Records = new Map();
  /** Bumped on every change. */
  version = 0;
  /** The cluster's document, once shared: it replaces the data directory's file. */
  private shared: SharedDocument | null = null;

  /** `dir` null: kept in memory only (tests, an embedded broker without a data directory). */
  constructor(private readonly dir: string | null) {
    if (dir === null) return;
    const path = join(dir, QUOTAS_FILE);
    if (!existsSync(path)) return;
    this.records = decodeQuotas(readFileSync(path, 'utf8'), path);
  }

  /**
   * From now on the quotas are the cluster's: `doc`'s, and `replace` is to be called with each new
   * value of it. A cluster that has none yet starts from this broker's file.
   */
  async share(doc: SharedDocument): Promise<void> {
    const value = await joinShared(doc, this.records.size > 0 ? encodeQuotas(this.records) : null);
    if (value !== null) this.records = decodeQuotas(value, 'the cluster');
    this.shared = doc;
    this.version++;
  }

  /** Another broker changed the cluster's quotas (null: none left). */
  replace(value: string | null): void {
    this.records = value === null ? new Map() : decodeQuotas(value, 'the cluster');
    this.version++;
  }

  get size(): number {
    return this.records.size;
  }

  /** The value of `key` set on exactly this entity key (see entity.ts precedence). */
  value(key: string, quotaKey: string): number | undefined {
    return this.records.get(key)?.values.get(quotaKey);
  }

  all(): IterableIterator<QuotaRecord> {
    return this.records.values();
  }

  /**
   * Apply the changes (value null: remove the key) and persist them; an entity left without
   * keys is forgotten.
   */
  async alter(changes: Changes): Promise<void> {
    if (this.shared !== null) {
      // Applied to the cluster's quotas as they are when written, other brokers' changes kept.
      const written = await this.shared.update((current) => {
        const all = current === null ? new Map() : decodeQuotas(current, 'the cluster');
        applyChanges(all, changes);
        return encodeQuotas(all);
      });
      this.replace(written);
      return;
    }
    applyChanges(this.records, changes);
    this.version++;
    await this.persist();
  }

  private async persist(): Promise<void> {
    if (this.dir === null) return;
    const path = join(this.dir, QUOTAS_FILE);
    if ((await mkdir(dirname(path), { recursive: true })) !== undefined) await io.syncDirectory(this.dir);
    await io.writeFileAtomic(path, encodeQuotas(this.records), 'checkpoint');
  }
}
