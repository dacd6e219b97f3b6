/**
 * A real etcd (Debian `etcd-server`) on loopback for cluster tests: free ports, a temporary data
 * directory, started and waited for, stopped after the test. It can be restarted on the same data
 * directory and ports, and paused (SIGSTOP/SIGCONT) for fault tests.
 *
 * A missing `etcd` binary fails the test with the command that installs it; STRAND_NO_ETCD=1 is
 * the only way to skip cluster tests (`etcdAvailable()` tells the test files to do so).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

export const ETCD_SKIPPED = process.env.STRAND_NO_ETCD === '1';

function etcdBinary(): string {
  const probe = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('the etcd binary is not on PATH: cluster tests need a real etcd. Install it with `apt-get install -y etcd-server` (or set STRAND_NO_ETCD=1 to skip the cluster tests on purpose)');
  }
  return 'etcd';
}

/** Listen on `port` of 127.0.0.1 (0: any) and close at once: the port it bound, or null if it was taken. */
function bindOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const { port: bound } = srv.address() as { port: number };
      srv.close(() => resolve(bound));
    });
  });
}

export async function freePort(): Promise<number> {
  const port = await bindOnce(0);
  if (port === null) throw new Error('freePort: could not listen on 127.0.0.1');
  return port;
}

/** Ports restartablePort has handed out in this process. */
const handedOut = new Set<number>();

/**
 * A free port below the kernel's ephemeral range, for a server that is stopped and started again
 * on the same port (a broker keeps its address across restarts). A port from freePort() is in
 * that range, so while its broker was down another process's outgoing connection could be given
 * it as its local port, and the restart failed with EADDRINUSE (seen once in CI).
 */
export async function restartablePort(): Promise<number> {
  // A probe binds and lets go at once, so without remembering them the same port could be
  // handed to two servers of one test (a broker's two listeners, say), and the second would fail
  // to start with EADDRINUSE, as a cluster test's broker once did in CI with a port from this
  // range. Other test processes draw from the same range at random; for them a collision stays
  // unlikely.
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual start of the range
  }
  const from = Math.min(10_000, low - 1000);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = from + Math.floor(Math.random() * (low - from));
    if (handedOut.has(candidate)) continue;
    const port = await bindOnce(candidate);
    if (port !== null) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('restartablePort: no free port found below the ephemeral range');
}

export class EtcdServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  private constructor(readonly dataDir: string, readonly clientPort: number, readonly peerPort: number) {}

  /** `host:port`, the form `--cluster etcd://HOST:PORT` takes. */
  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('etcd is not running');
    return this.child.pid;
  }

  static async start(): Promise<EtcdServer> {
    etcdBinary();
    // Restartable ports: restart() starts etcd again on the same ones.
    const server = new EtcdServer(mkdtempSync(join(tmpdir(), 'strand-etcd-')), await restartablePort(), await restartablePort());
    running.push(server);
    await server.launch();
    return server;
  }

  private async launch(): Promise<void> {
    const client = `http://127.0.0.1:${this.clientPort}`;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(etcdBinary(), [
      '--name', 'default',
      '--data-dir', this.dataDir,
      '--listen-client-urls', client,
      '--advertise-client-urls', client,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `default=${peer}`,
      // etcd warns about slow fsyncs on a busy test machine; only its errors matter here.
      '--logger', 'zap',
      '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.log = '';
    child.stderr!.on('data', (d: Buffer) => { this.log = (this.log + d.toString()).slice(-4000); });
    this.exited = new Promise((r) => child.once('exit', () => r()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}) before it answered: ${this.log}`);
      if (await this.healthy()) return;
      if (Date.now() > deadline) throw new Error(`etcd on ${this.endpoint} did not answer within 15 s: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`http://${this.endpoint}/health`, { signal: AbortSignal.timeout(500) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; the data directory stays. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
  }

  /** Stops etcd and starts it again on the same data directory and ports. */
  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const running: EtcdServer[] = [];

afterEach(async () => {
  for (const server of running.splice(0)) await server.destroy();
});
