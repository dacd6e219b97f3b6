/**
 * Whole-file replacement that survives a crash at any point: write a temporary file beside the
 * target, fsync it, rename it over the target, fsync the directory. Readers see the old file or
 * the new one, never a mix. For small metadata files rewritten on every change.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StorageIOError } from '../../errors.js';

export const TEMP_SUFFIX = '.tmp';

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = path + TEMP_SUFFIX;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    syncDir(dir);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new StorageIOError(`cannot write ${path}: ${(err as Error).message}`, path, { cause: err });
  }
}

function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return; // some platforms cannot open directories; the rename is still atomic
  }
  try {
    fsyncSync(fd);
  } catch {
    // fsync of a directory is unsupported on some filesystems
  } finally {
    closeSync(fd);
  }
}
