/**
 * The v2 embedded formats between JSON and record bytes: `binary` (base64), `json` (any JSON
 * value, stored as its UTF-8 text), `avro` and `jsonschema` (the value checked against a schema
 * registered in the Schema Registry under TopicNameStrategy's `<topic>-key`/`<topic>-value`,
 * stored in Confluent's wire format: magic byte 0, the schema id as a 4-byte big-endian integer,
 * then the Avro binary encoding or the JSON text), and `protobuf` (the same with Confluent's message
 * indexes, protobuf.ts).
 */
import avro from 'avsc';
import AjvModule from 'ajv';
import type { Registry } from '../schema-registry/registry.js';
import type { SchemaType } from '../schema-registry/types.js';
import { jsonConversion } from './errors.js';
import { ProtobufCodec } from './protobuf.js';

export type EmbeddedFormat = 'binary' | 'json' | 'avro' | 'jsonschema' | 'protobuf';

export const schemaTypeOfFormat = (f: EmbeddedFormat): SchemaType | null => (f === 'avro' ? 'AVRO' : f === 'jsonschema' ? 'JSON' : f === 'protobuf' ? 'PROTOBUF' : null);

/** The format that reads and writes values of a schema type. */
export const formatOfSchemaType = (t: SchemaType): EmbeddedFormat => (t === 'AVRO' ? 'avro' : t === 'JSON' ? 'jsonschema' : 'protobuf');

/** `application/vnd.kafka.<format>.v2+json` -> format (null for anything else). */
export function formatOfContentType(contentType: string | undefined): EmbeddedFormat | null {
  const m = /^application\/vnd\.kafka\.(binary|json|avro|jsonschema|protobuf)\.v2\+json/.exec(contentType ?? '');
  return m === null ? null : (m[1] as EmbeddedFormat);
}

export const MAGIC_BYTE = 0;

/** Confluent's wire format: magic byte, schema id, payload. */
export function wireFormat(id: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeInt32BE(id, 1);
  payload.copy(out, 5);
  return out;
}

/** A schema of the registry compiled for encoding and decoding, cached by id. */
export class SchemaCodecs {
  private readonly avroTypes = new Map<number, avro.Type>();
  private readonly validators = new Map<number, (v: unknown) => boolean>();
  private readonly protobufs = new Map<number, ProtobufCodec>();

  constructor(private readonly registry: Registry) {}

  avroType(id: number): avro.Type {
    let t = this.avroTypes.get(id);
    if (t === undefined) {
      const s = this.registry.schemaById(id);
      const refs = this.registry.resolveReferences(s.references);
      const registry: Record<string, avro.Type> = {};
      for (const r of refs) avro.Type.forSchema(JSON.parse(r.schema) as avro.Schema, { registry, wrapUnions: true });
      t = avro.Type.forSchema(JSON.parse(s.schema) as avro.Schema, { registry, wrapUnions: true });
      this.avroTypes.set(id, t);
    }
    return t;
  }

  jsonValidator(id: number): (v: unknown) => boolean {
    let v = this.validators.get(id);
    if (v === undefined) {
      const s = this.registry.schemaById(id);
      const ajv = new AjvModule.default({ strict: false, validateFormats: false });
      for (const r of this.registry.resolveReferences(s.references)) ajv.addSchema(JSON.parse(r.schema) as object, r.name);
      v = ajv.compile(JSON.parse(s.schema) as object);
      this.validators.set(id, v);
    }
    return v;
  }

  protobuf(id: number): ProtobufCodec {
    let c = this.protobufs.get(id);
    if (c === undefined) {
      const s = this.registry.schemaById(id);
      c = new ProtobufCodec(id, s.schema, this.registry.resolveReferences(s.references));
      this.protobufs.set(id, c);
    }
    return c;
  }

  /** JSON value -> record bytes under schema `id` (null stays null). */
  encode(format: EmbeddedFormat, value: unknown, id: number | null): Buffer | null {
    if (value === null || value === undefined) return null;
    switch (format) {
      case 'binary': {
        if (typeof value !== 'string') throw jsonConversion('a binary value is a base64 string');
        return Buffer.from(value, 'base64');
      }
      case 'json': return Buffer.from(JSON.stringify(value));
      case 'avro': {
        const type = this.avroType(id!);
        let encoded: Buffer;
        try {
          // Avro's JSON encoding, as Confluent's converter reads it (unions as {"type": value}).
          encoded = type.toBuffer(type.fromString(JSON.stringify(value)));
        } catch (err) {
          throw jsonConversion((err as Error).message);
        }
        return wireFormat(id!, encoded);
      }
      case 'jsonschema': {
        if (!this.jsonValidator(id!)(value)) throw jsonConversion(`the value does not match schema ${id}`);
        return wireFormat(id!, Buffer.from(JSON.stringify(value)));
      }
      case 'protobuf': return this.protobuf(id!).encode(value);
    }
  }

  /** Record bytes -> JSON value, as the consumer's format shows it. */
  decode(format: EmbeddedFormat, bytes: Buffer | null): unknown {
    if (bytes === null) return null;
    switch (format) {
      case 'binary': return bytes.toString('base64');
      case 'json': return bytes.length === 0 ? null : JSON.parse(bytes.toString('utf8')) as unknown;
      case 'protobuf':
        if (bytes.length < 6 || bytes[0] !== MAGIC_BYTE) throw jsonConversion('Unknown magic byte!');
        return this.protobuf(bytes.readInt32BE(1)).decode(bytes);
      case 'avro':
      case 'jsonschema': {
        if (bytes.length < 5 || bytes[0] !== MAGIC_BYTE) throw jsonConversion('Unknown magic byte!');
        const id = bytes.readInt32BE(1);
        if (format === 'jsonschema') return JSON.parse(bytes.subarray(5).toString('utf8')) as unknown;
        const type = this.avroType(id);
        return JSON.parse(type.toString(type.fromBuffer(bytes.subarray(5)))) as unknown;
      }
    }
  }
}
