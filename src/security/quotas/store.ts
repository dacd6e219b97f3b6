/**
 * The client quota configuration: entity -> { key: value }, as kafka-configs and
 * AlterClientQuotas set it. A single broker keeps it in `<data dir>/__strand_metadata/client-quotas` (JSON),
 * written atomically (temporary file, fsync, rename, directory fsync) before an alteration is
 * answered, and read back at start. Each change bumps `version`, which tells the connections'
 * cached lookups to resolve again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { io } from '../../io/index.js';
import { StrandError } from '../../errors.js';
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

export class QuotaConfigs {
  private readonly records = new Map<string, QuotaRecord>();
  /** Bumped on every change. */
  version = 0;

  /** `dir` null: kept in memory only (tests, an embedded broker without a data directory). */
  constructor(private readonly dir: string | null) {
    if (dir === null) return;
    const path = join(dir, QUOTAS_FILE);
    if (!existsSync(path)) return;
    let parsed: FileShape;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as FileShape;
    } catch (err) {
      throw new QuotaFileError(`cannot read the client quotas in ${path}: ${(err as Error).message}`, path);
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.entities)) throw new QuotaFileError(`${path} is not a client quota file of version 1`, path);
    for (const e of parsed.entities) {
      const entity: QuotaEntity = {};
      if (e.user !== undefined) entity.user = e.user;
      if (e.clientId !== undefined) entity.clientId = e.clientId;
      if (e.ip !== undefined) entity.ip = e.ip;
      this.records.set(entityKey(entity), { entity, values: new Map(Object.entries(e.values)) });
    }
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
  async alter(changes: ReadonlyArray<{ entity: QuotaEntity; set: ReadonlyMap<string, number | null> }>): Promise<void> {
    for (const { entity, set } of changes) {
      const key = entityKey(entity);
      const values = new Map(this.records.get(key)?.values ?? []);
      for (const [k, v] of set) {
        if (v === null) values.delete(k);
        else values.set(k, v);
      }
      if (values.size === 0) this.records.delete(key);
      else this.records.set(key, { entity, values });
    }
    this.version++;
    await this.persist();
  }

  private async persist(): Promise<void> {
    if (this.dir === null) return;
    const path = join(this.dir, QUOTAS_FILE);
    if ((await mkdir(dirname(path), { recursive: true })) !== undefined) await io.syncDirectory(this.dir);
    const shape: FileShape = { version: 1, entities: [...this.records.values()].map((r) => ({ ...r.entity, values: Object.fromEntries(r.values) })) };
    await io.writeFileAtomic(path, JSON.stringify(shape, null, 2) + '\n', 'checkpoint');
  }
}
