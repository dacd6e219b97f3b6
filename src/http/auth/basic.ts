/**
 * HTTP Basic (RFC 7617) against the broker's SASL users: a PLAIN user of a Kafka listener
 * (the `user_<name>="<password>"` options of its PlainLoginModule, as the listener checks them)
 * or a SCRAM user, whose password is checked against the stored salted hash: Hi(password, salt,
 * i) gives the ClientKey, whose hash must be the StoredKey (RFC 5802), so no password is kept.
 *
 * PBKDF2 with 4096+ iterations costs milliseconds, so it runs on libuv's thread pool, and a
 * verified (user, mechanism, password) is remembered, as an HMAC under a key of this process,
 * while the stored credential is the same object (a changed or deleted user is checked again).
 */
import { createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { resolveListeners, usesSasl } from '../../security/listeners.js';
import { parseJaasConfig } from '../../security/sasl/jaas.js';
import { credentialOf, SCRAM_MECHANISMS, SCRAM_PARAMS, type ScramCredential, type ScramMechanism } from '../../security/sasl/scram-formatter.js';
import { listenerSetting, type SettingsSource } from '../../security/settings.js';

const PLAIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
const pbkdf2Async = promisify(pbkdf2);

/** What Basic needs of the broker's SCRAM store. */
export interface CredentialSource {
  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined;
}

/** `user -> passwords` of every Kafka listener that enables PLAIN (a user may differ per listener). */
export function plainUsersOf(src: SettingsSource): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const l of resolveListeners(src).listeners) {
    if (!usesSasl(l.securityProtocol)) continue;
    const mechanisms = (listenerSetting(src, l.name, 'sasl.enabled.mechanisms') ?? '').split(',').map((s) => s.trim().toUpperCase());
    if (!mechanisms.includes('PLAIN')) continue;
    const prefixed = `listener.name.${l.name.toLowerCase()}.plain.sasl.jaas.config`;
    const key = src.raw(prefixed) !== undefined ? prefixed : 'sasl.jaas.config';
    const text = src.raw(key);
    if (text === undefined) continue; // the Kafka listener refuses to start without it
    const jaas = parseJaasConfig(text, key);
    if (jaas.loginModule !== PLAIN_MODULE) continue;
    for (const [k, v] of jaas.options) if (k.startsWith('user_')) users.set(k.slice(5), [...(users.get(k.slice(5)) ?? []), v]);
  }
  return users;
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const VERIFIED_LIMIT = 1000;

export class BasicVerifier {
  private readonly key = randomBytes(32);
  private readonly verified = new Map<string, ScramCredential>();

  constructor(private readonly plain: ReadonlyMap<string, readonly string[]>) {}

  /** Whether `user`/`password` is a PLAIN or SCRAM user; `scram` null when the broker's store is not open yet. */
  async verify(user: string, password: string, scram: CredentialSource | null): Promise<boolean> {
    const given = Buffer.from(password, 'utf8');
    for (const p of this.plain.get(user) ?? []) if (same(Buffer.from(p, 'utf8'), given)) return true;
    if (scram === null) return false;
    for (const mechanism of SCRAM_MECHANISMS) {
      const stored = scram.get(user, mechanism);
      if (stored === undefined) continue;
      const memo = createHmac('sha256', this.key).update(`${mechanism}\u0000${user}\u0000`).update(given).digest('base64');
      if (this.verified.get(memo) === stored) return true;
      const { bytes, hash } = SCRAM_PARAMS[mechanism];
      const salted = await pbkdf2Async(given, stored.salt, stored.iterations, bytes, hash);
      if (!same(credentialOf(mechanism, salted, stored.salt, stored.iterations).storedKey, stored.storedKey)) continue;
      if (this.verified.size >= VERIFIED_LIMIT) this.verified.clear();
      this.verified.set(memo, stored);
      return true;
    }
    return false;
  }
}

/** `Basic <base64(user:password)>` split, or null when malformed (RFC 7617: the user id has no colon). */
export function parseBasic(header: string): { user: string; password: string } | null {
  const m = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (m === null) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
