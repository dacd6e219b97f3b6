/**
 * The registry's operations, with Confluent Schema Registry's semantics: ids global and shared by
 * identical schemas across subjects, versions per subject counting up from 1 (soft-deleted ones
 * keep their numbers), compatibility checked against live versions only, soft delete before hard
 * delete, and the global/subject config and mode. Reads answer from the state; every change is
 * decided after reading `_schemas` to its end and is made one at a time. In a cluster only the
 * elected leader changes anything: elsewhere each change is forwarded to it over HTTP (the path
 * and body of Confluent's API), and the answer returned once this registry has read the change.
 */
import {
  incompatibleSchema, invalidSchema, operationNotPermitted, referenceExists, schemaNotFound, subjectLevelCompatibilityNotConfigured,
  subjectLevelModeNotConfigured, subjectNotFound, subjectNotSoftDeleted, subjectSoftDeleted, versionNotFound, versionNotSoftDeleted,
  versionSoftDeleted,
} from './errors.js';
import { checkCompatibility } from './compatibility.js';
import { parseSchema } from './formats/index.js';
import { forwardWrite } from './forward.js';
import { type Leadership, SOLE_LEADER } from './leader-election.js';
import { configKey, modeKey, RegistryState, schemaKey, schemaValue, type StoredSchema } from './state.js';
import type { SchemasTopic } from './schemas-topic.js';
import type { CompatibilityLevel, Mode, ParsedSchema, ResolvedReference, SchemaReference, SchemaType, SchemaVersion } from './types.js';

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export interface SchemaInput {
  schema: string;
  schemaType: SchemaType;
  references: SchemaReference[];
  /** IMPORT mode only: the id and version to register under. */
  id?: number;
  version?: number;
}

/** `latest` (or -1) is the newest version; anything else an integer in [1, 2^31-1]. */
export type VersionSpec = number | 'latest';

