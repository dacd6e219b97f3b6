import { describe, expect, it } from 'vitest';
import { checkCompatibility } from '../../src/http/schema-registry/compatibility.js';
import { parseSchema } from '../../src/http/schema-registry/formats/index.js';
import type { CompatibilityLevel, ResolvedReference, SchemaType } from '../../src/http/schema-registry/types.js';

const LEVELS: CompatibilityLevel[] = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'];

/** Which levels accept `candidate` after `previous` (oldest first). */
function accepted(type: SchemaType, previous: string[], candidate: string, references: ResolvedReference[] = []): CompatibilityLevel[] {
  const prev = previous.map((s) => parseSchema(type, s, references));
  const next = parseSchema(type, candidate, references);
  return LEVELS.filter((l) => checkCompatibility(l, next, prev).length === 0);
}

const avro = (fields: object[], name = 'R'): string => JSON.stringify({ type: 'record', name, fields });
const a = { name: 'a', type: 'string' };
const bDefault = { name: 'b', type: 'int', default: 0 };
const b = { name: 'b', type: 'int' };

describe('Avro compatibility', () => {
  it('a field added with a default is fully compatible', () => {
    expect(accepted('AVRO', [avro([a])], avro([a, bDefault]))).toEqual(LEVELS);
  });
  it('a field added without a default is forward compatible only', () => {
    expect(accepted('AVRO', [avro([a])], avro([a, b]))).toEqual(['NONE', 'FORWARD', 'FORWARD_TRANSITIVE']);
  });
  it('a field without a default removed is backward compatible only', () => {
    expect(accepted('AVRO', [avro([a, b])], avro([a]))).toEqual(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE']);
  });
  it('int widened to long is backward compatible only; a record renamed is compatible with nothing', () => {
    expect(accepted('AVRO', [avro([{ name: 'n', type: 'int' }])], avro([{ name: 'n', type: 'long' }]))).toEqual(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE']);
    expect(accepted('AVRO', [avro([a])], avro([a], 'Other'))).toEqual(['NONE']);
  });
  it('transitive levels look at every version, the plain ones at the latest', () => {
    // v3 reads v2 (b present) but not v1 (b missing, no default).
    expect(accepted('AVRO', [avro([a]), avro([a, bDefault])], avro([a, b]))).toEqual(['NONE', 'BACKWARD', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL']);
    // v2 reads v3 (b defaulted) but v1 does not (b required).
    expect(accepted('AVRO', [avro([a, b]), avro([a, bDefault])], avro([a]))).toEqual(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FULL']);
  });
  it('a reference resolves, and a change behind it is checked', () => {
    const address = (fields: object[]): ResolvedReference => ({ name: 'Address', subject: 'address', version: 1, schemaType: 'AVRO', schema: JSON.stringify({ type: 'record', name: 'Address', fields }) });
    const person = avro([{ name: 'home', type: 'Address' }], 'Person');
    const v1 = parseSchema('AVRO', person, [address([a])]);
    const v2 = parseSchema('AVRO', person, [address([a, b])]);
    expect(checkCompatibility('BACKWARD', v2, [v1]).length).toBe(1);
    expect(checkCompatibility('FORWARD', v2, [v1])).toEqual([]);
  });
});

const json = (properties: object, extra: object = {}): string => JSON.stringify({ type: 'object', properties, ...extra });
const closed = { additionalProperties: false };

describe('JSON Schema compatibility', () => {
  it('an optional property added to a closed model is backward compatible only', () => {
    expect(accepted('JSON', [json({ id: { type: 'integer' } }, closed)], json({ id: { type: 'integer' }, name: { type: 'string' } }, closed))).toEqual(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE']);
  });
  it('a property added to an open model is forward compatible only, as in Confluent', () => {
    expect(accepted('JSON', [json({ id: { type: 'integer' } })], json({ id: { type: 'integer' }, name: { type: 'string' } }))).toEqual(['NONE', 'FORWARD', 'FORWARD_TRANSITIVE']);
  });
  it('a required property added is not backward compatible; integer widened to number is', () => {
    expect(accepted('JSON', [json({ id: { type: 'integer' } }, closed)], json({ id: { type: 'integer' }, n: { type: 'string' } }, { ...closed, required: ['n'] }))).toEqual(['NONE']);
    expect(accepted('JSON', [json({ id: { type: 'integer' } })], json({ id: { type: 'number' } }))).toEqual(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE']);
  });
  it('transitive: an enum narrowed back to its first values', () => {
    const e = (values: string[]): string => json({ c: { enum: values } });
    // v3 reads v2 ({x,y} from {x,y}) but not v1's z.
    expect(accepted('JSON', [e(['x', 'y', 'z']), e(['x', 'y'])], e(['x', 'y']))).toEqual(['NONE', 'BACKWARD', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL']);
  });
  it('refuses a schema ajv cannot compile', () => {
    expect(() => parseSchema('JSON', '{"type": 12}', [])).toThrow(/Invalid schema/);
    expect(() => parseSchema('JSON', '[1]', [])).toThrow(/Invalid schema/);
  });
});

const proto = (body: string): string => `syntax = "proto3";\npackage t;\n${body}`;

describe('Protobuf compatibility', () => {
  it('a field added, or int32 widened to int64, is fully compatible', () => {
    expect(accepted('PROTOBUF', [proto('message M { int32 a = 1; }')], proto('message M { int32 a = 1; string b = 2; }'))).toEqual(LEVELS);
    expect(accepted('PROTOBUF', [proto('message M { int32 a = 1; }')], proto('message M { int64 a = 1; }'))).toEqual(LEVELS);
  });
  it('a field number changing wire kind, or repeated, is compatible with nothing', () => {
    expect(accepted('PROTOBUF', [proto('message M { int32 a = 1; }')], proto('message M { string a = 1; }'))).toEqual(['NONE']);
    expect(accepted('PROTOBUF', [proto('message M { int32 a = 1; }')], proto('message M { repeated int32 a = 1; }'))).toEqual(['NONE']);
  });
  it('a message removed is forward compatible only', () => {
    expect(accepted('PROTOBUF', [proto('message M { int32 a = 1; } message N { int32 x = 1; }')], proto('message M { int32 a = 1; }'))).toEqual(['NONE', 'FORWARD', 'FORWARD_TRANSITIVE']);
  });
  it('transitive: a field number reused with another kind two versions later', () => {
    expect(accepted('PROTOBUF', [proto('message M { int32 a = 1; }'), proto('message M { }')], proto('message M { string a = 1; }'))).toEqual(['NONE', 'BACKWARD', 'FORWARD', 'FULL']);
  });
  it('resolves an import from a reference', () => {
    const dep: ResolvedReference = { name: 'dep.proto', subject: 'dep', version: 1, schemaType: 'PROTOBUF', schema: proto('message D { int32 x = 1; }') };
    expect(() => parseSchema('PROTOBUF', proto('import "dep.proto";\nmessage M { D d = 1; }'), [dep])).not.toThrow();
    expect(() => parseSchema('PROTOBUF', proto('message M { D d = 1; }'), [])).toThrow(/Invalid schema/);
  });
});
