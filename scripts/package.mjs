#!/usr/bin/env node
// `npm run package`: builds dist/strand-linux-<arch>, one executable file holding Node and strand
// (Node's single executable applications: a preparation blob injected into a copy of the node
// binary with postject). Nothing else is needed on the target machine: no Node, no npm, no
// compiler (only the C and C++ runtime libraries every glibc Linux has, as node itself needs).
//
// What goes in:
//  - the CLI bundled by esbuild into one CommonJS script (a SEA's main script is CommonJS), with
//    `import.meta.url` pointed at the private copy below (scripts/package-runtime.mjs);
//  - as SEA assets, written at start to a private directory and loaded from there: the native
//    addon (build/Release/strand_native.node, dlopen'ed; the portable backend takes over if it
//    does not load, as it does from source), the WebAssembly CRC-32C kernel, the worker-thread
//    scripts (the pool's tasks and Piscina's own worker, bundled), and the codec packages
//    (snappy, lz4-napi, zstd-napi with their prebuilt .node files), which codecs.ts requires by
//    name at first use.
//
// Usage: node scripts/package.mjs [--arch x64|arm64] [--out FILE]; builds the addon and the kernel
// if missing. An --arch other than this machine's is a cross build (scripts/package-cross.mjs:
// the target's node from the npm registry, the addons cross-compiled); its preparation blob goes
// without V8's code cache, which this machine's node would make for its own CPU.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { crossToolsMissing, prepareCross } from './package-cross.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const archArg = process.argv.indexOf('--arch');
const arch = archArg > 0 ? process.argv[archArg + 1] : process.arch;
const outArg = process.argv.indexOf('--out');
const output = resolve(outArg > 0 ? process.argv[outArg + 1] : join(root, 'dist', `strand-linux-${arch}`));
const work = join(root, 'dist', 'sea');
const started = Date.now();
const step = (what) => console.log(`package: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

if (process.platform !== 'linux') throw new Error(`package: builds Linux binaries only (this is ${process.platform})`);
const sea = await import('node:sea').catch(() => null);
if (sea === null || typeof sea.getRawAsset !== 'function') {
  throw new Error(`package: node ${process.version} has no single-executable assets (node:sea getRawAsset, Node 20.12+/21.7+)`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`package: ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}
const crossMissing = arch === process.arch ? null : crossToolsMissing(arch);
if (crossMissing !== null) throw new Error(`package: cannot build for ${arch}: ${crossMissing}`);
const cross = arch === process.arch ? null : prepareCross(root, arch, (what) => step(what));
const nodeBinary = cross?.node ?? process.execPath;
if (cross === null && !existsSync(join(root, 'build/Release/strand_native.node'))) run('npm', ['run', 'build:native']);
if (!existsSync(join(root, 'wasm/build/crc32c.wasm'))) run('npm', ['run', 'build:wasm']);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// Packages that find their files from `__dirname`, which in a single executable is the binary's
// own directory: point them at the private copy. Piscina starts its worker script from
// `resolve(__dirname, 'worker.js')`, from the piscina package carried whole (the task script
// imports the same copy: Piscina.move() marks results with a symbol of that module); etcd3 loads its gRPC definitions from `__dirname/../proto`.
const PATCHES = [
  { file: /piscina[\\/]dist[\\/]index\.js$/, from: "(0, node_path_1.resolve)(__dirname, 'worker.js')", to: "(0, node_path_1.resolve)(globalThis.__strandDirname, '../node_modules/piscina/dist/worker.js')" },
  { file: /etcd3[\\/]lib[\\/]connection-pool\.js$/, from: '`${__dirname}/../proto/rpc.proto`', to: '`${globalThis.__strandDirname}/../node_modules/etcd3/proto/rpc.proto`' },
];
const dirnamePatches = {
  name: 'dirname-patches',
  setup(b) {
    b.onLoad({ filter: /(piscina|etcd3)[\\/].*\.js$/ }, (args) => {
      const patch = PATCHES.find((p) => p.file.test(args.path));
      if (patch === undefined) return undefined;
      const text = readFileSync(args.path, 'utf8');
      const patched = text.replace(patch.from, patch.to);
      if (patched === text) throw new Error(`package: ${args.path} no longer contains ${patch.from}; update scripts/package.mjs`);
      return { contents: patched, loader: 'js' };
    });
  },
};
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'error', legalComments: 'none', external: ['@napi-rs/nice'] };

