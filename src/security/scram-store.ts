/**
 * SCRAM credentials of the broker's users, salted and hashed (salt, iterations, StoredKey,
 * ServerKey per user and mechanism; never a password), kept in
 * `<data-dir>/__strand_metadata/scram-credentials` (JSON, replaced atomically on each change)
 * and changed with AlterUserScramCredentials or `strand users`. In a cluster they are cluster
 * state, as in Kafka: the same JSON in a document every broker shares (`share`), so a user added
 * through one broker authenticates on all of them. The checks and error messages follow Kafka's
 * handling of AlterUserScramCredentials / DescribeUserScramCredentials.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { KafkaErrorCode, StorageIOError } from '../errors.js';
import { io } from '../io/index.js';
import { credentialOf, mechanismOfType, SCRAM_PARAMS, type ScramCredential, type ScramMechanism } from './sasl/scram-formatter.js';
import { joinShared, type SharedDocument } from './shared-document.js';

type Users = Map<string, Map<ScramMechanism, ScramCredential>>;

function decodeCredentials(text: string, source: string): Users {
  let file: CredentialsFile;
  try {
    file = JSON.parse(text) as CredentialsFile;
  } catch (err) {
    throw new StorageIOError(`cannot read SCRAM credentials ${source}: ${(err as Error).message}`, source, { cause: err });
  }
  if (file.version !== FILE_VERSION) throw new StorageIOError(`SCRAM credentials ${source} have version ${file.version}; this strand reads version ${FILE_VERSION}`, source);
  const users: Users = new Map();
  for (const [user, creds] of Object.entries(file.users)) {
    const m = new Map<ScramMechanism, ScramCredential>();
    for (const [mech, c] of Object.entries(creds) as Array<[ScramMechanism, StoredCredential]>) {
      m.set(mech, { salt: Buffer.from(c.salt, 'base64'), iterations: c.iterations, storedKey: Buffer.from(c.storedKey, 'base64'), serverKey: Buffer.from(c.serverKey, 'base64') });
    }
    users.set(user, m);
  }
  return users;
}

function encodeCredentials(from: Users): string {
  const users: CredentialsFile['users'] = {};
  for (const [user, m] of [...from].sort(([a], [b]) => (a < b ? -1 : 1))) {
    users[user] = {};
    for (const [mech, c] of m) users[user]![mech] = { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') };
  }
  return JSON.stringify({ version: FILE_VERSION, users } satisfies CredentialsFile, null, 2) + '\n';
}

export const SCRAM_CREDENTIALS_FILE = join('__strand_metadata', 'scram-credentials');
const FILE_VERSION = 1;

interface StoredCredential {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

interface CredentialsFile {
  version: number;
  users: Record<string, Partial<Record<ScramMechanism, StoredCredential>>>;
}

export interface UserResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface Upsertion {
  name: string;
  mechanism: number;
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

export interface Deletion {
  name: string;
  mechanism: number;
}

export class ScramCredentials {
  private users: Users = new Map();
  private readonly path: string;
  /** Changes are written one at a time, in order. */
  private writing: Promise<void> = Promise.resolve();
  /** The cluster's document, once shared: it replaces the data directory's file. */
  private shared: SharedDocument | null = null;

  constructor(dataDir: string) {
    this.path = join(dataDir, SCRAM_CREDENTIALS_FILE);
    if (!existsSync(this.path)) return;
    this.users = decodeCredentials(readFileSync(this.path, 'utf8'), this.path);
  }

  /**
   * From now on the credentials are the cluster's: `doc`'s, and `replace` is to be called with
   * each new value of it. A cluster that has none yet starts from this broker's file.
   */
  async share(doc: SharedDocument): Promise<void> {
    const value = await joinShared(doc, this.users.size > 0 ? encodeCredentials(this.users) : null);
    if (value !== null) this.users = decodeCredentials(value, 'the cluster');
    this.shared = doc;
  }

  /** Another broker changed the cluster's credentials (null: none left). */
  replace(value: string | null): void {
    this.users = value === null ? new Map() : decodeCredentials(value, 'the cluster');
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** DescribeUserScramCredentials: `names` null describes every user. */
  describe(names: readonly string[] | null): Array<UserResult & { credentialInfos: Array<{ mechanism: number; iterations: number }> }> {
    const info = (user: string) => [...(this.users.get(user) ?? new Map<ScramMechanism, ScramCredential>())].map(([m, c]) => ({ mechanism: SCRAM_PARAMS[m].type, iterations: c.iterations }));
    if (names === null) return [...this.users.keys()].sort().map((user) => ({ user, errorCode: 0, errorMessage: null, credentialInfos: info(user) }));
    const seen = new Map<string, number>();
    for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
    return [...seen].map(([user, count]) => {
      if (count > 1) return { user, errorCode: KafkaErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] };
      if (!this.users.has(user)) return { user, errorCode: KafkaErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] };
      return { user, errorCode: 0, errorMessage: null, credentialInfos: info(user) };
    });
  }

  /** AlterUserScramCredentials: each user succeeds or fails as a whole; what succeeds is persisted before the answer. */
  async alter(deletions: readonly Deletion[], upsertions: readonly Upsertion[]): Promise<UserResult[]> {
    // Kafka refuses a user whose (user, mechanism) pair appears twice among deletions and upsertions.
    const users = new Set<string>();
    const pairs = new Map<string, number>();
    for (const x of [...deletions, ...upsertions]) {
      users.add(x.name);
      const pair = `${x.name}\u0000${x.mechanism}`;
      pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
    }
    const failed = new Map<string, UserResult>();
    const fail = (user: string, code: number, message: string) => {
      if (!failed.has(user)) failed.set(user, { user, errorCode: code, errorMessage: message });
    };
    for (const [pair, n] of pairs) if (n > 1) fail(pair.slice(0, pair.indexOf('\u0000')), KafkaErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    for (const d of deletions) {
      const mech = mechanismOfType(d.mechanism);
      if (d.name === '') fail(d.name, KafkaErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (mech === undefined) fail(d.name, KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (this.get(d.name, mech) === undefined) fail(d.name, KafkaErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
    }
    for (const u of upsertions) {
      const mech = mechanismOfType(u.mechanism);
      if (u.name === '') fail(u.name, KafkaErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      else if (mech === undefined) fail(u.name, KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
      else if (u.iterations < SCRAM_PARAMS[mech].minIterations) fail(u.name, KafkaErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
      else if (u.iterations > SCRAM_PARAMS[mech].maxIterations) fail(u.name, KafkaErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
      else if (u.salt.length === 0 || u.saltedPassword.length !== SCRAM_PARAMS[mech].bytes) fail(u.name, KafkaErrorCode.UNACCEPTABLE_CREDENTIAL, `Salt must not be empty and the salted password must be ${SCRAM_PARAMS[mech].bytes} bytes for ${mech}`);
    }
    const apply = (to: Users): boolean => {
      let changed = false;
      for (const d of deletions) {
        if (failed.has(d.name)) continue;
        const m = to.get(d.name);
        if (m === undefined) continue; // another broker deleted it meanwhile
        m.delete(mechanismOfType(d.mechanism)!);
        if (m.size === 0) to.delete(d.name);
        changed = true;
      }
      for (const u of upsertions) {
        if (failed.has(u.name)) continue;
        const mech = mechanismOfType(u.mechanism)!;
        let m = to.get(u.name);
        if (m === undefined) to.set(u.name, (m = new Map()));
        m.set(mech, credentialOf(mech, Buffer.from(u.saltedPassword), Buffer.from(u.salt), u.iterations));
        changed = true;
      }
      return changed;
    };
    if (this.shared !== null) {
      // Applied to the cluster's credentials as they are when written, other brokers' changes kept.
      const written = await this.shared.update((current) => {
        const all = current === null ? new Map() : decodeCredentials(current, 'the cluster');
        apply(all);
        return encodeCredentials(all);
      });
      this.users = decodeCredentials(written, 'the cluster');
    } else if (apply(this.users)) await this.persist();
    return [...users].map((user) => failed.get(user) ?? { user, errorCode: 0, errorMessage: null });
  }

  private persist(): Promise<void> {
    const text = encodeCredentials(this.users);
    const dir = join(this.path, '..');
    this.writing = this.writing.catch(() => {}).then(async () => {
      if ((await mkdir(dir, { recursive: true })) !== undefined) await io.syncDirectory(join(dir, '..'));
      await io.writeFileAtomic(this.path, text, 'checkpoint');
    });
    return this.writing;
  }
}
