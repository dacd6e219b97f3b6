/**
 * What a data directory remembers between runs besides the logs: the lock, the clean-shutdown
 * marker, and the recovery-point and log-start-offset checkpoints. The marker is removed (and the
 * removal made durable) as soon as the directory is opened, so a crash or power cut any time
 * later makes the next open recover.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { io } from '../io/index.js';
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

  static async open(dir: string): Promise<DirectoryState> {
    const created = mkdirSync(dir, { recursive: true }) !== undefined;
    const lock = DirectoryLock.acquire(dir);
    try {
      const marker = join(dir, CLEAN_SHUTDOWN_FILE);
      const clean = existsSync(marker);
      const state = new DirectoryState(dir, lock, clean, readCheckpoint(join(dir, RECOVERY_POINT_CHECKPOINT)), readCheckpoint(join(dir, LOG_START_OFFSET_CHECKPOINT)));
      if (clean) {
        rmSync(marker, { force: true });
        // The removal must be durable before anything is written: a marker that came back after a
        // power cut would have the next open trust logs this run left unclean.
        await io.syncDirectory(dir);
      }
      if (created) await io.syncDirectory(dirname(resolve(dir)));
      return state;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Write both checkpoints (each atomically and durably; see checkpoint.ts). */
  async writeCheckpoints(recoveryPoints: CheckpointEntries, logStartOffsets: CheckpointEntries): Promise<void> {
    await writeCheckpoint(join(this.dir, RECOVERY_POINT_CHECKPOINT), recoveryPoints);
    await writeCheckpoint(join(this.dir, LOG_START_OFFSET_CHECKPOINT), logStartOffsets);
  }

  /**
   * Write the final checkpoints, then the clean-shutdown marker (each durable before the next:
   * a marker never stands for checkpoints that are not on disk), then release the lock. The
   * caller has made every log it checkpoints durable (Log.close).
   */
  async closeCleanly(recoveryPoints: CheckpointEntries, logStartOffsets: CheckpointEntries): Promise<void> {
    await this.writeCheckpoints(recoveryPoints, logStartOffsets);
    await io.writeFileAtomic(join(this.dir, CLEAN_SHUTDOWN_FILE), '', 'checkpoint');
    this.lock.release();
  }

  /** Release the lock without marking a clean shutdown (after a failure). */
  abandon(): void {
    this.lock.release();
  }
}
