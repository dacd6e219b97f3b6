/**
 * The C load clients (bench/peers/c/*.c) compiled with gcc against Debian's librdkafka-dev and
 * libnats-dev into node_modules/.cache/strand-bench/, once per source change (a binary newer than
 * its source and lat.h is reused). Throws naming what is missing when a header or gcc is absent.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { which } from './procs.js';

const SRC = fileURLToPath(new URL('./c/', import.meta.url));
const OUT = fileURLToPath(new URL('../../node_modules/.cache/strand-bench/', import.meta.url));

const CLIENTS = {
  'rdkafka-producer': { lib: 'rdkafka', header: '/usr/include/librdkafka/rdkafka.h', pkg: 'librdkafka-dev' },
  'rdkafka-consumer': { lib: 'rdkafka', header: '/usr/include/librdkafka/rdkafka.h', pkg: 'librdkafka-dev' },
  'nats-publisher': { lib: 'nats', header: '/usr/include/nats/nats.h', pkg: 'libnats-dev' },
} as const;
export type CClient = keyof typeof CLIENTS;

const mtime = (p: string) => statSync(p).mtimeMs;

/** Path of the compiled client, building it first when needed. */
export function cClient(name: CClient): string {
  const { lib, header, pkg } = CLIENTS[name];
  const src = `${SRC}${name}.c`;
  const bin = `${OUT}${name}`;
  if (existsSync(bin) && mtime(bin) > Math.max(mtime(src), mtime(`${SRC}lat.h`))) return bin;
  if (which('gcc') === null) throw new Error('gcc is not installed (apt-get install -y gcc)');
  if (!existsSync(header)) throw new Error(`${header} is missing (apt-get install -y ${pkg})`);
  mkdirSync(OUT, { recursive: true });
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', bin, src, `-l${lib}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${name}.c failed: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return bin;
}
