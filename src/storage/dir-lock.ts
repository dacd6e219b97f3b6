/**
 * Exclusive ownership of a data directory, like Kafka's `.lock`.
 *
 * Native backend: an exclusive `flock` on the lock file, held through an open descriptor for the
 * life of the lock (as Kafka's FileLock). The kernel drops it when the process dies however it
 * dies, and two processes can never both hold it (not even two containers whose processes are
 * both PID 1). The file holds the owner's pid, for messages only.
 *
 * Portable backend: Node cannot flock, so the lock is the pid in the file, created exclusively; a
 * lock whose owner is no longer alive (the process was killed) is taken over. This is racy on
 * takeover and blind across pid namespaces: use the native backend where that matters.
 *
 * A directory is also never opened twice within one process.
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DirectoryLockedError, StorageIOError } from '../errors.js';
import { io } from '../io/index.js';
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

function ownerOf(path: string): string {
  try {
    const pid = readFileSync(path, 'utf8').trim();
    return pid === '' ? 'another process' : `pid ${pid}`;
  } catch {
    return 'another process';
  }
}

export class DirectoryLock {
  private released = false;

  /** `fd`: the descriptor holding the flock (native backend), or null for a pid file. */
  private constructor(readonly dir: string, private readonly path: string, private readonly fd: number | null) {}

  static acquire(dir: string): DirectoryLock {
    const key = resolve(dir);
    const path = join(key, LOCK_FILE);
    if (heldInProcess.has(key)) throw new DirectoryLockedError(dir, 'already open in this process');
    let fd: number | null = null;
    if (io.lockFile !== undefined) {
      fd = io.lockFile(path);
      if (fd === null) throw new DirectoryLockedError(dir, `${ownerOf(path)} holds ${path}`);
    } else {
      DirectoryLock.takePidFile(dir, path);
    }
    heldInProcess.add(key);
    return new DirectoryLock(key, path, fd);
  }

  private static takePidFile(dir: string, path: string): void {
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
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldInProcess.delete(this.dir);
    // A flocked file stays (removing it would let a newcomer lock a fresh inode while an older
    // opener still locks the old one); a pid file goes.
    if (this.fd !== null) io.unlockFile!(this.fd);
    else rmSync(this.path, { force: true });
  }
}
