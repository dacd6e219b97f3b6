/**
 * Protobuf values of the proxy's `protobuf` (v2) and `PROTOBUF` (v3) formats: a registered
 * `.proto` schema compiled with protobufjs (its references parsed first into the same root), and
 * the message types of the schema's own file in Confluent's message-index order (the i-th
 * message of the file, then the j-th message nested in it, ...). A value is produced as the
 * file's first message, as Confluent's proxy does, in the wire format with message indexes
 * (src/serdes/wire.ts); a record is read with the message its indexes name.
 */
import protobuf from 'protobufjs';
import { frame, unframe } from '../../serdes/wire.js';
import type { ResolvedReference } from '../schema-registry/types.js';
import { jsonConversion } from './errors.js';

export class ProtobufCodec {
  private readonly root = new protobuf.Root();
  /** Full names of the file's top-level messages, in the order they are written. */
  private readonly topLevel: string[];

  constructor(readonly id: number, schema: string, references: readonly ResolvedReference[]) {
    for (const r of references) protobuf.parse(r.schema, this.root, { keepCase: true });
    protobuf.parse(schema, this.root, { keepCase: true });
    this.root.resolveAll();
    // The file alone (imports left unresolved) says which messages are its own, and their order.
    this.topLevel = topLevelMessages(protobuf.parse(schema, new protobuf.Root(), { keepCase: true }).root);
  }

  /** The message at `indexes` ([0] is the file's first message). */
  messageAt(indexes: readonly number[]): protobuf.Type {
    const first = this.topLevel[indexes[0] ?? 0];
    if (first === undefined) throw jsonConversion(`schema ${this.id} has no message at index ${indexes[0]}`);
    let type = this.root.lookupType(first);
    for (const i of indexes.slice(1)) {
      const nested = type.nestedArray.filter((x): x is protobuf.Type => x instanceof protobuf.Type)[i];
      if (nested === undefined) throw jsonConversion(`schema ${this.id} has no nested message at ${indexes.join('.')}`);
      type = nested;
    }
    return type;
  }

  /** JSON value -> wire format, as the file's first message. */
  encode(value: unknown): Buffer {
    const type = this.messageAt([0]);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw jsonConversion(`a ${type.name} value is a JSON object`);
    const unknown = Object.keys(value).filter((k) => type.fields[k] === undefined && !type.oneofs?.[k]);
    if (unknown.length > 0) throw jsonConversion(`${type.name} has no field ${unknown.join(', ')}`);
    let payload: Uint8Array;
    try {
      payload = type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    } catch (err) {
      throw jsonConversion((err as Error).message);
    }
    return frame(this.id, payload, [0]);
  }

  /** Wire format -> JSON value (int64 as numbers, enums by name, bytes as base64, unset fields at their defaults). */
  decode(bytes: Buffer): unknown {
    const { messageIndexes, payload } = unframe(bytes, true);
    const type = this.messageAt(messageIndexes ?? [0]);
    return type.toObject(type.decode(payload), { longs: Number, enums: String, bytes: String, defaults: true });
  }
}

function topLevelMessages(ns: protobuf.NamespaceBase): string[] {
  const out: string[] = [];
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) out.push(child.fullName.replace(/^\./, ''));
    else if (child instanceof protobuf.Namespace) out.push(...topLevelMessages(child)); // a package
  }
  return out;
}
