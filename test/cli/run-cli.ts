/**
 * Runs the `strand` CLI as a child process: src/cli/main.ts bundled (test/helpers/bundle.ts), as
 * `node --import tsx` would compile the sources again at each of the hundreds of starts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bundleScriptSync } from '../helpers/bundle.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Start the CLI and resolve when it exits. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  return child.done;
}

/** Start the CLI; `done` resolves when it exits, `child` allows signals and reading as it runs. */
export function startCli(args: readonly string[], options: CliOptions = {}) {
  const child = spawn(process.execPath, [bundleScriptSync(MAIN), ...args], {
    cwd: ROOT,
    env: { ...process.env, STRAND_LOG_LEVEL: 'error', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done, output: () => stdout, errors: () => stderr };
}
