/**
 * An independent, slow interpretation of Kafka's message layouts for tests: fast-check
 * arbitraries of complete message values for one version, and a reference encoder written
 * straight from the protocol rules (not from the generator), to compare the generated code with.
 * The layouts are the schemas without their documentation, as every generated module exports
 * them (`<Message>Layout`), so these tests need no copy of Kafka's JSON schemas.
 */
import fc from 'fast-check';
import { type FieldLayout, MESSAGE_LAYOUTS, type MessageLayout } from '../../src/protocol/messages/index.js';

const byName = new Map(MESSAGE_LAYOUTS.map((m) => [m.name, m]));

/** The layout of a generated message, by name (e.g. 'FetchRequest'). */
export function layout(name: string): MessageLayout {
  const m = byName.get(name);
  if (!m) throw new Error(`no generated layout ${name}`);
  return m;
}

/** Every message the generator turns into codecs: broker APIs, headers, data. */
export const codecLayouts = (): readonly MessageLayout[] => MESSAGE_LAYOUTS;

/** Kafka's version ranges: "N+", "N-M", "N", "none". */
export function parseRange(spec: string): { lo: number; hi: number } {
  if (spec === 'none') return { lo: 1, hi: 0 };
  const m = /^(\d+)(?:(\+)|-(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`bad version range ${JSON.stringify(spec)}`);
  const lo = Number(m[1]);
  return { lo, hi: m[2] ? 0x7fff : m[3] !== undefined ? Number(m[3]) : lo };
}

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const PRIMS = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

export const inVersions = (spec: string | undefined, v: number): boolean => {
  if (spec === undefined) return false;
  const r = parseRange(spec);
  return v >= r.lo && v <= r.hi;
};

const camel = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const elemType = (t: string): string => (t.startsWith('[]') ? t.slice(2) : t);
const isArray = (t: string): boolean => t.startsWith('[]');
const isStruct = (t: string): boolean => !PRIMS.has(elemType(t));

export class Spec {
  private readonly common = new Map<string, readonly FieldLayout[]>();
  constructor(readonly msg: MessageLayout) {
    for (const c of msg.commonStructs ?? []) this.common.set(c.name, c.fields);
  }

  get versions(): number[] {
    const r = parseRange(this.msg.validVersions);
    const out: number[] = [];
    for (let v = r.lo; v <= r.hi; v++) out.push(v);
    return out;
  }

  structFields(f: FieldLayout): readonly FieldLayout[] {
    const fields = f.fields ?? this.common.get(elemType(f.type)) ?? this.findInline(this.msg.fields, elemType(f.type));
    if (!fields) throw new Error(`no struct ${f.type}`);
    return fields;
  }

  private findInline(fields: readonly FieldLayout[], name: string): readonly FieldLayout[] | undefined {
    for (const f of fields) {
      if (f.fields && elemType(f.type) === name) return f.fields;
      if (f.fields) {
        const found = this.findInline(f.fields, name);
        if (found) return found;
      }
    }
    return undefined;
  }

  flexible(v: number, f?: FieldLayout): boolean {
    return inVersions(f?.flexibleVersions ?? this.msg.flexibleVersions, v);
  }

  // ---- defaults ------------------------------------------------------------------------

  defaultOf(f: FieldLayout): unknown {
    const d = f.default;
    if (d === 'null') return null;
    if (isArray(f.type)) return [];
    if (isStruct(f.type)) return this.defaultStruct(this.structFields(f));
    switch (f.type) {
      case 'bool':
        return d === true || d === 'true';
      case 'int64':
        return BigInt(d ?? 0);
      case 'string':
        return d === undefined ? '' : String(d);
      case 'uuid':
        return ZERO_UUID;
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return f.nullableVersions ? null : Buffer.alloc(0);
      default:
        return Number(d ?? 0);
    }
  }

  defaultStruct(fields: readonly FieldLayout[]): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of fields) o[camel(f.name)] = this.defaultOf(f);
    return o;
  }

  // ---- arbitraries -----------------------------------------------------------------------

  /** Complete values of a struct at version v: present fields random, absent ones default. */
  structArb(fields: readonly FieldLayout[], v: number): fc.Arbitrary<Record<string, unknown>> {
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) {
      const key = camel(f.name);
      if (!inVersions(f.versions, v)) {
        rec[key] = fc.constant(null).map(() => this.defaultOf(f));
        continue;
      }
      const arb = this.valueArb(f, v);
      rec[key] = inVersions(f.taggedVersions, v) ? fc.oneof(fc.constant(null).map(() => this.defaultOf(f)), arb) : arb;
    }
    return fc.record(rec);
  }

  private valueArb(f: FieldLayout, v: number): fc.Arbitrary<unknown> {
    const nullable = inVersions(f.nullableVersions, v) && (isArray(f.type) || isStruct(f.type) || ['string', 'bytes', 'records'].includes(f.type));
    let base: fc.Arbitrary<unknown>;
    if (isArray(f.type)) {
      const e = elemType(f.type);
      const elem = isStruct(f.type) ? this.structArb(this.structFields(f), v) : primArb(e);
      base = fc.array(elem, { maxLength: 3 });
    } else if (isStruct(f.type)) {
      base = this.structArb(this.structFields(f), v);
    } else {
      base = primArb(f.type);
    }
    return nullable ? fc.option(base, { nil: null, freq: 4 }) : base;
  }

  // ---- reference encoder -------------------------------------------------------------------

  encode(fields: readonly FieldLayout[], o: Record<string, unknown>, v: number, out: Ref): void {
    const flexible = this.flexible(v);
    for (const f of fields) {
      if (!inVersions(f.versions, v)) continue;
      if (flexible && inVersions(f.taggedVersions, v)) continue;
      this.encodeValue(f, o[camel(f.name)], v, this.flexible(v, f), false, out);
    }
    if (!flexible) return;
    const tagged = fields.filter((f) => inVersions(f.versions, v) && inVersions(f.taggedVersions, v)).sort((a, b) => a.tag! - b.tag!);
    const entries: [number, number[]][] = [];
    for (const f of tagged) {
      const x = o[camel(f.name)];
      if (!this.nonDefault(f, x)) continue;
      const tmp = new Ref();
      this.encodeValue(f, x, v, true, true, tmp);
      entries.push([f.tag!, tmp.bytes]);
    }
    out.uvarint(entries.length);
    for (const [tag, bytes] of entries) {
      out.uvarint(tag);
      out.uvarint(bytes.length);
      out.bytes.push(...bytes);
    }
  }

  /** Java's generateNonDefaultValueCheck. */
  private nonDefault(f: FieldLayout, x: unknown): boolean {
    const d = this.defaultOf(f);
    if (f.default === 'null') return x !== null;
    if (x === null) return true;
    if (isArray(f.type) || f.type === 'bytes' || f.type === 'records') return (x as { length: number }).length !== 0;
    if (isStruct(f.type)) return !deepEqual(x, d);
    return x !== d;
  }

  private encodeValue(f: FieldLayout, x: unknown, v: number, flex: boolean, tagged: boolean, out: Ref): void {
    const nullable = inVersions(f.nullableVersions, v);
    if (isArray(f.type)) {
      const a = x as unknown[] | null;
      if (a === null) {
        if (!nullable) throw new Error(`null array ${f.name}`);
        if (flex) out.uvarint(0);
        else out.int(-1, 4);
        return;
      }
      if (flex) out.uvarint(a.length + 1);
      else out.int(a.length, 4);
      for (const e of a) {
        if (isStruct(f.type)) this.encode(this.structFields(f), e as Record<string, unknown>, v, out);
        else encodePrim(elemType(f.type), e, flex, false, out);
      }
      return;
    }
    if (isStruct(f.type)) {
      if (nullable) {
        if (x === null) {
          if (tagged) out.uvarint(0);
          else out.int(-1, 1);
          return;
        }
        if (tagged) out.uvarint(1);
        else out.int(1, 1);
      }
      this.encode(this.structFields(f), x as Record<string, unknown>, v, out);
      return;
    }
    encodePrim(f.type, x, flex, nullable, out);
  }
}

