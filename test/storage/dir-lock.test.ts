/**
 * The data-directory lock across processes: while a child `node` holds a store open, another
 * process cannot open it; once the child is SIGKILLed, it can at once (native backend: the
 * kernel drops the child's flock; portable: the pid in the lock file is no longer alive).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DirectoryLockedError, openStore } from '../../src/index.js';
import { io } from '../../src/io/index.js';
import { bundleScript } from '../helpers/bundle.js';
import { tmpDir } from '../helpers/tmp.js';

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));

async function holdInChild(dir: string): Promise<ChildProcess> {
  // Bundled: `--import tsx` would compile the sources at every start.
  const child = spawn(process.execPath, [await bundleScript(HOLDER), dir], { env: { ...process.env, STRAND_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('open\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`lock holder exited with ${code} before opening the store`)));
  });
  return child;
}

describe('directory lock across processes', () => {
  it('refuses a second process while the first holds it, and lets it in at once after the first is SIGKILLed', async () => {
    const dir = tmpDir();
    const child = await holdInChild(dir);
    try {
      await expect(openStore(dir)).rejects.toThrow(DirectoryLockedError);
      await expect(openStore(dir)).rejects.toThrow(`pid ${child.pid} holds ${join(dir, '.lock')}`);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const store = await openStore(dir);
    expect(readFileSync(join(dir, '.lock'), 'utf8')).toBe(String(process.pid));
    await store.close();
    // Released: the native backend keeps the (emptied) flock file, the portable one removes its pid file.
    if (io.name === 'native') expect(readFileSync(join(dir, '.lock'), 'utf8')).toBe('');
    const again = await openStore(dir);
    await again.close();
  }, 60_000);
});
