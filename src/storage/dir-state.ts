/**
 * What a data directory remembers between runs besides the logs: the lock, the clean-shutdown
 * marker, and the recovery-point and log-start-offset checkpoints. The marker is removed as soon
 * as the directory is opened, so a crash any time later makes the next open recover.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckpointEntries, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { DirectoryLock } from './dir-lock.js';
import { CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT } from './file-names.js';

export class DirectoryState {
  private constructor(
    readonly dir: string,
    private readonly lock: DirectoryLock,
    /** True if the previous run closed cleanly; recovery can skip the scan. */
    readonly cleanShutdown: boolean,
    readonly recoveryPoints: CheckpointEntries,
    readonly logStartOffsets: CheckpointEntries,
  ) {}

  static open(dir: string): DirectoryState {
    mkdirSync(dir, { recursive: true });
    const lock = DirectoryLock.acquire(dir);
    try {
      const marker = join(dir, CLEAN_SHUTDOWN_FILE);
      const clean = existsSync(marker);
      const state = new DirectoryState(dir, lock, clean, readCheckpoint(join(dir, RECOVERY_POINT_CHECKPOINT)), readCheckpoint(join(dir, LOG_START_OFFSET_CHECKPOINT)));
      rmSync(marker, { force: true });
      return state;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  writeCheckpoints(recoveryPoints: CheckpointEntries, logStartOffsets: CheckpointEntries): void {
    writeCheckpoint(join(this.dir, RECOVERY_POINT_CHECKPOINT), recoveryPoints);
    writeCheckpoint(join(this.dir, LOG_START_OFFSET_CHECKPOINT), logStartOffsets);
  }

  /** Write the final checkpoints and the clean-shutdown marker, then release the lock. */
  closeCleanly(recoveryPoints: CheckpointEntries, logStartOffsets: CheckpointEntries): void {
    this.writeCheckpoints(recoveryPoints, logStartOffsets);
    writeFileSync(join(this.dir, CLEAN_SHUTDOWN_FILE), '');
    this.lock.release();
  }

  /** Release the lock without marking a clean shutdown (after a failure). */
  abandon(): void {
    this.lock.release();
  }
}
