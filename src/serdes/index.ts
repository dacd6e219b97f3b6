/**
 * `strand/serdes`: Confluent-compatible serializers for Node (Avro through avsc, JSON Schema
 * through ajv, Protobuf through protobufjs) that register and fetch schemas in a Schema Registry
 * (strand's or Confluent's) and write Confluent's wire format, so records interoperate with
 * Confluent's serializers in every language. Use them with kafkajs or strand's client.
 *
 * @example
 * ```ts
 * const registry = new SchemaRegistryClient('http://127.0.0.1:8080');
 * const orders = avroSerde(registry, { subject: 'orders-value', schema: orderSchemaJson });
 * await producer.send({ topic: 'orders', messages: [{ value: await orders.serialize({ id: 1 }) }] });
 * const order = await orders.deserialize(message.value);
 * ```
 */
import AjvModule from 'ajv';
import avro from 'avsc';
import protobuf from 'protobufjs';
import { InvalidArgumentError } from '../errors.js';
import { SchemaRegistryClient } from './registry-client.js';
import { frame, unframe } from './wire.js';

export { SchemaRegistryClient, SchemaRegistryError, type RegisteredSchema, type SchemaType } from './registry-client.js';
export { frame, unframe, MAGIC_BYTE } from './wire.js';

export interface Serde<T = unknown> {
  /** Registers the schema under the subject on first use, then writes magic byte, id and value. */
  serialize(value: T): Promise<Buffer>;
  /** Reads a record in wire format with the schema its id names (any id of the registry). */
  deserialize(bytes: Buffer): Promise<T>;
}

export interface SerdeOptions {
  /** Confluent's TopicNameStrategy names it `<topic>-value` (or `-key`). */
  subject: string;
  /** The schema text. */
  schema: string;
}

export function avroSerde<T = unknown>(client: SchemaRegistryClient, options: SerdeOptions): Serde<T> {
  const type = avro.Type.forSchema(JSON.parse(options.schema) as avro.Schema);
  const writers = new Map<number, avro.Type>();
  return {
    async serialize(value) {
      const id = await client.register(options.subject, options.schema, 'AVRO');
      return frame(id, type.toBuffer(value));
    },
    async deserialize(bytes) {
      const { id, payload } = unframe(bytes);
      let writer = writers.get(id);
      if (writer === undefined) {
        writer = avro.Type.forSchema(JSON.parse((await client.schemaById(id)).schema) as avro.Schema);
        writers.set(id, writer);
      }
      // Data written with another version is read into this serde's schema by Avro's resolution rules.
      return (writer.equals(type) ? type.fromBuffer(payload) : type.fromBuffer(payload, type.createResolver(writer))) as T;
    },
  };
}

export function jsonSchemaSerde<T = unknown>(client: SchemaRegistryClient, options: SerdeOptions): Serde<T> {
  const validate = new AjvModule.default({ strict: false, validateFormats: false }).compile(JSON.parse(options.schema) as object);
  return {
    async serialize(value) {
      if (!validate(value)) throw new InvalidArgumentError(`the value does not match the JSON schema of ${options.subject}: ${JSON.stringify(validate.errors)}`);
      const id = await client.register(options.subject, options.schema, 'JSON');
      return frame(id, Buffer.from(JSON.stringify(value)));
    },
    async deserialize(bytes) {
      return JSON.parse(unframe(bytes).payload.toString('utf8')) as T;
    },
  };
}

/** Path of a message type in its file: its index among the messages of each enclosing scope. */
function messageIndexes(type: protobuf.Type): number[] {
  const path: number[] = [];
  let t: protobuf.ReflectionObject = type;
  while (t.parent !== null) {
    const parent: protobuf.NamespaceBase = t.parent;
    const siblings: protobuf.ReflectionObject[] = parent.nestedArray.filter((x) => x instanceof protobuf.Type);
    path.unshift(siblings.indexOf(t));
    if (!(parent instanceof protobuf.Type)) break; // the file's top level (or its package)
    t = parent;
  }
  return path;
}

export function protobufSerde<T extends Record<string, unknown> = Record<string, unknown>>(client: SchemaRegistryClient, options: SerdeOptions & { messageType: string }): Serde<T> {
  const root = protobuf.parse(options.schema, { keepCase: true }).root;
  const type = root.lookupType(options.messageType);
  const indexes = messageIndexes(type);
  return {
    async serialize(value) {
      const problem = type.verify(value);
      if (problem !== null) throw new InvalidArgumentError(`the value does not match ${options.messageType}: ${problem}`);
      const id = await client.register(options.subject, options.schema, 'PROTOBUF');
      return frame(id, type.encode(type.fromObject(value)).finish(), indexes);
    },
    async deserialize(bytes) {
      const { payload } = unframe(bytes, true);
      return type.toObject(type.decode(payload), { longs: Number, defaults: true }) as T;
    },
  };
}
