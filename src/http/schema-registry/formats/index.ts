/** The three schema formats by Confluent's `schemaType` name (AVRO when the request names none). */
import { unprocessable } from '../errors.js';
import type { ParsedSchema, ResolvedReference, SchemaType } from '../types.js';
import { parseAvro } from './avro.js';
import { parseJsonSchema } from './json-schema.js';
import { parseProtobuf } from './protobuf.js';

export function parseSchema(schemaType: SchemaType, text: string, references: readonly ResolvedReference[]): ParsedSchema {
  switch (schemaType) {
    case 'AVRO': return parseAvro(text, references);
    case 'JSON': return parseJsonSchema(text, references);
    case 'PROTOBUF': return parseProtobuf(text, references);
  }
}

export function schemaTypeOf(value: unknown): SchemaType {
  if (value === undefined || value === null) return 'AVRO';
  const s = String(value).toUpperCase();
  if (s === 'AVRO' || s === 'JSON' || s === 'PROTOBUF') return s;
  throw unprocessable(`Invalid schema type ${String(value)}`);
}
