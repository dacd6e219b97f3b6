/**
 * Installs the peers' servers from Debian packages when they are missing: `redis-server` and
 * `nats-server` (apt-get install -y, as root; with sudo -n otherwise). Prints one line per peer
 * saying what is there; a peer that cannot be installed is skipped by its benchmark with that
 * line as the reason. kcat is installed by `npm test` (the interop tests need it) and here too.
 */
import { spawnSync } from 'node:child_process';
import { which } from './procs.js';

const wanted: Array<[bin: string, pkg: string, version: string[]]> = [
  ['redis-server', 'redis-server', ['--version']],
  ['nats-server', 'nats-server', ['--version']],
  ['kcat', 'kcat', ['-V']],
];

const missing = wanted.filter(([bin]) => which(bin) === null).map(([, pkg]) => pkg);
if (missing.length > 0) {
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo', '-n'] : null;
  if (sudo === null) {
    console.log(`cannot install ${missing.join(', ')}: not root and no password-less sudo (install them with apt-get install -y ${missing.join(' ')})`);
  } else if (which('apt-get') === null) {
    console.log(`cannot install ${missing.join(', ')}: no apt-get on this machine`);
  } else {
    const sh = (cmd: string) => spawnSync('sh', ['-c', [...sudo, cmd].join(' ')], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 10 * 60_000 });
    console.log(`installing ${missing.join(', ')} (apt-get install -y)`);
    let r = sh(`apt-get install -y -qq ${missing.join(' ')}`);
    if (r.status !== 0) {
      sh('apt-get update -qq');
      r = sh(`apt-get install -y -qq ${missing.join(' ')}`);
    }
    if (r.status !== 0) console.log(`apt-get install failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  }
}
for (const [bin, , args] of wanted) {
  const path = which(bin);
  if (path === null) {
    console.log(`${bin}: not installed`);
    continue;
  }
  const v = spawnSync(path, args, { encoding: 'utf8' });
  console.log(`${bin}: ${path} (${(v.stdout || v.stderr).trim().split('\n')[0]})`);
}
