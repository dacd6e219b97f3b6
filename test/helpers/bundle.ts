/**
 * A test fixture script bundled into one plain ES module, for tests that start it many times:
 * `node --import tsx` compiles the project's TypeScript at every start (about 1 s of CPU), a
 * bundle starts in a fraction of that. Packages stay external (resolved from node_modules) and
 * the bundle is written inside the repository, so the storage backend finds the native addon
 * the way it does from src/. The worker pool's thread script (src/workers/worker.ts) is bundled
 * beside it as `worker.js`, where the pool looks for it when it does not run from src/.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = join(root, 'node_modules/.cache/strand-test-bundles');
const outDir = join(cacheDir, String(process.pid));
const workerSource = join(root, 'src/workers/worker.ts');
const made = new Map<string, Promise<string>>();
let worker: Promise<void> | undefined;
const built = new Set<string>();
// Each test process bundles into a folder named by its pid; the folders of processes gone
// (vitest may end its workers with a signal, so no exit hook runs) are removed here.
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};
try {
  for (const name of readdirSync(cacheDir)) if (!/^\d+$/.test(name) || !alive(Number(name))) rmSync(join(cacheDir, name), { recursive: true, force: true });
} catch {
  // no cache folder yet
}

const options = (entry: string, outfile: string) => ({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' }) as const;

function bundle(entry: string, outfile: string): Promise<void> {
  return build(options(entry, outfile)).then(() => {});
}

/** Path of a bundle of `entry` (a .ts file), made once per test process. */
export function bundleScript(entry: string): Promise<string> {
  let out = made.get(entry);
  if (out === undefined) {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${basename(entry, '.ts')}.mjs`);
    worker ??= bundle(workerSource, join(outDir, 'worker.js'));
    out = Promise.all([bundle(entry, file), worker]).then(() => file);
    made.set(entry, out);
  }
  return out;
}

/**
 * bundleScript for a caller that must stay synchronous (a helper returning the child process it
 * starts): the first call per entry blocks for the build (a few hundred ms), later ones do not.
 */
export function bundleScriptSync(entry: string): string {
  const file = join(outDir, `${basename(entry, '.ts')}.sync.mjs`);
  if (!built.has(entry)) {
    mkdirSync(outDir, { recursive: true });
    buildSync(options(entry, file));
    if (worker === undefined) {
      buildSync(options(workerSource, join(outDir, 'worker.js')));
      worker = Promise.resolve();
    }
    built.add(entry);
  }
  return file;
}
