/**
 * `strand cluster start --brokers N`: a development cluster on this machine in one foreground
 * process tree, as `confluent local services start` gives one: an etcd (the Debian
 * `etcd-server` binary, `etcd` on PATH) and N brokers joined to it, each a child process with its
 * own data directory and log file. It prints the bootstrap servers once every broker is
 * registered, and Ctrl-C (or SIGTERM) stops the brokers gracefully (controlled shutdown) and
 * then etcd. Children run in their own process groups so that the terminal's Ctrl-C reaches only
 * this process, which stops them in that order; they are killed if it exits any other way.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { resolve, join } from 'node:path';
import type { Command } from 'commander';
import { KafkaClient } from '../../client/client.js';
import { DescribeClusterApi } from '../../protocol/messages/index.js';
import { intArg, UsageError } from '../args.js';
import { writeOut } from '../session.js';

interface StartOptions {
  brokers: number;
  dataDir: string;
  port: number;
  etcdPort: number;
  override?: string[];
}

const collectOverride = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function registerStart(cluster: Command): void {
  cluster.command('start')
    .description('start a local etcd and N brokers on this machine for development (Ctrl-C stops them all)')
    .option('-n, --brokers <n>', 'number of brokers', intArg('--brokers', 1, 64), 3)
    .option('-d, --data-dir <dir>', 'directory for etcd\'s and every broker\'s data and logs', './strand-cluster')
    .option('-p, --port <port>', 'first broker port; broker i listens on port + i - 1', intArg('--port', 1, 65535), 9092)
    .option('--etcd-port <port>', 'etcd client port (the peer port is the next one)', intArg('--etcd-port', 1, 65534), 2379)
    .option('-o, --override <key=value>', 'a setting for every broker, repeatable', collectOverride)
    .addHelpText('after', `
Needs etcd: apt-get install etcd-server

Example:
  strand cluster start --brokers 3
  strand topics create orders --partitions 6 --replication-factor 3 -b 127.0.0.1:9092`)
    .action((options: StartOptions) => start(options));
}

function etcdBinary(): string {
  for (const candidate of ['etcd', '/usr/bin/etcd', '/usr/local/bin/etcd']) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return candidate;
  }
  throw new UsageError('the etcd binary was not found (tried etcd on PATH, /usr/bin/etcd, /usr/local/bin/etcd); install it with `apt-get install etcd-server`');
}

async function etcdHealthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, children: ChildProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead !== undefined) throw new Error(`${what}: a child process (pid ${dead.pid}) exited early; see its log in the data directory`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms; see the logs in the data directory`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function registeredBrokers(bootstrap: string): Promise<number> {
  const client = new KafkaClient({ bootstrap, clientId: 'strand-cluster-start', connectTimeoutMs: 1000, requestTimeoutMs: 2000 });
  try {
    await client.connect();
    const res = await client.request(DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    return res.brokers.length;
  } catch {
    return 0;
  } finally {
    await client.close().catch(() => undefined);
  }
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

async function start(options: StartOptions): Promise<void> {
  const etcd = etcdBinary();
  const dir = resolve(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const logTo = (name: string, child: ChildProcess): void => {
    const out = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
  };

  const client = `http://127.0.0.1:${options.etcdPort}`;
  const peer = `http://127.0.0.1:${options.etcdPort + 1}`;
  const etcdChild = spawn(etcd, [
    '--name', 'strand-dev', '--data-dir', join(dir, 'etcd'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `strand-dev=${peer}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(etcdChild);
  logTo('etcd', etcdChild);
  try {
    await waitFor(`etcd on 127.0.0.1:${options.etcdPort}`, () => etcdHealthy(options.etcdPort), children, 15_000);
    await writeOut(`etcd: 127.0.0.1:${options.etcdPort} (data and log in ${dir})\n`);

    const script = process.argv[1]!;
    const addresses: string[] = [];
    const brokers: ChildProcess[] = [];
    for (let i = 1; i <= options.brokers; i++) {
      const address = `127.0.0.1:${options.port + i - 1}`;
      addresses.push(address);
      const args = [...process.execArgv, script, 'broker', '--cluster', `etcd://127.0.0.1:${options.etcdPort}`, '--node-id', String(i), '--listen', address, '--data-dir', join(dir, `broker-${i}`)];
      for (const o of options.override ?? []) args.push('--override', o);
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: process.env });
      children.push(child);
      brokers.push(child);
      logTo(`broker-${i}`, child);
    }
    await waitFor(`${options.brokers} brokers registered`, async () => (await registeredBrokers(addresses[0]!)) === options.brokers, children, 60_000);
    for (let i = 0; i < addresses.length; i++) await writeOut(`broker ${i + 1}: ${addresses[i]} (pid ${brokers[i]!.pid})\n`);
    await writeOut(`bootstrap servers: ${addresses.join(',')}\nPress Ctrl-C to stop.\n`);

    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // A child that dies on its own ends the session too: a cluster missing a member is not what was asked for.
      for (const c of children) c.once('exit', stop);
    });
    await writeOut('stopping the brokers...\n');
    await Promise.all(brokers.map((b) => stopChild(b, 30_000)));
    await stopChild(etcdChild, 5000);
    await writeOut('stopped.\n');
  } finally {
    killAll();
    process.off('exit', killAll);
  }
}
