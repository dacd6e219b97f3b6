/**
 * Server processes of the end-to-end benchmarks: start one (a strand broker fixture, the TCP
 * sink, redis-server, nats-server), wait until it is ready, read its peak RSS (VmHWM from
 * /proc/<pid>/status), stop it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Printed by the node fixtures once they listen: `@@ready host:port`. */
export const READY = '@@ready ';

export interface Server {
  proc: ChildProcess;
  pid: number;
  /** host:port */
  address: string;
  /** Peak resident set size so far, MiB (VmHWM), or NaN if unknown. */
  peakRssMiB(): number;
  /** Cumulative CPU seconds (user + system) so far, or NaN if unknown. */
  cpuSeconds(): number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function vmHwmMiB(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Current anonymous and file-backed (mapped files: page cache) resident memory, MiB. */
export function rssSplitMiB(pid: number): { anon: number; file: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
  } catch {
    return { anon: NaN, file: NaN };
  }
}

export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function wrap(proc: ChildProcess, address: string, out: () => string): Server {
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  return {
    proc,
    pid: proc.pid!,
    address,
    peakRssMiB: () => vmHwmMiB(proc.pid!),
    cpuSeconds: () => cpuSeconds(proc.pid!),
    output: out,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Run `node --import tsx <script> ...args` and wait for its `@@ready host:port` line. */
export function startNodeFixture(script: string, args: readonly string[], env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<Server> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  // stdin stays open as a lifeline: the fixture exits when it closes (this process died without stopping it).
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not become ready in 60 s:\n${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 1 << 20) out = out.slice(-(1 << 19));
      const i = out.indexOf(READY);
      if (i >= 0 && out.indexOf('\n', i) > 0) {
        clearTimeout(timer);
        proc.stdout!.off('data', onData);
        proc.stdout!.on('data', (x: Buffer) => (out = (out + x.toString()).slice(-(1 << 19))));
        resolve(wrap(proc, out.slice(i + READY.length, out.indexOf('\n', i)).trim(), () => out));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-(1 << 19))));
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? sig}) before it was ready:\n${out}`));
    });
  });
}

/** Wait until something accepts TCP connections on host:port. */
export async function waitForPort(host: string, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start an external server binary and wait until its port accepts connections. */
export async function startBinary(cmd: string, args: readonly string[], host: string, port: number, cwd?: string): Promise<Server> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  // Even when this benchmark dies of an uncaught error, do not leave the server running.
  const reap = () => proc.kill('SIGKILL');
  process.once('exit', reap);
  proc.once('exit', () => process.off('exit', reap));
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-(1 << 19))));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-(1 << 19))));
  const early = new Promise<never>((_, reject) => proc.once('exit', (code, sig) => reject(new Error(`${cmd} exited (${code ?? sig}):\n${out}`))));
  early.catch(() => undefined);
  await Promise.race([waitForPort(host, port), early]);
  return wrap(proc, `${host}:${port}`, () => out);
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    import('node:net').then(({ createServer }) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    }, reject);
  });
}

/** Whether a command exists on PATH. */
export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin'])) {
    const p = `${dir}/${cmd}`;
    if (dir !== '' && existsSync(p)) return p;
  }
  return null;
}
