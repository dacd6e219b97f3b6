/**
 * A single partition log used on its own (no broker, no store): the directory holds the
 * segments plus its own lock, clean-shutdown marker and checkpoints (the high watermark's
 * `replication-offset-checkpoint` too).
 */
import { basename, join } from 'node:path';
import { logger } from '../logger.js';
import { REPLICATION_OFFSET_CHECKPOINT, checkpointKey, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { DirectoryState } from './dir-state.js';
import type { LogConfig } from './log-config.js';
import { Log } from './log.js';

const SELF = checkpointKey('log', 0);

export async function openLogDirectory(dir: string, options: Partial<LogConfig> = {}): Promise<Log> {
  const state = await DirectoryState.open(dir);
  const hwPath = join(dir, REPLICATION_OFFSET_CHECKPOINT);
  try {
    return Log.load(dir, basename(dir), options, {
      recoveryPoint: state.recoveryPoints.get(SELF) ?? 0,
      logStartOffset: state.logStartOffsets.get(SELF) ?? 0,
      cleanShutdown: state.cleanShutdown,
      highWatermark: readHighWatermark(hwPath),
      onClose: async (log) => {
        // Before the clean-shutdown marker, which closeCleanly writes last.
        await writeCheckpoint(hwPath, new Map([[SELF, log.highWatermark]])).catch((err: unknown) => logger.warn({ err, file: hwPath }, 'could not write the high watermark checkpoint'));
        await state.closeCleanly(new Map([[SELF, log.recoveryPoint]]), new Map([[SELF, log.startOffset]]));
      },
    });
  } catch (err) {
    state.abandon();
    throw err;
  }
}

/** The checkpointed high watermark; a damaged file is a warning (see Store's readHighWatermarks). */
function readHighWatermark(path: string): number | undefined {
  try {
    return readCheckpoint(path).get(SELF);
  } catch (err) {
    logger.warn({ err, file: path }, `ignoring the high watermark checkpoint ${path}: ${(err as Error).message}`);
    return undefined;
  }
}
