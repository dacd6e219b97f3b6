/**
 * Avro schemas through avsc: parsing (names, defaults and logical types checked), and
 * compatibility by Avro's schema resolution rules (`reader.createResolver(writer)` fails exactly
 * when the reader cannot read what the writer wrote: missing defaults, narrowed types, removed
 * enum symbols, renamed types without aliases), which is what Confluent's AvroCompatibilityChecker
 * applies.
 */
import avro from 'avsc';
import { invalidSchema } from '../errors.js';
import type { ParsedSchema, ResolvedReference } from '../types.js';

class AvroSchema implements ParsedSchema {
  readonly schemaType = 'AVRO' as const;
  constructor(readonly type: avro.Type, readonly canonical: string, readonly normalized: string) {}

  canRead(writer: ParsedSchema): string[] {
    if (!(writer instanceof AvroSchema)) return [`cannot read ${writer.schemaType} data with an AVRO schema`];
    try {
      this.type.createResolver(writer.type);
      return [];
    } catch (err) {
      return [`{errorType:'READER_CANNOT_READ_WRITER', description:'${(err as Error).message}'}`];
    }
  }
}

export function parseAvro(text: string, references: readonly ResolvedReference[]): AvroSchema {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // Java Avro accepts a bare primitive name without quotes ("schema": "string" is the JSON string `string`).
    if (/^[a-z]+$/.test(text.trim())) json = text.trim();
    else throw invalidSchema(`${text}: ${(err as Error).message}`);
  }
  // Referenced named types are parsed first into one registry, so the schema may name them.
  const registry: Record<string, avro.Type> = {};
  try {
    for (const ref of references) avro.Type.forSchema(JSON.parse(ref.schema) as avro.Schema, { registry });
  } catch (err) {
    throw invalidSchema(`a reference does not parse: ${(err as Error).message}`);
  }
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema, { registry });
  } catch (err) {
    throw invalidSchema(`${text}: ${(err as Error).message}`);
  }
  const canonical = JSON.stringify(json);
  const normalized = JSON.stringify(type.schema({ exportAttrs: true }));
  return new AvroSchema(type, canonical, normalized);
}
