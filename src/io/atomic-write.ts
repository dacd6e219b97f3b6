/**
 * `writeFileAtomic` for both backends (see IoBackend.writeFileAtomic): node:fs/promises on the
 * libuv pool, so neither the file's fsync nor the directory's blocks the event loop. Writes to
 * one path are chained: two writers never share `<path>.tmp`.
 */
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StorageIOError } from '../errors.js';
import { skippedFsync } from './fault.js';

const chains = new Map<string, Promise<void>>();

export function makeAtomicWriter(countFsync: () => void, syncDirectory: (dir: string) => Promise<void>) {
  async function write(path: string, data: Uint8Array | string, kind: 'snapshot' | 'checkpoint'): Promise<void> {
    const tmp = `${path}.tmp`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(data);
        if (skippedFsync !== kind) {
          countFsync();
          await handle.sync();
        }
      } finally {
        await handle.close();
      }
      await rename(tmp, path);
    } catch (err) {
      throw new StorageIOError(`cannot write ${path}: ${(err as Error).message}`, path, { cause: err });
    }
    await syncDirectory(dirname(path));
  }
  return (path: string, data: Uint8Array | string, kind: 'snapshot' | 'checkpoint'): Promise<void> => {
    const before = chains.get(path) ?? Promise.resolve();
    const done = before.then(() => write(path, data, kind));
    const settled = done.then(() => {}, () => {});
    chains.set(path, settled);
    void settled.then(() => {
      if (chains.get(path) === settled) chains.delete(path);
    });
    return done;
  };
}
