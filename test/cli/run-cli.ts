/**
 * Runs the `strand` CLI as a child process: src/cli/main.ts bundled (test/helpers/bundle.ts), as
 * `node --import tsx` would compile the sources again at each of the hundreds of starts.
 */
import { fileURLToPath } from 'node:url';
import { bundleScriptSync } from '../helpers/bundle.js';
import { type ProgramResult, startProgram } from '../helpers/program.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export type CliResult = ProgramResult;

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
  return startProgram(process.execPath, [bundleScriptSync(MAIN), ...args], {
    cwd: ROOT,
    env: { ...process.env, STRAND_LOG_LEVEL: 'error', ...options.env },
    input: options.input,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
}
