/**
 * Where the process-wide logger writes, and in what shape (see logger.ts). Chosen once at start
 * from the environment, so every command and the embedded API behave the same:
 *
 *  - `STRAND_LOG_FORMAT=json` (the default): pino's JSON lines, for log shippers.
 *  - `STRAND_LOG_FORMAT=plain`: `2026-01-01T00:00:00.000Z INFO  message key=value ...`.
 *  - `STRAND_LOG_FORMAT=journald`, the default when systemd connects stderr to the journal (it
 *    sets JOURNAL_STREAM): `<6>message key=value`, the sd-daemon priority prefix journald turns
 *    into the entry's priority (so `journalctl -p warning` works); journald adds the time.
 *  - `STRAND_LOG_FILE=PATH`: append to that file instead of stderr; SIGHUP reopens it, so
 *    logrotate can move it away (packaging/strand.logrotate), as with most daemons.
 *
 * Writes are synchronous: log lines are rare (never per request at the default level) and a
 * line must not be lost when the process exits right after it.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogFormat = 'json' | 'plain' | 'journald';

/** pino levels to syslog priorities (sd-daemon(3)): trace/debug 7, info 6, warn 4, error 3, fatal 2. */
const PRIORITY = (level: number) => (level >= 60 ? 2 : level >= 50 ? 3 : level >= 40 ? 4 : level >= 30 ? 6 : 7);
const NAME = (level: number) => (level >= 60 ? 'FATAL' : level >= 50 ? 'ERROR' : level >= 40 ? 'WARN ' : level >= 30 ? 'INFO ' : level >= 20 ? 'DEBUG' : 'TRACE');

/** A value as it reads in a plain line: bare when it has no space or quote, else JSON. */
function show(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object' && 'message' in v && 'type' in v) {
    const e = v as { type: string; message: string; stack?: string };
    return JSON.stringify(`${e.type}: ${e.message}`);
  }
  return JSON.stringify(v);
}

/** One pino JSON line as a plain (or journald) line. */
export function formatLine(json: string, format: Exclude<LogFormat, 'json'>): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, msg, name: _name, pid: _pid, hostname: _hostname, ...rest } = entry;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${show(v)}`).join(' ');
  const text = `${typeof msg === 'string' ? msg : ''}${fields === '' ? '' : ` ${fields}`}`;
  const n = typeof level === 'number' ? level : 30;
  if (format === 'journald') return `<${PRIORITY(n)}>${text}\n`;
  return `${new Date(typeof time === 'number' ? time : Date.now()).toISOString()} ${NAME(n)} ${text}\n`;
}

export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const f = env.STRAND_LOG_FORMAT;
  if (f === 'json' || f === 'plain' || f === 'journald') return f;
  if (f !== undefined && f !== '') throw new Error(`STRAND_LOG_FORMAT=${f} is not a log format; use json, plain or journald`);
  return env.JOURNAL_STREAM !== undefined && env.STRAND_LOG_FILE === undefined ? 'journald' : 'json';
}

/** The stream pino writes to: stderr or the log file, in the chosen format. */
export function logOutput(env: NodeJS.ProcessEnv = process.env): { write(line: string): void } {
  const format = logFormat(env);
  const file = env.STRAND_LOG_FILE;
  let fd = 2;
  if (file !== undefined && file !== '') {
    const open = () => {
      mkdirSync(dirname(file), { recursive: true });
      return openSync(file, 'a', 0o640);
    };
    fd = open();
    // logrotate moved the file away: write to a new one under the name.
    process.on('SIGHUP', () => {
      const old = fd;
      fd = open();
      closeSync(old);
    });
  }
  return {
    write(line: string) {
      writeSync(fd, format === 'json' ? line : formatLine(line, format));
    },
  };
}
