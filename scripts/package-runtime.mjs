// First module of the single-file binary (see scripts/package.mjs): before anything else runs,
// writes the files the binary carries as SEA assets (the native addon, the WebAssembly kernel,
// the worker-thread scripts, the codec packages) to a private directory and points the bundle's
// `import.meta.url` (defined as globalThis.__strandUrl) into it, so that src/io, src/workers and
// src/format find them exactly where they look in a source checkout.
//
// The directory is <STRAND_RUNTIME_DIR or $TMPDIR>/strand-<uid>/<content hash>: owned by this
// user with mode 0700 (a shared /tmp must not let another user swap the addon we dlopen), written
// under a temporary name and renamed into place, so a half-written copy is never used and two
// processes starting at once both end up with a complete one. A copy with the same hash is
// reused, which keeps the start fast.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sea from 'node:sea';

function privateBase() {
  const uid = process.getuid?.() ?? 0;
  const base = join(process.env.STRAND_RUNTIME_DIR || tmpdir(), `strand-${uid}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const st = lstatSync(base);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${base} is not a private directory of this user (owner ${st.uid}, mode ${(st.mode & 0o777).toString(8)}); remove it or set STRAND_RUNTIME_DIR to a directory only this user can write`);
  }
  return base;
}

function extract() {
  const manifest = JSON.parse(sea.getAsset('manifest.json', 'utf8'));
  const base = privateBase();
  const dir = join(base, manifest.id);
  if (!existsSync(join(dir, '.complete'))) {
    const tmp = mkdtempSync(join(base, '.partial-'));
    for (const file of manifest.files) {
      const target = join(tmp, file.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, Buffer.from(sea.getRawAsset(file.path)), { mode: file.mode });
    }
    writeFileSync(join(tmp, '.complete'), '');
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process put a complete copy there first.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(dir, '.complete'))) throw err;
    }
  }
  return dir;
}

if (sea.isSea()) {
  const dir = extract();
  globalThis.__strandRuntimeDir = dir;
  globalThis.__strandUrl = pathToFileURL(join(dir, 'dist', 'main.cjs')).href;
  globalThis.__strandDirname = join(dir, 'dist');
} else {
  // The bundle run by a plain `node dist/strand.cjs` (debugging the package): beside its files.
  globalThis.__strandUrl = pathToFileURL(__filename).href;
  globalThis.__strandDirname = __dirname;
}
