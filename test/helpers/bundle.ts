/**
 * A test fixture script bundled into one plain ES module, for tests that start it many times:
 * `node --import tsx` compiles the project's TypeScript at every start (about 1 s of CPU), a
 * bundle starts in a fraction of that. Packages stay external (resolved from node_modules) and
 * the bundle is written inside the repository, so the storage backend finds the native addon
 * the way it does from src/.
 */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = join(root, 'node_modules/.cache/strand-test-bundles');
const made = new Map<string, Promise<string>>();

/** Path of a bundle of `entry` (a .ts file), made once per test process. */
export function bundleScript(entry: string): Promise<string> {
  let out = made.get(entry);
  if (out === undefined) {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `${basename(entry, '.ts')}-${process.pid}.mjs`);
    out = build({ entryPoints: [entry], outfile: file, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' }).then(() => file);
    made.set(entry, out);
  }
  return out;
}