function primArb(t: string): fc.Arbitrary<unknown> {
  switch (t) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64':
      return fc.double();
    case 'string':
      return fc.oneof(
        { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 40, maxLength: 300 }) },
      );
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    case 'bytes':
    case 'records':
      return fc.oneof(
        { weight: 4, arbitrary: fc.uint8Array({ maxLength: 12 }) },
        { weight: 1, arbitrary: fc.uint8Array({ minLength: 500, maxLength: 700 }) },
      ).map((b) => Buffer.from(b));
    default:
      throw new Error(`no arbitrary for ${t}`);
  }
}

function encodePrim(t: string, x: unknown, flex: boolean, nullable: boolean, out: Ref): void {
  switch (t) {
    case 'bool':
      out.int(x ? 1 : 0, 1);
      return;
    case 'int8':
      out.int(x as number, 1);
      return;
    case 'int16':
    case 'uint16':
      out.int(x as number, 2);
      return;
    case 'int32':
    case 'uint32':
      out.int(x as number, 4);
      return;
    case 'int64': {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(x as bigint);
      out.bytes.push(...b);
      return;
    }
    case 'float64': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(x as number);
      out.bytes.push(...b);
      return;
    }
    case 'uuid':
      out.bytes.push(...Buffer.from(x as string, 'base64url'));
      return;
    case 'string':
    case 'bytes':
    case 'records': {
      if (x === null) {
        if (!nullable) throw new Error('null in non-nullable field');
        if (flex) out.uvarint(0);
        else out.int(-1, t === 'string' ? 2 : 4);
        return;
      }
      const data = t === 'string' ? Buffer.from(x as string, 'utf8') : (x as Buffer);
      if (flex) out.uvarint(data.length + 1);
      else out.int(data.length, t === 'string' ? 2 : 4);
      out.bytes.push(...data);
      return;
    }
    default:
      throw new Error(`cannot encode ${t}`);
  }
}

/** A trivially correct byte sink. */
export class Ref {
  bytes: number[] = [];
  int(v: number, size: number): void {
    for (let i = size - 1; i >= 0; i--) this.bytes.push(Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
  }
  uvarint(v: number): void {
    let x = v;
    while (x >= 0x80) {
      this.bytes.push((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    this.bytes.push(x);
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}
