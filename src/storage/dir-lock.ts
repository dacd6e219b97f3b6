/**
 * Exclusive ownership of a data directory, like Kafka's `.lock`. The lock file holds the owner's
 * pid; a lock whose owner is no longer alive (the process was killed) is taken over. A directory
 * is also never opened twice within one process.
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DirectoryLockedError, StorageIOError } from '../errors.js';
import { LOCK_FILE } from './file-names.js';

const heldInProcess = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DirectoryLock {
  private released = false;

  private constructor(readonly dir: string, private readonly path: string) {}

  static acquire(dir: string): DirectoryLock {
    const key = resolve(dir);
    const path = join(key, LOCK_FILE);
    if (heldInProcess.has(key)) throw new DirectoryLockedError(dir, 'already open in this process');
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StorageIOError(`cannot create ${path}: ${(err as Error).message}`, path);
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DirectoryLockedError(dir, `pid ${owner} holds ${path}`);
      }
      writeFileSync(path, String(process.pid)); // stale: its owner died
    }
    heldInProcess.add(key);
    return new DirectoryLock(key, path);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldInProcess.delete(this.dir);
    rmSync(this.path, { force: true });
  }
}
