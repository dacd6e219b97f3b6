/**
 * Argument parsing shared by the commands: typed option parsers that fail with a message saying
 * what is wrong and what would be right (commander prints it and the CLI exits with code 2), and
 * the options every client command takes.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseHostPort } from '../client/core.js';

/** A usage error found after parsing (e.g. two options that exclude each other): exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parser of an integer option within [min, max]. */
export function intArg(what: string, min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
      throw new InvalidArgumentError(`${what} must be ${range}.`);
    }
    return n;
  };
}

/** Parser of `--acks`: all (-1), 1 or 0. */
export function acksArg(value: string): -1 | 0 | 1 {
  const v = value.trim().toLowerCase();
  if (v === 'all' || v === '-1') return -1;
  if (v === '1') return 1;
  if (v === '0') return 0;
  throw new InvalidArgumentError('--acks must be all, -1, 1 or 0.');
}

/** Parser of a repeatable `key=value` option, collecting into an array of pairs. */
export function keyValueArg(example: string): (value: string, previous: Array<[string, string]> | undefined) => Array<[string, string]> {
  return (value, previous) => {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`expected key=value, e.g. ${example}.`);
    return [...(previous ?? []), [value.slice(0, eq), value.slice(eq + 1)]];
  };
}

/** Parser of a repeatable string option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parser that checks `host:port` and returns it unchanged. */
export function hostPortArg(value: string): string {
  for (const part of value.split(',')) {
    try {
      parseHostPort(part);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message + '.');
    }
  }
  return value;
}

export interface ClientOptions {
  bootstrap: string;
  timeout: number;
  /** `--command-config`: Kafka client properties securing the connection (see ./command-config.ts). */
  commandConfig?: string;
}

/**
 * `--bootstrap` (env STRAND_BOOTSTRAP), `--timeout` and `--command-config`, for commands that talk
 * to a broker. `--bootstrap-server`, the name Kafka's own tools use, is accepted as the same option
 * so commands copied from Kafka's documentation work unchanged.
 */
export function addClientOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-b, --bootstrap <host:port>', 'broker(s) to connect to, comma-separated (also --bootstrap-server)').default('127.0.0.1:9092').env('STRAND_BOOTSTRAP').argParser(hostPortArg))
    .addOption(new Option('--bootstrap-server <host:port>').hideHelp().argParser(hostPortArg))
    .hook('preAction', (self) => {
      const server = self.getOptionValue('bootstrapServer') as string | undefined;
      if (server === undefined) return;
      if (self.getOptionValueSource('bootstrap') === 'cli') throw new UsageError('give --bootstrap or --bootstrap-server, not both');
      self.setOptionValueWithSource('bootstrap', server, 'cli');
    })
    .addOption(new Option('--timeout <ms>', 'connect and request timeout').default(30_000).argParser(intArg('--timeout', 1)))
    .addOption(new Option('--command-config <file>', 'Kafka client properties for TLS and SASL (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.ca.location, ...)'));
}

/** Turn collected `key=value` pairs into a record, refusing a key given twice. */
export function pairsToRecord(pairs: ReadonlyArray<[string, string]> | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs ?? []) {
    if (Object.hasOwn(out, k)) throw new UsageError(`${option} ${k} is given twice; give each key once`);
    out[k] = v;
  }
  return out;
}