export class Registry {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly state: RegistryState, private readonly topic: SchemasTopic, readonly leadership: Leadership = SOLE_LEADER) {}

  /** Leaves the leader election and stops following `_schemas`. */
  async close(): Promise<void> {
    await this.leadership.close();
    await this.topic.close();
  }

  /**
   * `local()` on the leader; elsewhere the same change sent to the leader as `method path body`,
   * with the caller's `Authorization` header, as Confluent's followers forward it.
   */
  private async leaderOr<T>(local: () => Promise<T>, method: string, path: string, body?: unknown, authorization?: string): Promise<T> {
    if (!this.leadership.isLeader()) {
      const url = await this.leadership.leaderUrl();
      if (!this.leadership.isLeader()) {
        const answer = await forwardWrite<T>(url, method, path, body, authorization);
        // Read-your-writes on this broker: its state includes the change before the answer.
        await this.topic.catchUp();
        return answer;
      }
    }
    return local();
  }

  /** Runs changes one at a time, each after reading `_schemas` to its end. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      await this.topic.catchUp();
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  compatibilityOf(subject: string | null): CompatibilityLevel {
    return (subject !== null ? this.state.configs.get(subject) : undefined) ?? this.state.configs.get(null) ?? DEFAULT_COMPATIBILITY;
  }

  modeOf(subject: string | null): Mode {
    return (subject !== null ? this.state.modes.get(subject) : undefined) ?? this.state.modes.get(null) ?? 'READWRITE';
  }

  private checkWritable(subject: string): void {
    const mode = this.modeOf(subject);
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') throw operationNotPermitted(`Subject ${subject} is in read-only mode`);
  }

  /** The references, and theirs, dependencies first, each once. */
  resolveReferences(references: readonly SchemaReference[], seen = new Set<string>()): ResolvedReference[] {
    const out: ResolvedReference[] = [];
    for (const ref of references) {
      const key = `${ref.subject}\0${ref.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const target = this.state.subjects.get(ref.subject)?.get(ref.version);
      if (target === undefined) throw invalidSchema(`Invalid schema reference ${JSON.stringify(ref)}: subject '${ref.subject}' has no version ${ref.version}`);
      out.push(...this.resolveReferences(target.references, seen));
      out.push({ ...ref, schemaType: target.schemaType, schema: target.schema });
    }
    return out;
  }

  parse(input: Pick<SchemaInput, 'schema' | 'schemaType' | 'references'>): ParsedSchema {
    return parseSchema(input.schemaType, input.schema, this.resolveReferences(input.references));
  }

  private parseStored(v: SchemaVersion): ParsedSchema {
    return this.parse(v);
  }

  private textOf(parsed: ParsedSchema, normalize: boolean): string {
    return normalize ? parsed.normalized : parsed.canonical;
  }

  private liveVersions(subject: string): SchemaVersion[] {
    return this.state.versionsOf(subject);
  }

  register(subject: string, input: SchemaInput, normalize: boolean, authorization?: string): Promise<{ id: number }> {
    const body = { schema: input.schema, ...(input.schemaType !== 'AVRO' ? { schemaType: input.schemaType } : {}), ...(input.references.length > 0 ? { references: input.references } : {}), ...(input.id !== undefined ? { id: input.id } : {}), ...(input.version !== undefined ? { version: input.version } : {}) };
    return this.leaderOr(() => this.registerHere(subject, input, normalize), 'POST', `/subjects/${enc(subject)}/versions${normalize ? '?normalize=true' : ''}`, body, authorization);
  }

  private registerHere(subject: string, input: SchemaInput, normalize: boolean): Promise<{ id: number }> {
    return this.serial(async () => {
      const mode = this.modeOf(subject);
      this.checkWritable(subject);
      if (input.id !== undefined && mode !== 'IMPORT') throw operationNotPermitted(`Subject ${subject} is not in import mode`);
      const parsed = this.parse(input);
      const schema = this.textOf(parsed, normalize);
      const candidate = { schemaType: input.schemaType, schema, references: input.references };
      const live = this.liveVersions(subject);
      const same = live.find((v) => v.schemaType === candidate.schemaType && v.schema === schema && sameReferences(v.references, input.references));
      if (same !== undefined && input.id === undefined) return { id: same.id };
      if (mode !== 'IMPORT') {
        const problems = checkCompatibility(this.compatibilityOf(subject), parsed, live.map((v) => this.parseStored(v)));
        if (problems.length > 0) throw incompatibleSchema(subject, problems);
      }
      const existingId = this.state.idOf(candidate);
      if (input.id !== undefined) {
        const taken = this.state.schemaById(input.id);
        if (taken !== undefined && (taken.schema !== schema || taken.schemaType !== input.schemaType)) {
          throw operationNotPermitted(`Overwrite new schema with id ${input.id} is not permitted.`);
        }
      }
      const id = input.id ?? existingId ?? this.state.maxId + 1;
      const all = this.state.versionsOf(subject, true);
      const version = input.version ?? (all.length === 0 ? 1 : all[all.length - 1]!.version + 1);
      const record: SchemaVersion = { subject, version, id, schemaType: input.schemaType, schema, references: input.references, deleted: false };
      await this.topic.write(schemaKey(subject, version), schemaValue(record));
      return { id };
    });
  }

  /** POST /subjects/{subject}: the version of this subject holding the schema. */
  lookup(subject: string, input: SchemaInput, normalize: boolean, deleted: boolean): SchemaVersion {
    const versions = this.state.versionsOf(subject, deleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    const parsed = this.parse(input);
    const schema = this.textOf(parsed, normalize);
    const found = versions.find((v) => v.schemaType === input.schemaType && (v.schema === schema || v.schema === parsed.canonical) && sameReferences(v.references, input.references));
    if (found === undefined) throw schemaNotFound();
    return found;
  }

  subjects(prefix: string, deleted: boolean): string[] {
    return [...this.state.subjects.keys()].filter((s) => s.startsWith(prefix) && this.state.versionsOf(s, deleted).length > 0).sort();
  }

  versions(subject: string, deleted: boolean): number[] {
    const versions = this.state.versionsOf(subject, deleted);
    if (versions.length === 0) throw subjectNotFound(subject);
    return versions.map((v) => v.version);
  }

  version(subject: string, spec: VersionSpec, deleted: boolean): SchemaVersion {
    const versions = this.state.versionsOf(subject, deleted);
    if (this.state.versionsOf(subject, true).length === 0 || (versions.length === 0 && !deleted)) throw subjectNotFound(subject);
    const found = spec === 'latest' ? versions[versions.length - 1] : versions.find((v) => v.version === spec);
    if (found === undefined) throw versionNotFound(spec === 'latest' ? 'latest' : spec);
    return found;
  }

  schemaById(id: number): StoredSchema {
    const found = this.state.schemaById(id);
    if (found === undefined) throw schemaNotFound(id);
    return found;
  }

  /** Every (subject, version) holding schema `id`. */
  usesOf(id: number, deleted: boolean): SchemaVersion[] {
    const out: SchemaVersion[] = [];
    for (const subject of [...this.state.subjects.keys()].sort()) {
      for (const v of this.state.versionsOf(subject, deleted)) if (v.id === id) out.push(v);
    }
    if (out.length === 0 && this.state.schemaById(id) === undefined) throw schemaNotFound(id);
    return out;
  }

  /** Ids of the live schemas that reference this subject's version. */
  referencedBy(subject: string, version: number): number[] {
    const ids = new Set<number>();
    for (const s of this.state.subjects.keys()) {
      for (const v of this.state.versionsOf(s)) if (v.references.some((r) => r.subject === subject && r.version === version)) ids.add(v.id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  deleteSubject(subject: string, permanent: boolean, authorization?: string): Promise<number[]> {
    return this.leaderOr(() => this.serial(async () => {
      this.checkWritable(subject);
      const all = this.state.versionsOf(subject, true);
      if (all.length === 0) throw subjectNotFound(subject);
      const live = all.filter((v) => !v.deleted);
      for (const v of all) {
        const refs = this.referencedBy(subject, v.version);
        if (refs.length > 0) throw referenceExists(`subject=${subject},version=${v.version}`);
      }
      if (!permanent) {
        if (live.length === 0) throw subjectSoftDeleted(subject);
        for (const v of live) await this.topic.write(schemaKey(subject, v.version), schemaValue({ ...v, deleted: true }));
        return live.map((v) => v.version);
      }
      if (live.length > 0) throw subjectNotSoftDeleted(subject);
      for (const v of all) await this.topic.write(schemaKey(subject, v.version), null);
      if (this.state.configs.has(subject)) await this.topic.write(configKey(subject), null);
      if (this.state.modes.has(subject)) await this.topic.write(modeKey(subject), null);
      return all.map((v) => v.version);
    }), 'DELETE', `/subjects/${enc(subject)}${permanent ? '?permanent=true' : ''}`, undefined, authorization);
  }

  deleteVersion(subject: string, spec: VersionSpec, permanent: boolean, authorization?: string): Promise<number> {
    return this.leaderOr(() => this.serial(async () => {
      this.checkWritable(subject);
      const v = this.version(subject, spec, permanent);
      if (this.referencedBy(subject, v.version).length > 0) throw referenceExists(`subject=${subject},version=${v.version}`);
      if (!permanent) {
        if (v.deleted) throw versionSoftDeleted(subject, v.version);
        await this.topic.write(schemaKey(subject, v.version), schemaValue({ ...v, deleted: true }));
      } else {
        if (!v.deleted) throw versionNotSoftDeleted(subject, v.version);
        await this.topic.write(schemaKey(subject, v.version), null);
      }
      return v.version;
    }), 'DELETE', `/subjects/${enc(subject)}/versions/${spec}${permanent ? '?permanent=true' : ''}`, undefined, authorization);
  }

  /** Problems of `input` against the subject's live versions (or one of them) under the subject's level. */
  testCompatibility(subject: string, spec: VersionSpec | null, input: SchemaInput): string[] {
    const parsed = this.parse(input);
    const level = this.compatibilityOf(subject);
    if (spec === null) {
      const live = this.liveVersions(subject);
      return checkCompatibility(level, parsed, live.map((v) => this.parseStored(v)));
    }
    const v = this.version(subject, spec, false);
    // Against one chosen version, the transitive levels are the plain ones.
    return checkCompatibility(level.replace('_TRANSITIVE', '') as CompatibilityLevel, parsed, [this.parseStored(v)]);
  }

  subjectCompatibility(subject: string, defaultToGlobal: boolean): CompatibilityLevel {
    const own = this.state.configs.get(subject);
    if (own !== undefined) return own;
    if (!defaultToGlobal) throw subjectLevelCompatibilityNotConfigured(subject);
    return this.compatibilityOf(null);
  }

  setCompatibility(subject: string | null, level: CompatibilityLevel, authorization?: string): Promise<void> {
    return this.leaderOr(
      () => this.serial(() => this.topic.write(configKey(subject), { compatibilityLevel: level })),
      'PUT', subject === null ? '/config' : `/config/${enc(subject)}`, { compatibility: level }, authorization,
    ).then(() => undefined);
  }

  deleteCompatibility(subject: string, authorization?: string): Promise<CompatibilityLevel> {
    return this.leaderOr(async () => ({
      compatibilityLevel: await this.serial(async () => {
        const own = this.state.configs.get(subject);
        if (own === undefined) throw subjectNotFound(subject);
        await this.topic.write(configKey(subject), null);
        return own;
      }),
    }), 'DELETE', `/config/${enc(subject)}`, undefined, authorization).then((a) => a.compatibilityLevel);
  }

  subjectMode(subject: string, defaultToGlobal: boolean): Mode {
    const own = this.state.modes.get(subject);
    if (own !== undefined) return own;
    if (!defaultToGlobal) throw subjectLevelModeNotConfigured(subject);
    return this.modeOf(null);
  }

  setMode(subject: string | null, mode: Mode, authorization?: string): Promise<void> {
    return this.leaderOr(
      () => this.serial(() => this.topic.write(modeKey(subject), { mode })),
      'PUT', subject === null ? '/mode' : `/mode/${enc(subject)}`, { mode }, authorization,
    ).then(() => undefined);
  }

  deleteMode(subject: string, authorization?: string): Promise<Mode> {
    return this.leaderOr(async () => ({
      mode: await this.serial(async () => {
        const own = this.state.modes.get(subject);
        if (own === undefined) throw subjectNotFound(subject);
        await this.topic.write(modeKey(subject), null);
        return own;
      }),
    }), 'DELETE', `/mode/${enc(subject)}`, undefined, authorization).then((a) => a.mode);
  }
}

const enc = encodeURIComponent;

function sameReferences(a: readonly SchemaReference[], b: readonly SchemaReference[]): boolean {
  return a.length === b.length && a.every((r, i) => r.name === b[i]!.name && r.subject === b[i]!.subject && r.version === b[i]!.version);
}
