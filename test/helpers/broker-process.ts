/** A strand broker in a child process, to kill -9 or stop with SIGTERM. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleScript } from './bundle.js';

const main = fileURLToPath(new URL('../fault/fixtures/broker-main.ts', import.meta.url));

export interface BrokerProcess {
  bootstrap: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string | null>;
}

/** `options.main`: another fixture script (same contract: `<script> <dataDir>`, prints `ready <bootstrap>`); `options.env`: added to the child's environment. */
export async function spawnBroker(dataDir: string, options: { main?: string; env?: Record<string, string> } = {}): Promise<BrokerProcess> {
  // A TypeScript fixture is bundled (test/helpers/bundle.ts) once per test process: `--import
  // tsx` would compile the sources again at every start, and tests start brokers many times.
  const given = options.main ?? main;
  const script = given.endsWith('.ts') ? await bundleScript(given) : given;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const exited = new Promise<number | string | null>((r) => child.on('exit', (code, signal) => r(signal ?? code)));
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\S+)\n/.exec(out);
      if (m) resolve({ bootstrap: m[1]!, child, exited });
    });
    void exited.then((code) => reject(new Error(`broker exited (${code}) before it was ready: ${err}`)));
  });
}
