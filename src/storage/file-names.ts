/**
 * Every file and directory name the storage layer uses, in one place (Kafka's LogFileUtils):
 * `<data-dir>/<topic>-<partition>/<20-digit base offset>.log|.index|.timeindex|.txnindex`, plus the
 * data-directory files that hold the recovery state.
 */
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const DELETED_SUFFIX = '.deleted';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
/** Suffix of a partition directory scheduled for removal (Kafka: `topic-0.<uuid>-delete`). */
export const DELETE_DIR_SUFFIX = '-delete';

export const LOCK_FILE = '.lock';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
/** The log cleaner's first dirty offset of each compacted partition (Kafka's name and format). */
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';

/** `00000000000000000123` for 123: zero-padded so names sort in offset order. */
export function offsetFileStem(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function logFilePath(dir: string, baseOffset: number): string {
  return join(dir, offsetFileStem(baseOffset) + LOG_SUFFIX);
}
export function indexFilePath(dir: string, baseOffset: number): string {
  return join(dir, offsetFileStem(baseOffset) + INDEX_SUFFIX);
}
export function timeIndexFilePath(dir: string, baseOffset: number): string {
  return join(dir, offsetFileStem(baseOffset) + TIME_INDEX_SUFFIX);
}
export function txnIndexFilePath(dir: string, baseOffset: number): string {
  return join(dir, offsetFileStem(baseOffset) + TXN_INDEX_SUFFIX);
}

/** Base offset of a `.log` file name, or null if the name is not one. */
export function parseLogFileName(name: string): number | null {
  if (!name.endsWith(LOG_SUFFIX)) return null;
  const stem = name.slice(0, -LOG_SUFFIX.length);
  return /^\d{20}$/.test(stem) ? Number(stem) : null;
}

/** Partition directory name: `orders-3`. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Topic and partition of a partition directory name (split at the last `-`), or null. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  if (name.endsWith(DELETE_DIR_SUFFIX)) return null;
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const partition = name.slice(dash + 1);
  if (!/^\d+$/.test(partition)) return null;
  return { topic: name.slice(0, dash), partition: Number(partition) };
}
