/**
 * JSON Schema: validated by compiling it with ajv (the draft named by `$schema`; draft-07 when
 * none), and compatibility by the subset of Confluent's JsonSchema diff rules that decide most
 * real changes: types widened or narrowed, required properties added, properties added to an open
 * content model or removed from a closed one, enum values removed, item schemas, recursively.
 * As in Confluent, adding a property to an open content model (no `additionalProperties: false`)
 * is not backward compatible: old data may already hold that name with another type.
 */
import AjvModule from 'ajv';
import Ajv2019Module from 'ajv/dist/2019.js';
import Ajv2020Module from 'ajv/dist/2020.js';
import { invalidSchema } from '../errors.js';
import type { ParsedSchema, ResolvedReference } from '../types.js';

type Json = Record<string, unknown>;

const Ajv07 = AjvModule.default;
const Ajv2019 = Ajv2019Module.default;
const Ajv2020 = Ajv2020Module.default;

function ajvFor(schema: unknown): InstanceType<typeof Ajv07> {
  const draft = typeof schema === 'object' && schema !== null ? String((schema as Json).$schema ?? '') : '';
  const options = { strict: false, validateFormats: false, allErrors: false };
  if (draft.includes('2020-12')) return new Ajv2020(options);
  if (draft.includes('2019-09')) return new Ajv2019(options);
  return new Ajv07(options);
}

class JsonSchema implements ParsedSchema {
  readonly schemaType = 'JSON' as const;
  constructor(readonly json: unknown, readonly canonical: string, readonly normalized: string) {}

  canRead(writer: ParsedSchema): string[] {
    if (!(writer instanceof JsonSchema)) return [`cannot read ${writer.schemaType} data with a JSON schema`];
    const out: string[] = [];
    compare(this.json, writer.json, '#', out);
    return out;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Json)[k])]));
}

export function parseJsonSchema(text: string, references: readonly ResolvedReference[]): JsonSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalidSchema(`${text}: ${(err as Error).message}`);
  }
  if (typeof json !== 'boolean' && (typeof json !== 'object' || json === null || Array.isArray(json))) throw invalidSchema(`${text}: a JSON Schema is an object or a boolean`);
  const ajv = ajvFor(json);
  try {
    // A reference's name is the `$ref` the schema uses for it.
    for (const ref of references) ajv.addSchema(JSON.parse(ref.schema) as object, ref.name);
    ajv.compile(json as object);
  } catch (err) {
    throw invalidSchema(`${text}: ${(err as Error).message}`);
  }
  return new JsonSchema(json, JSON.stringify(json), JSON.stringify(sortKeys(json)));
}

function typesOf(s: Json): Set<string> | null {
  const t = s.type;
  if (t === undefined) return null;
  return new Set(Array.isArray(t) ? t.map(String) : [String(t)]);
}

const isClosed = (s: Json): boolean => s.additionalProperties === false;

/** Whether every value valid under `writer` is valid under `reader`, by the rules above; problems pushed to `out`. */
function compare(reader: unknown, writer: unknown, path: string, out: string[]): void {
  if (reader === true || (typeof reader === 'object' && reader !== null && Object.keys(reader).length === 0)) return;
  if (typeof reader !== 'object' || reader === null) {
    if (reader === false && writer !== false) out.push(`{errorType:'SCHEMA_REMOVED', path:'${path}'}`);
    return;
  }
  const r = reader as Json;
  const w = (typeof writer === 'object' && writer !== null ? writer : {}) as Json;
  if (r.$ref !== undefined || w.$ref !== undefined) {
    if (r.$ref !== w.$ref) out.push(`{errorType:'TYPE_CHANGED', path:'${path}'}`);
    return;
  }
  const rt = typesOf(r);
  const wt = typesOf(w);
  if (rt !== null) {
    if (wt === null) out.push(`{errorType:'TYPE_NARROWED', path:'${path}'}`);
    else for (const t of wt) if (!rt.has(t) && !(t === 'integer' && rt.has('number'))) out.push(`{errorType:'TYPE_NARROWED', path:'${path}', type:'${t}'}`);
  }
  if (Array.isArray(r.enum)) {
    const allowed = new Set(r.enum.map((v) => JSON.stringify(v)));
    if (!Array.isArray(w.enum) || w.enum.some((v) => !allowed.has(JSON.stringify(v)))) out.push(`{errorType:'ENUM_ARRAY_NARROWED', path:'${path}/enum'}`);
  }
  const rProps = (r.properties ?? {}) as Json;
  const wProps = (w.properties ?? {}) as Json;
  for (const name of Object.keys(rProps)) {
    const at = `${path}/properties/${name}`;
    if (name in wProps) compare(rProps[name], wProps[name], at, out);
    else if (typeof w.additionalProperties === 'object' && w.additionalProperties !== null) compare(rProps[name], w.additionalProperties, at, out);
    else if (!isClosed(w)) out.push(`{errorType:'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL', path:'${at}'}`);
  }
  for (const name of Object.keys(wProps)) {
    if (name in rProps) continue;
    const at = `${path}/properties/${name}`;
    if (isClosed(r)) out.push(`{errorType:'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', path:'${at}'}`);
    else if (typeof r.additionalProperties === 'object' && r.additionalProperties !== null) compare(r.additionalProperties, wProps[name], at, out);
  }
  const wRequired = new Set(Array.isArray(w.required) ? w.required.map(String) : []);
  for (const name of Array.isArray(r.required) ? r.required.map(String) : []) {
    if (!wRequired.has(name)) out.push(`{errorType:'REQUIRED_ATTRIBUTE_ADDED', path:'${path}/required/${name}'}`);
  }
  if (r.items !== undefined && !Array.isArray(r.items)) compare(r.items, w.items ?? {}, `${path}/items`, out);
  if (typeof r.maxLength === 'number' && (typeof w.maxLength !== 'number' || w.maxLength > r.maxLength)) out.push(`{errorType:'MAX_LENGTH_DECREASED', path:'${path}/maxLength'}`);
  if (typeof r.minLength === 'number' && (typeof w.minLength !== 'number' || w.minLength < r.minLength)) out.push(`{errorType:'MIN_LENGTH_INCREASED', path:'${path}/minLength'}`);
}
