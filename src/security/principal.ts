/**
 * The principal of a TLS client: the subject of its certificate as Java's
 * `X500Principal.getName()` writes it (RFC 2253: the most specific attribute first,
 * comma-separated), mapped by `ssl.principal.mapping.rules` as Kafka's SslPrincipalMapper
 * parses and applies them, and prefixed `User:` as Kafka's DefaultKafkaPrincipalBuilder does.
 */
import type { X509Certificate } from 'node:crypto';
import { SecurityConfigError } from './errors.js';

interface Rule {
  readonly isDefault: boolean;
  readonly pattern: RegExp | null;
  readonly replacement: string;
  readonly lower: boolean;
  readonly upper: boolean;
}

// Kafka's SslPrincipalMapper.RULE_PATTERN and RULE_SPLITTER, in JavaScript regex syntax.
const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`;
const RULE_SPLITTER = new RegExp(String.raw`\s*(` + RULE_PATTERN + String.raw`)\s*(,\s*|$)`, 'gy');
const RULE_PARSER = new RegExp('^(?:' + RULE_PATTERN + ')');

/** Parse `ssl.principal.mapping.rules` (throws SecurityConfigError naming a bad rule). */
export function parseMappingRules(spec: string): readonly Rule[] {
  const rules: string[] = [];
  const text = spec.trim();
  RULE_SPLITTER.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (RULE_SPLITTER.lastIndex < text.length && (m = RULE_SPLITTER.exec(text)) !== null) {
    rules.push(m[1]!);
    if (m[0] === '') break;
  }
  const out: Rule[] = [];
  for (const rule of rules) {
    const p = RULE_PARSER.exec(rule);
    if (p === null || p[0].length !== rule.length) throw new SecurityConfigError(`ssl.principal.mapping.rules: invalid rule: \`${rule}\`, unmatched substring: \`${rule.slice(p?.[0].length ?? 0)}\``);
    if (p[1] !== undefined) out.push({ isDefault: true, pattern: null, replacement: '', lower: false, upper: false });
    else if (p[2] !== undefined) {
      let pattern: RegExp;
      try {
        pattern = new RegExp(p[2], 'g');
      } catch (err) {
        throw new SecurityConfigError(`ssl.principal.mapping.rules: rule ${rule}: ${(err as Error).message}`);
      }
      out.push({ isDefault: false, pattern, replacement: p[4]!, lower: p[6] === 'L', upper: p[6] === 'U' });
    }
  }
  return out;
}

/** The principal name for `dn`, or null when no rule applies (Kafka then fails the connection). */
export function mapPrincipal(rules: readonly Rule[], dn: string): string | null {
  for (const r of rules) {
    if (r.isDefault) return dn;
    const whole = new RegExp(`^(?:${r.pattern!.source})$`);
    if (!whole.test(dn)) continue;
    r.pattern!.lastIndex = 0;
    // Java's String.replaceAll: every match, $n group references.
    let name = dn.replace(r.pattern!, r.replacement);
    if (r.lower) name = name.toLowerCase();
    else if (r.upper) name = name.toUpperCase();
    return name;
  }
  return null;
}

/** RFC 2253 subject of `cert`: Node lists the RDNs in certificate order, one per line; RFC 2253 reverses them. */
export function subjectDn(cert: X509Certificate): string {
  return cert.subject.split('\n').filter((l) => l !== '').reverse().map(escapeRdn).join(',');
}

function escapeRdn(rdn: string): string {
  const eq = rdn.indexOf('=');
  const value = rdn.slice(eq + 1).replace(/\\/g, '\\\\').replace(/([,+"<>;])/g, '\\$1');
  return `${rdn.slice(0, eq)}=${value}`;
}
