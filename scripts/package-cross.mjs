// What scripts/package.mjs needs to build a binary for another CPU than this one's (`--arch
// arm64` on x86-64): the target's node binary, strand's addon and zstd-napi's cross-compiled, and
// the codecs' prebuilt platform packages. Everything is cached under
// node_modules/.cache/strand-package/<arch>/, so only the first build fetches and compiles.
//
// Needs: the npm registry (the `node-linux-<arch>` package, the node binary the `node` npm package
// installs, of this very Node version; the codecs' `-linux-<arch>-gnu` packages), a cross
// compiler (Debian: g++-aarch64-linux-gnu) and Node's headers beside this node (node-gyp
// --nodedir; they do not depend on the CPU).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** GNU target triples of the architectures a cross build knows. */
export const TRIPLES = { arm64: 'aarch64-linux-gnu', x64: 'x86_64-linux-gnu' };

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`package: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n${(r.stdout ?? '').slice(-2000)}${(r.stderr ?? '').slice(-2000)}`);
  return r.stdout;
}

/** What is missing on this machine for a cross build to `arch`, as one message; null when nothing. */
export function crossToolsMissing(arch) {
  const triple = TRIPLES[arch];
  if (triple === undefined) return `no cross build to ${arch} (known: ${Object.keys(TRIPLES).join(', ')})`;
  if (spawnSync(`${triple}-g++`, ['--version'], { stdio: 'ignore' }).status !== 0) return `${triple}-g++ is not installed (Debian: apt-get install g++-${triple})`;
  if (!existsSync(join(dirname(dirname(process.execPath)), 'include/node/node_api.h'))) return `Node's headers are not beside ${process.execPath} (include/node/node_api.h)`;
  return null;
}

/** npm pack `spec` and unpack it into `dir` (the package's files directly in it). */
function fetchPackage(spec, dir) {
  if (existsSync(join(dir, 'package.json'))) return dir;
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const file = run('npm', ['pack', spec, '--silent', '--pack-destination', tmp]).trim().split('\n').pop();
  run('tar', ['xzf', join(tmp, file), '-C', tmp]);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(join(tmp, 'package'), dir);
  rmSync(tmp, { recursive: true, force: true });
  return dir;
}

/** node-gyp rebuild of the project in `dir` for `arch` with the cross compiler; returns `dir`. */
function crossBuild(dir, arch, root) {
  const triple = TRIPLES[arch];
  const nodeGyp = join(dirname(dirname(process.execPath)), 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  run(process.execPath, [nodeGyp, 'rebuild', `--arch=${arch}`, `--nodedir=${dirname(dirname(process.execPath))}`, '-j', '2'], {
    cwd: dir,
    env: { ...process.env, CC: `${triple}-gcc`, CXX: `${triple}-g++`, LINK: `${triple}-g++`, AR: `${triple}-ar` },
  });
  return dir;
}

/**
 * Everything the binary for `arch` carries that differs from this machine's build: the node
 * binary to inject into, strand's addon, and the codec packages by name (directory to carry).
 */
export function prepareCross(root, arch, log) {
  const cache = join(root, 'node_modules/.cache/strand-package', arch);
  const version = process.version.slice(1);
  const node = join(fetchPackage(`node-linux-${arch}@${version}`, join(cache, `node-${version}`)), 'bin/node');
  log(`node ${version} for linux-${arch}`);

  // Named by a hash of the addon's sources, so a changed source is built again.
  const sources = createHash('sha256').update(readFileSync(join(root, 'binding.gyp')));
  for (const file of readdirSync(join(root, 'native')).sort()) sources.update(file).update(readFileSync(join(root, 'native', file)));
  const addon = join(cache, `addon-${sources.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(addon, 'build/Release/strand_native.node'))) {
    rmSync(addon, { recursive: true, force: true });
    mkdirSync(addon, { recursive: true });
    cpSync(join(root, 'binding.gyp'), join(addon, 'binding.gyp'));
    cpSync(join(root, 'native'), join(addon, 'native'), { recursive: true });
    crossBuild(addon, arch, root);
  }
  log(`native addon for linux-${arch}`);

  // zstd-napi compiles its addon at install (no prebuilt one); snappy and lz4-napi pick a
  // prebuilt platform package of their own version.
  const packages = new Map();
  const versionOf = (pkg) => JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  const zstd = join(cache, `zstd-napi-${versionOf('zstd-napi')}`);
  if (!existsSync(join(zstd, 'build/Release/binding.node'))) {
    rmSync(zstd, { recursive: true, force: true });
    mkdirSync(zstd, { recursive: true });
    for (const entry of readdirSync(join(root, 'node_modules/zstd-napi'))) {
      if (entry !== 'build' && entry !== 'node_modules') cpSync(join(root, 'node_modules/zstd-napi', entry), join(zstd, entry), { recursive: true });
    }
    crossBuild(zstd, arch, root);
  }
  packages.set('zstd-napi', zstd);
  for (const [pkg, platformPkg] of [['snappy', `@napi-rs/snappy-linux-${arch}-gnu`], ['lz4-napi', `@antoniomuso/lz4-napi-linux-${arch}-gnu`]]) {
    packages.set(platformPkg, fetchPackage(`${platformPkg}@${versionOf(pkg)}`, join(cache, `${platformPkg}-${versionOf(pkg)}`)));
  }
  log(`codec packages for linux-${arch}`);
  return { node, addon: join(addon, 'build/Release/strand_native.node'), packages };
}
