/**
 * Protobuf schemas (a `.proto` file's text) through protobufjs: parsing, with referenced files
 * parsed first into the same root so `import`s resolve; compatibility by the rules of Confluent's
 * ProtobufSchema diff that matter on the wire: a message type removed, or a field number whose
 * wire kind changes (scalar groups that share an encoding, such as int32/int64/uint32/uint64/bool,
 * stay compatible; repeated to singular does not), is incompatible; fields added or removed are
 * not (proto3 readers skip unknown fields and default missing ones).
 */
import protobuf from 'protobufjs';
import { invalidSchema } from '../errors.js';
import type { ParsedSchema, ResolvedReference } from '../types.js';

const WIRE_GROUP: Readonly<Record<string, string>> = {
  int32: 'varint', int64: 'varint', uint32: 'varint', uint64: 'varint', bool: 'varint',
  sint32: 'zigzag', sint64: 'zigzag', fixed32: 'fixed32', sfixed32: 'fixed32', float: 'float',
  fixed64: 'fixed64', sfixed64: 'fixed64', double: 'double', string: 'length', bytes: 'length',
};

function messagesOf(ns: protobuf.NamespaceBase, out: Map<string, protobuf.Type>): Map<string, protobuf.Type> {
  for (const child of ns.nestedArray) {
    if (child instanceof protobuf.Type) out.set(child.fullName, child);
    if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) messagesOf(child, out);
  }
  return out;
}

class ProtobufSchema implements ParsedSchema {
  readonly schemaType = 'PROTOBUF' as const;
  constructor(readonly messages: Map<string, protobuf.Type>, readonly canonical: string) {}

  get normalized(): string {
    return this.canonical;
  }

  canRead(writer: ParsedSchema): string[] {
    if (!(writer instanceof ProtobufSchema)) return [`cannot read ${writer.schemaType} data with a PROTOBUF schema`];
    const out: string[] = [];
    for (const [name, w] of writer.messages) {
      const r = this.messages.get(name);
      if (r === undefined) {
        out.push(`{errorType:'MESSAGE_REMOVED', path:'#/${name}'}`);
        continue;
      }
      for (const wf of w.fieldsArray) {
        const rf = r.fieldsById[wf.id];
        if (rf === undefined) continue;
        if (rf.repeated !== wf.repeated || rf.map !== wf.map) out.push(`{errorType:'FIELD_KIND_CHANGED', path:'#/${name}/${wf.id}'}`);
        else if (rf.type !== wf.type && (WIRE_GROUP[rf.type] === undefined || WIRE_GROUP[rf.type] !== WIRE_GROUP[wf.type])) {
          out.push(`{errorType:'${WIRE_GROUP[wf.type] !== undefined ? 'FIELD_SCALAR_KIND_CHANGED' : 'FIELD_NAMED_TYPE_CHANGED'}', path:'#/${name}/${wf.id}'}`);
        }
      }
    }
    return out;
  }
}

export function parseProtobuf(text: string, references: readonly ResolvedReference[]): ProtobufSchema {
  const root = new protobuf.Root();
  try {
    for (const ref of references) protobuf.parse(ref.schema, root, { keepCase: true });
    protobuf.parse(text, root, { keepCase: true });
    root.resolveAll();
  } catch (err) {
    throw invalidSchema(`${text}: ${(err as Error).message}`);
  }
  return new ProtobufSchema(messagesOf(root, new Map()), text.trim());
}
