/**
 * The registry's state, rebuilt by applying the records of `_schemas` in order, with Confluent's
 * record layout so the topic reads the same: key `{"keytype":"SCHEMA","subject":s,"version":v,
 * "magic":1}` with the version as value (a tombstone is a hard delete), `{"keytype":"CONFIG",
 * "subject":s|null,"magic":0}` with `{"compatibilityLevel":...}`, `{"keytype":"MODE",...}` with
 * `{"mode":...}` (a null value removes the setting), and NOOP/DELETE_SUBJECT records, which
 * change nothing here. A record that does not parse is skipped with a warning, never fatal, as a
 * registry must start whatever another writer left in the topic.
 */
import type { CompatibilityLevel, Mode, SchemaReference, SchemaType, SchemaVersion } from './types.js';
import { COMPATIBILITY_LEVELS, MODES } from './types.js';

export interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

export type RegistryKey =
  | { keytype: 'SCHEMA'; subject: string; version: number; magic: 1 }
  | { keytype: 'CONFIG'; subject: string | null; magic: 0 }
  | { keytype: 'MODE'; subject: string | null; magic: 0 };

export const schemaKey = (subject: string, version: number): RegistryKey => ({ keytype: 'SCHEMA', subject, version, magic: 1 });
export const configKey = (subject: string | null): RegistryKey => ({ keytype: 'CONFIG', subject, magic: 0 });
export const modeKey = (subject: string | null): RegistryKey => ({ keytype: 'MODE', subject, magic: 0 });

/** Identity of a schema across subjects: the same type, text and references get the same id. */
export const identity = (s: { schemaType: SchemaType; schema: string; references: readonly SchemaReference[] }): string =>
  JSON.stringify([s.schemaType, s.schema, s.references.map((r) => [r.name, r.subject, r.version])]);

export class RegistryState {
  /** subject -> version -> schema version (soft-deleted ones included). */
  readonly subjects = new Map<string, Map<number, SchemaVersion>>();
  readonly configs = new Map<string | null, CompatibilityLevel>();
  readonly modes = new Map<string | null, Mode>();
  maxId = 0;

  constructor(private readonly warn: (msg: string) => void = () => undefined) {}

  apply(keyBytes: Buffer | null, valueBytes: Buffer | null): void {
    if (keyBytes === null) return;
    let key: { keytype?: string; subject?: string | null; version?: number };
    let value: Record<string, unknown> | null;
    try {
      key = JSON.parse(keyBytes.toString('utf8')) as typeof key;
      value = valueBytes === null ? null : JSON.parse(valueBytes.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      this.warn(`_schemas: a record that is not JSON skipped: ${(err as Error).message}`);
      return;
    }
    switch (key.keytype) {
      case 'SCHEMA': return this.applySchema(String(key.subject), Number(key.version), value);
      case 'CONFIG': {
        const subject = key.subject ?? null;
        const level = value?.compatibilityLevel as CompatibilityLevel | undefined;
        if (level !== undefined && COMPATIBILITY_LEVELS.includes(level)) this.configs.set(subject, level);
        else this.configs.delete(subject);
        return;
      }
      case 'MODE': {
        const subject = key.subject ?? null;
        const mode = value?.mode as Mode | undefined;
        if (mode !== undefined && MODES.includes(mode)) this.modes.set(subject, mode);
        else this.modes.delete(subject);
        return;
      }
      default: return;
    }
  }

  private applySchema(subject: string, version: number, value: Record<string, unknown> | null): void {
    let versions = this.subjects.get(subject);
    if (value === null) {
      versions?.delete(version);
      if (versions?.size === 0) this.subjects.delete(subject);
      return;
    }
    if (versions === undefined) this.subjects.set(subject, (versions = new Map()));
    const v: SchemaVersion = {
      subject,
      version,
      id: Number(value.id),
      schemaType: (value.schemaType as SchemaType | undefined) ?? 'AVRO',
      schema: String(value.schema),
      references: Array.isArray(value.references) ? (value.references as SchemaReference[]) : [],
      deleted: value.deleted === true,
    };
    versions.set(version, v);
    if (v.id > this.maxId) this.maxId = v.id;
  }

  /** Versions of a subject in ascending order; soft-deleted ones only when asked. */
  versionsOf(subject: string, deleted = false): SchemaVersion[] {
    const all = [...(this.subjects.get(subject)?.values() ?? [])].sort((a, b) => a.version - b.version);
    return deleted ? all : all.filter((v) => !v.deleted);
  }

  schemaById(id: number): StoredSchema | undefined {
    for (const versions of this.subjects.values()) {
      for (const v of versions.values()) if (v.id === id) return { id, schemaType: v.schemaType, schema: v.schema, references: v.references };
    }
    return undefined;
  }

  idOf(s: { schemaType: SchemaType; schema: string; references: readonly SchemaReference[] }): number | undefined {
    const want = identity(s);
    for (const versions of this.subjects.values()) {
      for (const v of versions.values()) if (identity(v) === want) return v.id;
    }
    return undefined;
  }
}

/** `_schemas` value of a schema version, in Confluent's field names. */
export function schemaValue(v: SchemaVersion): Record<string, unknown> {
  return { subject: v.subject, version: v.version, id: v.id, schemaType: v.schemaType, references: v.references, schema: v.schema, deleted: v.deleted };
}
