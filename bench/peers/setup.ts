/**
 * Installs what the headline benchmark (bench/peers/clients.ts) needs from Debian when it is
 * missing: the servers (`redis-server`, `nats-server`), the Redis client tools (`redis-tools`:
 * redis-benchmark, redis-cli), the C client libraries the bench builds its clients against
 * (`librdkafka-dev`, `libnats-dev`) and gcc. As root (sudo -n otherwise): `apt-get update` once,
 * then one `apt-get install -y`. Prints one line per piece saying what is there; a system whose
 * pieces cannot be installed gets a row saying why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { which } from './procs.js';

/** [how to tell it is there, Debian package, command that prints its version (or null)]. */
const wanted: Array<[probe: string, pkg: string, version: string[] | null]> = [
  ['redis-server', 'redis-server', ['redis-server', '--version']],
  ['redis-benchmark', 'redis-tools', null],
  ['nats-server', 'nats-server', ['nats-server', '--version']],
  ['/usr/include/librdkafka/rdkafka.h', 'librdkafka-dev', ['dpkg-query', '-W', '-f=${Version}', 'librdkafka-dev']],
  ['/usr/include/nats/nats.h', 'libnats-dev', ['dpkg-query', '-W', '-f=${Version}', 'libnats-dev']],
  ['gcc', 'gcc', ['gcc', '-dumpfullversion']],
];

const present = (probe: string) => (probe.startsWith('/') ? existsSync(probe) : which(probe) !== null);
const missing = wanted.filter(([probe]) => !present(probe)).map(([, pkg]) => pkg);
if (missing.length > 0) {
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? ['sudo', '-n'] : null;
  if (sudo === null) {
    console.log(`cannot install ${missing.join(', ')}: not root and no password-less sudo (apt-get install -y ${missing.join(' ')})`);
  } else if (which('apt-get') === null) {
    console.log(`cannot install ${missing.join(', ')}: no apt-get on this machine`);
  } else {
    const sh = (cmd: string) => spawnSync('sh', ['-c', [...sudo, cmd].join(' ')], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 10 * 60_000 });
    console.log(`installing ${missing.join(', ')} (apt-get update, apt-get install -y)`);
    sh('apt-get update -qq');
    const r = sh(`apt-get install -y -qq ${missing.join(' ')}`);
    if (r.status !== 0) console.log(`apt-get install failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
  }
}
for (const [probe, pkg, version] of wanted) {
  if (!present(probe)) {
    console.log(`${pkg}: not installed`);
    continue;
  }
  const v = version === null ? null : spawnSync(version[0]!, version.slice(1), { encoding: 'utf8' });
  console.log(`${pkg}: ${probe}${v === null ? '' : ` (${(v.stdout || v.stderr).trim().split('\n')[0]})`}`);
}