// The main script: CommonJS, everything bundled; the codec packages (required by name at run
// time) and the addon (required by path) stay outside and load from the private copy.
await build({
  ...common,
  entryPoints: [join(root, 'scripts/package-entry.mjs')],
  outfile: join(work, 'main.cjs'),
  format: 'cjs',
  define: { 'import.meta.url': 'globalThis.__strandUrl' },
  plugins: [dirnamePatches],
});
// The pool's task script (ESM, as from dist/), self-contained but for piscina.
const assets = new Map(); // asset path in the private copy -> source file
const files = join(work, 'files');
await build({ ...common, external: [...common.external, 'piscina'], entryPoints: [join(root, 'src/workers/worker.ts')], outfile: join(files, 'dist/worker.js'), format: 'esm', banner: { js: "import { createRequire as __strandCreateRequire } from 'node:module'; const require = __strandCreateRequire(import.meta.url);" } });
writeFileSync(join(files, 'package.json'), JSON.stringify({ name: 'strand-runtime', private: true, type: 'module' }) + '\n');
assets.set('package.json', join(files, 'package.json'));
assets.set('dist/worker.js', join(files, 'dist/worker.js'));
assets.set('build/Release/strand_native.node', cross?.addon ?? join(root, 'build/Release/strand_native.node'));
assets.set('wasm/build/crc32c.wasm', join(root, 'wasm/build/crc32c.wasm'));
step('bundled');

// Packages loaded from the private copy at run time (piscina, etcd3's .proto files, the codecs
// and their platform packages with the prebuilt addons): the files they load.
const platform = `linux-${arch}-gnu`;
const packages = ['piscina', 'etcd3/proto', 'snappy', `@napi-rs/snappy-${platform}`, 'lz4-napi', `@antoniomuso/lz4-napi-${platform}`, 'zstd-napi'];
const skipDirs = new Set(['node_modules', 'deps', 'src', 'obj.target', '.deps', 'test', 'docs']);
function addPackage(dir, into) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name)) addPackage(path, join(into, entry.name));
    } else if (/\.(js|cjs|mjs|json|node|proto)$/.test(entry.name)) {
      assets.set(join(into, entry.name), path);
    }
  }
}
for (const pkg of packages) {
  const dir = cross?.packages.get(pkg) ?? join(root, 'node_modules', pkg);
  if (!existsSync(dir)) {
    console.warn(`package: ${pkg} is not installed; the binary goes without it`);
    continue;
  }
  addPackage(dir, join('node_modules', pkg));
}

// The manifest names each asset and its mode; its id (a hash of every byte) names the private copy.
const hash = createHash('sha256');
const manifestFiles = [...assets.keys()].sort().map((path) => {
  const source = assets.get(path);
  hash.update(path).update('\0').update(readFileSync(source));
  return { path, mode: path.endsWith('.node') ? 0o700 : 0o600 };
});
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const manifest = { id: `${version}-${hash.digest('hex').slice(0, 16)}`, files: manifestFiles };
writeFileSync(join(work, 'manifest.json'), JSON.stringify(manifest));

const seaConfig = {
  main: join(work, 'main.cjs'),
  output: join(work, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  useSnapshot: false,
  useCodeCache: cross === null,
  assets: Object.fromEntries([['manifest.json', join(work, 'manifest.json')], ...manifestFiles.map((f) => [f.path, assets.get(f.path)])]),
};
writeFileSync(join(work, 'sea-config.json'), JSON.stringify(seaConfig, null, 2));
run(process.execPath, ['--experimental-sea-config', join(work, 'sea-config.json')]);
step('preparation blob written');

// Injection takes most of the time (postject rewrites the 100 MB binary): skipped when the
// output already holds this very blob in this very node binary (a stamp beside it says so).
const nodeStat = statSync(nodeBinary);
const stampValue = createHash('sha256').update(readFileSync(seaConfig.output)).update(`${nodeBinary}:${nodeStat.size}:${nodeStat.mtimeMs}`).digest('hex');
const stamp = `${output}.stamp`;
if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8') === stampValue) {
  step('unchanged, kept');
} else {
  mkdirSync(dirname(output), { recursive: true });
  rmSync(stamp, { force: true });
  rmSync(output, { force: true });
  copyFileSync(nodeBinary, output);
  chmodSync(output, 0o755);
  run(process.execPath, [join(root, 'node_modules/postject/dist/cli.js'), output, 'NODE_SEA_BLOB', seaConfig.output, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2']);
  writeFileSync(stamp, stampValue);
}
const size = statSync(output).size;
step(`${relative(process.cwd(), output)}: ${(size / 1024 / 1024).toFixed(1)} MiB, ${manifestFiles.length} assets`);
