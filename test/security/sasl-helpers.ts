/** SASL test helpers: SCRAM users added through AlterUserScramCredentials, a SCRAM client, raw SASL frames. */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { AlterUserScramCredentialsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';

export type Mech = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const HASH = { 'SCRAM-SHA-256': ['sha256', 32, 1], 'SCRAM-SHA-512': ['sha512', 64, 2] } as const;

/** Add (or replace) a SCRAM user through a listener that needs no authentication. */
export async function addScramUser(bootstrap: string, user: string, password: string, mech: Mech, iterations = 4096): Promise<{ errorCode: number; errorMessage: string | null }> {
  const [hash, bytes, type] = HASH[mech];
  const salt = randomBytes(16);
  const saltedPassword = pbkdf2Sync(password, salt, iterations, bytes, hash);
  const c = await RawClient.open(bootstrap);
  try {
    const res = await c.request(AlterUserScramCredentialsApi, 0, { deletions: [], upsertions: [{ name: user, mechanism: type, iterations, salt, saltedPassword }] });
    return res.results[0]!;
  } finally {
    c.close();
  }
}

/** The client side of one SCRAM exchange (RFC 5802), written from the RFC independently of the broker's code. */
export class ScramClient {
  readonly nonce = randomBytes(18).toString('base64');
  readonly clientFirstBare: string;
  private saltedPassword: Buffer | null = null;
  private authMessage = '';

  constructor(private readonly mech: Mech, user: string, private readonly password: string) {
    this.clientFirstBare = `n=${user.replace(/=/g, '=3D').replace(/,/g, '=2C')},r=${this.nonce}`;
  }

  first(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString();
    const attrs = Object.fromEntries(text.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const [hash, bytes] = HASH[this.mech];
    this.saltedPassword = pbkdf2Sync(this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), bytes, hash);
    const withoutProof = `c=biws,r=${attrs.r}`;
    this.authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const clientKey = createHmac(hash, this.saltedPassword).update('Client Key').digest();
    const storedKey = createHash(hash).update(clientKey).digest();
    const signature = createHmac(hash, storedKey).update(this.authMessage).digest();
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Whether the server-final message proves the server knows the credential. */
  verifies(serverFinal: Buffer): boolean {
    const [hash] = HASH[this.mech];
    const serverKey = createHmac(hash, this.saltedPassword!).update('Server Key').digest();
    return serverFinal.toString() === `v=${createHmac(hash, serverKey).update(this.authMessage).digest('base64')}`;
  }
}

/** One user per mechanism for the SASL client tests: alice is PLAIN_JAAS's, bob and carol are added by addSaslUsers. */
export const SASL_USERS = [
  ['PLAIN', 'alice', 'alice-secret'],
  ['SCRAM-SHA-256', 'bob', 'bob-256-secret'],
  ['SCRAM-SHA-512', 'carol', 'carol-512-secret'],
] as const;

/** Add SASL_USERS' SCRAM users through a listener that needs no authentication; their error codes. */
export async function addSaslUsers(bootstrap: string): Promise<number[]> {
  const out: number[] = [];
  for (const [mech, user, password] of SASL_USERS) if (mech !== 'PLAIN') out.push((await addScramUser(bootstrap, user, password, mech)).errorCode);
  return out;
}

export const PLAIN_JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";';

/** A size-prefixed raw frame (SASL tokens after SaslHandshake v0). */
export function rawFrame(token: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(token.length, 0);
  return Buffer.concat([size, token]);
}
