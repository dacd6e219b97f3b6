/**
 * The wire layout of each generated message: its schema with the documentation left out (names,
 * types, version ranges, tags, defaults, nesting). Every generated module exports one per
 * message, so the protocol tests can build values and a reference encoding of any message and
 * version without Kafka's JSON schemas, which a clone of this repository does not have.
 */
import type { RawField, RawMessage } from './gen-protocol.js';

/** The keys of a field that decide how it is written; the rest of a schema is documentation. */
const FIELD_KEYS = ['name', 'type', 'versions', 'nullableVersions', 'taggedVersions', 'tag', 'default', 'flexibleVersions'] as const;

/** `layout.ts`: the types of the layout constants. */
export function layoutTypesFile(header: string): string {
  return `${header}
// The wire layout of a message: its Kafka JSON schema without the documentation.

/** A field: version ranges are Kafka's spelling ("3+", "0-2", "none"). */
export interface FieldLayout {
  readonly name: string;
  /** A primitive, a struct name, or either behind "[]" for an array. */
  readonly type: string;
  readonly versions: string;
  readonly nullableVersions?: string;
  readonly taggedVersions?: string;
  readonly tag?: number;
  readonly default?: string | number | boolean;
  readonly flexibleVersions?: string;
  /** The fields of an inline struct (absent for primitives and common structs). */
  readonly fields?: readonly FieldLayout[];
}

/** A struct shared by several fields of one message. */
export interface StructLayout {
  readonly name: string;
  readonly versions: string;
  readonly fields: readonly FieldLayout[];
}

/** A request, response, header or data message. */
export interface MessageLayout {
  readonly name: string;
  readonly type: 'request' | 'response' | 'header' | 'data';
  readonly apiKey?: number;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly listeners?: readonly string[];
  readonly latestVersionUnstable?: boolean;
  readonly fields: readonly FieldLayout[];
  readonly commonStructs?: readonly StructLayout[];
}
`;
}

const str = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const lit = (x: string | number | boolean): string => (typeof x === 'string' ? str(x) : String(x));

function fieldLines(f: RawField): string[] {
  const props = FIELD_KEYS.filter((k) => f[k] !== undefined).map((k) => `${k}: ${lit(f[k]!)}`);
  if (!f.fields) return [`{ ${props.join(', ')} },`];
  return [`{ ${props.join(', ')}, fields: [`, ...fieldsLines(f.fields), '] },'];
}

function fieldsLines(fields: RawField[]): string[] {
  return fields.flatMap(fieldLines).map((l) => `  ${l}`);
}

/** `export const <Name>Layout: MessageLayout = {...};` for one message. */
export function layoutConst(msg: RawMessage): string[] {
  const head: string[] = [`name: ${str(msg.name)}`, `type: ${str(msg.type)}`];
  if (msg.apiKey !== undefined) head.push(`apiKey: ${msg.apiKey}`);
  head.push(`validVersions: ${str(msg.validVersions)}`, `flexibleVersions: ${str(msg.flexibleVersions)}`);
  if (msg.listeners) head.push(`listeners: [${msg.listeners.map(str).join(', ')}]`);
  if (msg.latestVersionUnstable !== undefined) head.push(`latestVersionUnstable: ${msg.latestVersionUnstable}`);
  const body = [`${head.join(', ')},`, 'fields: [', ...fieldsLines(msg.fields), '],'];
  if (msg.commonStructs?.length) {
    body.push('commonStructs: [');
    for (const c of msg.commonStructs) body.push(`  { name: ${str(c.name)}, versions: ${str(c.versions)}, fields: [`, ...fieldsLines(c.fields).map((l) => `  ${l}`), '  ] },');
    body.push('],');
  }
  return [`/** The wire layout of ${msg.name}: its schema without the documentation. */`, `export const ${msg.name}Layout: MessageLayout = {`, ...body.map((l) => `  ${l}`), '};'];
}
