/**
 * A small Schema Registry client over HTTP (Confluent's REST API), with the caches Confluent's
 * serializers keep: ids by subject and schema text, schemas by id. Works against strand's
 * registry and Confluent's.
 */
import { StrandError } from '../errors.js';

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';

export interface RegisteredSchema {
  schema: string;
  schemaType: SchemaType;
  references: Array<{ name: string; subject: string; version: number }>;
}

/** The registry answered with an error: Confluent's `error_code` (e.g. 40401, 409) and message. */
export class SchemaRegistryError extends StrandError {
  constructor(readonly status: number, readonly errorCode: number, message: string) {
    super(message, 'ERR_STRAND_SCHEMA_REGISTRY');
  }
}

export class SchemaRegistryClient {
  private readonly ids = new Map<string, Promise<number>>();
  private readonly schemas = new Map<number, Promise<RegisteredSchema>>();
  private readonly url: string;

  /** `url`: the registry's base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.url + path, {
      method,
      headers: { accept: 'application/vnd.schemaregistry.v1+json', ...(body !== undefined ? { 'content-type': 'application/vnd.schemaregistry.v1+json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = text === '' ? null : JSON.parse(text) as unknown;
    if (!res.ok) {
      const e = (json ?? {}) as { error_code?: number; message?: string };
      throw new SchemaRegistryError(res.status, e.error_code ?? res.status, `${method} ${path}: ${e.message ?? res.statusText}`);
    }
    return json as T;
  }

  /** The id of `schema` under `subject`, registering it (once per client) if needed. */
  register(subject: string, schema: string, schemaType: SchemaType = 'AVRO'): Promise<number> {
    const key = `${subject}\0${schemaType}\0${schema}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema, ...(schemaType !== 'AVRO' ? { schemaType } : {}) }).then((r) => r.id);
      id.catch(() => this.ids.delete(key));
      this.ids.set(key, id);
    }
    return id;
  }

  schemaById(id: number): Promise<RegisteredSchema> {
    let s = this.schemas.get(id);
    if (s === undefined) {
      s = this.request<{ schema: string; schemaType?: SchemaType; references?: RegisteredSchema['references'] }>('GET', `/schemas/ids/${id}`)
        .then((r) => ({ schema: r.schema, schemaType: r.schemaType ?? 'AVRO', references: r.references ?? [] }));
      s.catch(() => this.schemas.delete(id));
      this.schemas.set(id, s);
    }
    return s;
  }
}
