/**
 * ACLs of a single broker on disk: `<data-dir>/__strand_metadata/acls`, JSON (Kafka's names for
 * every code, so the file reads like `kafka-acls --list`), replaced atomically on each change
 * (written to a temporary file, fsynced, renamed over, directory fsynced) and read at start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StorageIOError } from '../../errors.js';
import { io } from '../../io/index.js';
import {
  type AclBinding, operationName, parseOperation, parsePatternType, parsePermissionType, parseResourceType, patternTypeName, permissionTypeName, resourceTypeName,
} from './types.js';

export const ACLS_FILE = join('__strand_metadata', 'acls');
const FILE_VERSION = 1;

interface StoredAcl {
  resourceType: string;
  name: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permission: string;
}

/** Where a broker's ACLs are kept between runs. */
export interface AclPersistence {
  /** Every binding kept, or an empty list. */
  load(): Promise<AclBinding[]>;
  /**
   * Make one change durable: `bindings` is every binding after it, `change` what it added and
   * removed (a shared store applies the change to what it holds, which other brokers may have
   * changed meanwhile). Resolves when it is durable.
   */
  save(bindings: readonly AclBinding[], change: AclChange): Promise<void>;
  close(): Promise<void>;
}

export interface AclChange {
  readonly added: readonly AclBinding[];
  readonly removed: readonly AclBinding[];
}

/** The JSON form of a list of bindings (the file's, and the cluster's value in etcd). */
export function encodeAcls(bindings: readonly AclBinding[]): string {
  const acls: StoredAcl[] = bindings.map((b) => ({
    resourceType: resourceTypeName(b.resourceType), name: b.resourceName, patternType: patternTypeName(b.patternType),
    principal: b.principal, host: b.host, operation: operationName(b.operation), permission: permissionTypeName(b.permissionType),
  }));
  return JSON.stringify({ version: FILE_VERSION, acls }, null, 2) + '\n';
}

/** Parse what encodeAcls wrote; `where` names the file or key in errors. */
export function decodeAcls(text: string, where: string): AclBinding[] {
  let file: { version: number; acls: StoredAcl[] };
  try {
    file = JSON.parse(text) as typeof file;
  } catch (err) {
    throw new StorageIOError(`cannot read ACLs ${where}: ${(err as Error).message}`, where, { cause: err });
  }
  if (file.version !== FILE_VERSION) throw new StorageIOError(`ACLs ${where} have version ${file.version}; this strand reads version ${FILE_VERSION}`, where);
  return file.acls.map((a, i) => {
    const b = {
      resourceType: parseResourceType(a.resourceType), resourceName: a.name, patternType: parsePatternType(a.patternType),
      principal: a.principal, host: a.host, operation: parseOperation(a.operation), permissionType: parsePermissionType(a.permission),
    };
    if (b.resourceType === undefined || b.patternType === undefined || b.operation === undefined || b.permissionType === undefined) {
      throw new StorageIOError(`ACLs ${where}: entry ${i} has a code this strand does not know: ${JSON.stringify(a)}`, where);
    }
    return b as AclBinding;
  });
}

export class AclFile implements AclPersistence {
  readonly path: string;
  /** Writes happen one at a time, in order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.path = join(dataDir, ACLS_FILE);
  }

  async load(): Promise<AclBinding[]> {
    if (!existsSync(this.path)) return [];
    return decodeAcls(readFileSync(this.path, 'utf8'), this.path);
  }

  save(bindings: readonly AclBinding[]): Promise<void> {
    const text = encodeAcls(bindings);
    const dir = dirname(this.path);
    this.writing = this.writing.catch(() => {}).then(async () => {
      if ((await mkdir(dir, { recursive: true })) !== undefined) await io.syncDirectory(dirname(dir));
      await io.writeFileAtomic(this.path, text, 'checkpoint');
    });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.writing.catch(() => {});
  }
}
