/**
 * A test fixture script bundled into plain ES modules, for tests that start it many times:
 * `node --import tsx` compiles the project's TypeScript at every start (about 1 s of CPU), a
 * bundle starts in a fraction of that. Packages stay external (resolved from node_modules) and
 * the bundle is written inside the repository, so the storage backend finds the native addon
 * the way it does from src/. The worker pool's thread script (src/workers/worker.ts) is bundled
 * beside it as `worker.js`, where the pool looks for it when it does not run from src/.
 *
 * Code splitting keeps the program's lazy imports lazy: each `import()` becomes its own chunk
 * with its packages imported inside it. In one file, esbuild hoists every package import to the
 * top, so each CLI child loaded etcd3, fastify and the rest at start (measured: `strand topics
 * list` from a bundle, 0.9-1.1 s of CPU in one file, 0.23-0.31 s split).
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

const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' } as const;
/** The entry and its lazy chunks in their own folder (`dir/<name>.mjs`), with the worker script beside them. */
const entryOptions = (entry: string, dir: string) => ({ ...common, entryPoints: [entry], outdir: dir, splitting: true, outExtension: { '.js': '.mjs' } });
const workerOptions = (dir: string) => ({ ...common, entryPoints: [workerSource], outfile: join(dir, 'worker.js') });

/** Path of a bundle of `entry` (a .ts file), made once per test process. */
export function bundleScript(entry: string): Promise<string> {
  let out = made.get(entry);
  if (out === undefined) {
    const name = basename(entry, '.ts');
    const dir = join(outDir, name);
    mkdirSync(dir, { recursive: true });
    out = Promise.all([build(entryOptions(entry, dir)), build(workerOptions(dir))]).then(() => join(dir, `${name}.mjs`));
    made.set(entry, out);
  }
  return out;
}

/**
 * bundleScript for a caller that must stay synchronous (a helper returning the child process it
 * starts): the first call per entry blocks for the build (a few hundred ms), later ones do not.
 */
export function bundleScriptSync(entry: string): string {
  const name = basename(entry, '.ts');
  const dir = join(outDir, `${name}.sync`);
  if (!built.has(entry)) {
    mkdirSync(dir, { recursive: true });
    buildSync(entryOptions(entry, dir));
    buildSync(workerOptions(dir));
    built.add(entry);
  }
  return join(dir, `${name}.mjs`);
}
