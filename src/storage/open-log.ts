/**
 * A single partition log used on its own (no broker, no store): the directory holds the
 * segments plus its own lock, clean-shutdown marker and checkpoints.
 */
import { basename } from 'node:path';
import { checkpointKey } from './checkpoint.js';
import { DirectoryState } from './dir-state.js';
import type { LogConfig } from './log-config.js';
import { Log } from './log.js';

const SELF = checkpointKey('log', 0);

export async function openLogDirectory(dir: string, options: Partial<LogConfig> = {}): Promise<Log> {
  const state = await DirectoryState.open(dir);
  try {
    return Log.load(dir, basename(dir), options, {
      recoveryPoint: state.recoveryPoints.get(SELF) ?? 0,
      logStartOffset: state.logStartOffsets.get(SELF) ?? 0,
      cleanShutdown: state.cleanShutdown,
      onClose: (log) => state.closeCleanly(new Map([[SELF, log.recoveryPoint]]), new Map([[SELF, log.startOffset]])),
    });
  } catch (err) {
    state.abandon();
    throw err;
  }
}
