/** A program run as a child process from a test, its output collected, killed if it outlives its time. */
import { spawn } from 'node:child_process';

export interface ProgramResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ProgramOptions {
  cwd: string;
  /** The child's whole environment (default: the test's). */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** SIGKILLed after this long. */
  timeoutMs: number;
}

/**
 * Start `file`; `done` resolves when it exits, `child` allows signals, `output`/`errors` read what
 * it printed so far. Runs without blocking the test worker (vitest's own messages must flow).
 */
export function startProgram(file: string, args: readonly string[], options: ProgramOptions) {
  const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const done = new Promise<ProgramResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done, output: () => stdout, errors: () => stderr };
}

/** Run `file` to its end. */
export function runProgram(file: string, args: readonly string[], options: ProgramOptions): Promise<ProgramResult> {
  return startProgram(file, args, options).done;
}
