/**
 * Kafka's `sasl.jaas.config` value: one login module, its control flag and its options, e.g.
 * `org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";`.
 * Parsed as Kafka's JaasConfig does (its StreamTokenizer: quoted or bare values, `;` ends the
 * module, exactly one module per setting).
 */
import { SecurityConfigError } from '../errors.js';

export interface JaasModule {
  readonly loginModule: string;
  readonly flag: string;
  readonly options: ReadonlyMap<string, string>;
}

const FLAGS = new Set(['required', 'requisite', 'sufficient', 'optional']);

export function parseJaasConfig(text: string, key: string): JaasModule {
  const tokens: Array<{ t: string; quoted: boolean }> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === '"' || c === "'") {
      let j = i + 1;
      let v = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        v += text[j++];
      }
      if (j >= text.length) throw new SecurityConfigError(`${key}: unterminated quoted value`);
      tokens.push({ t: v, quoted: true });
      i = j + 1;
    } else if (c === '=' || c === ';') {
      tokens.push({ t: c, quoted: false });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s=;"']/.test(text[j]!)) j++;
      tokens.push({ t: text.slice(i, j), quoted: false });
      i = j;
    }
  }
  const bad = (why: string) => new SecurityConfigError(`${key}: ${why} (expected e.g. org.apache.kafka.common.security.plain.PlainLoginModule required user_alice="alice-secret";)`);
  if (tokens.length < 3) throw bad('not a JAAS login module configuration');
  const [mod, flag] = tokens as [{ t: string; quoted: boolean }, { t: string; quoted: boolean }];
  if (mod.quoted || mod.t === ';' || mod.t === '=') throw bad('the login module class is missing');
  if (!FLAGS.has(flag.t.toLowerCase())) throw bad(`invalid control flag ${flag.t}`);
  const options = new Map<string, string>();
  let k = 2;
  for (;;) {
    const tok = tokens[k];
    if (tok === undefined) throw bad('the login module is not terminated by ;');
    if (tok.t === ';' && !tok.quoted) break;
    const eq = tokens[k + 1];
    const value = tokens[k + 2];
    if (eq?.t !== '=' || eq.quoted || value === undefined) throw bad(`option ${tok.t} has no value`);
    options.set(tok.t, value.t);
    k += 3;
  }
  if (k + 1 !== tokens.length) throw new SecurityConfigError(`${key} must contain exactly one login module`);
  return { loginModule: mod.t, flag: flag.t.toLowerCase(), options };
}
