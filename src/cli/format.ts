/**
 * The `--format` string of `strand consume`, in the spirit of kcat's `-f`: `%`-fields and
 * backslash escapes, compiled once into a list of parts and rendered to bytes per record
 * (values are written as they are, binary included).
 */
import type { StoredRecord } from '../format/record.js';
import { UsageError } from './args.js';

export const FORMAT_HELP = `Format fields:
  %v (or %s)  value          %k  key               %h  headers as k=v,k2=v2
  %o  offset                 %p  partition         %T  topic
  %t  timestamp (ms)         %K  key length        %S  value length (-1 when null)
  %%  a literal %            \\n \\t \\r \\\\ \\0  escapes`;

export interface RecordContext {
  topic: string;
  partition: number;
}

type Part = Buffer | ((r: StoredRecord, ctx: RecordContext) => Buffer);

const EMPTY = Buffer.alloc(0);
const FIELDS: Readonly<Record<string, (r: StoredRecord, ctx: RecordContext) => Buffer>> = {
  v: (r) => r.value ?? EMPTY,
  s: (r) => r.value ?? EMPTY,
  k: (r) => r.key ?? EMPTY,
  o: (r) => Buffer.from(String(r.offset)),
  p: (_r, ctx) => Buffer.from(String(ctx.partition)),
  T: (_r, ctx) => Buffer.from(ctx.topic),
  t: (r) => Buffer.from(String(r.timestamp)),
  K: (r) => Buffer.from(String(r.key === null ? -1 : r.key.length)),
  S: (r) => Buffer.from(String(r.value === null ? -1 : r.value.length)),
  h: (r) => Buffer.from(r.headers.map((h) => `${h.key}=${h.value === null ? '' : h.value.toString('utf8')}`).join(',')),
};
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '0': '\0' };

/** Escapes in an option value, as in formats: `-K '\t'` splits at a tab, as kcat's -K does. */
export function unescapeOption(value: string, option: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => {
    const e = ESCAPES[c];
    if (e === undefined) throw new UsageError(`${option}: unknown escape \\${c}; use \\n \\t \\r \\\\ or \\0`);
    return e;
  });
}

/** Compile a format string; throws UsageError naming an unknown field or escape. */
export function compileFormat(format: string): (r: StoredRecord, ctx: RecordContext) => Buffer {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' && c !== '\\') {
      literal += c;
      continue;
    }
    const next = format[i + 1];
    i++;
    if (next === undefined) throw new UsageError(`--format ends with a lone ${c}; write ${c}${c} for a literal ${c}`);
    if (c === '\\') {
      const e = ESCAPES[next];
      if (e === undefined) throw new UsageError(`--format: unknown escape \\${next}; use \\n \\t \\r \\\\ or \\0`);
      literal += e;
    } else if (next === '%') {
      literal += '%';
    } else {
      const field = FIELDS[next];
      if (field === undefined) throw new UsageError(`--format: unknown field %${next}; use %k %v %o %p %t %T %h %K %S or %%`);
      if (literal !== '') parts.push(Buffer.from(literal));
      literal = '';
      parts.push(field);
    }
  }
  if (literal !== '') parts.push(Buffer.from(literal));
  return (r, ctx) => {
    const chunks = parts.map((p) => (typeof p === 'function' ? p(r, ctx) : p));
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  };
}
