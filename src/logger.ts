import { pino, type Logger } from 'pino';
import { logOutput } from './log-output.js';

/**
 * The process-wide structured logger. One line per notable event (start, recovery action,
 * topic created), never per request at the default level. `STRAND_LOG_LEVEL` overrides the
 * level (`silent` in tests that provoke warnings on purpose). Logs go to stderr, so a command's
 * own output on stdout (the broker's ready line, `strand consume`) stays clean; see
 * log-output.ts for STRAND_LOG_FORMAT (json, plain, journald) and STRAND_LOG_FILE.
 */
export const logger: Logger = pino(
  {
    name: 'strand',
    level: process.env.STRAND_LOG_LEVEL ?? 'info',
    base: undefined,
  },
  logOutput(),
);
