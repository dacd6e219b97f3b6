/**
 * SCRAM's key derivations (RFC 5802 section 3) for SHA-256 and SHA-512 (RFC 7677), and the
 * stored form of a credential: salt, iterations, StoredKey and ServerKey; the password and the
 * salted password are never kept.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's ScramMechanism: hash and the iteration bounds AlterUserScramCredentials accepts. */
export const SCRAM_PARAMS: Readonly<Record<ScramMechanism, { hash: 'sha256' | 'sha512'; bytes: number; type: number; minIterations: number; maxIterations: number }>> = {
  'SCRAM-SHA-256': { hash: 'sha256', bytes: 32, type: 1, minIterations: 4096, maxIterations: 16384 },
  'SCRAM-SHA-512': { hash: 'sha512', bytes: 64, type: 2, minIterations: 4096, maxIterations: 16384 },
};

export function mechanismOfType(type: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => SCRAM_PARAMS[m].type === type);
}

export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

export const hmac = (m: ScramMechanism, key: Buffer, data: Buffer | string) => createHmac(SCRAM_PARAMS[m].hash, key).update(data).digest();
export const hash = (m: ScramMechanism, data: Buffer) => createHash(SCRAM_PARAMS[m].hash).update(data).digest();

/** Hi(password, salt, i): PBKDF2 with the mechanism's HMAC. */
export function saltedPassword(m: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, SCRAM_PARAMS[m].bytes, SCRAM_PARAMS[m].hash);
}

/** The stored credential of a salted password. */
export function credentialOf(m: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, iterations, storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key') };
}

/** A credential for `password` with a fresh random salt. */
export function newCredential(m: ScramMechanism, password: string, iterations: number): ScramCredential {
  const salt = randomBytes(32);
  return credentialOf(m, saltedPassword(m, password, salt, iterations), salt, iterations);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
