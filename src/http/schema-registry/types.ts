/** The registry's data model, as Confluent Schema Registry's REST API and `_schemas` topic name it. */

export type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF';
export const SCHEMA_TYPES: readonly SchemaType[] = ['JSON', 'PROTOBUF', 'AVRO'];

/** A reference from one schema to another registered one (Confluent's SchemaReference). */
export interface SchemaReference {
  /** Avro: the referenced type's full name; JSON Schema: the `$ref` URL; Protobuf: the import path. */
  name: string;
  subject: string;
  version: number;
}

/** A reference with the referenced schema's text, resolved recursively (dependencies first). */
export interface ResolvedReference extends SchemaReference {
  schemaType: SchemaType;
  schema: string;
}

/** A parsed, valid schema of one format. */
export interface ParsedSchema {
  readonly schemaType: SchemaType;
  /** The text kept and served: the schema as given, without insignificant whitespace. */
  readonly canonical: string;
  /** Confluent's normalised form (used when `normalize=true`): attributes in a fixed order. */
  readonly normalized: string;
  /**
   * Whether data written with `writer` can be read with this schema; an empty list when it can,
   * else one message per problem.
   */
  canRead(writer: ParsedSchema): string[];
}

export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';
export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'];

export type Mode = 'READWRITE' | 'READONLY' | 'READONLY_OVERRIDE' | 'IMPORT';
export const MODES: readonly Mode[] = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'];

/** One version of a subject, as stored in `_schemas`. */
export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  deleted: boolean;
}
