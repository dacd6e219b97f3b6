/**
 * Kafka's offset checkpoint files (`recovery-point-offset-checkpoint`, ...):
 *
 *   0                 <- format version
 *   2                 <- number of entries
 *   orders 0 1234     <- topic partition offset, one per line
 *   orders 1 99
 *
 * Written to a temp file, fsynced and renamed over the old one, then the directory fsynced, so a
 * crash or a power cut leaves either the old or the new checkpoint, never a torn one.
 */
import { readFileSync } from 'node:fs';
import { StorageIOError } from '../errors.js';
import { io } from '../io/index.js';

export type CheckpointEntries = Map<string, number>;

/**
 * The high watermark of each partition (Kafka's name and format), in the data directory beside
 * the recovery-point checkpoint. Kept here rather than in file-names.ts with the others.
 */
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';

export function checkpointKey(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}

export function readCheckpoint(path: string): CheckpointEntries {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new StorageIOError(`cannot read checkpoint ${path}: ${(err as Error).message}`, path);
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0') throw new StorageIOError(`checkpoint ${path} has unknown version ${JSON.stringify(lines[0])}`, path);
  const count = Number(lines[1]);
  const entries: CheckpointEntries = new Map();
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i];
    const m = line === undefined ? null : /^(\S+) (\d+) (-?\d+)$/.exec(line);
    if (m === null) throw new StorageIOError(`checkpoint ${path} line ${3 + i} is malformed: ${JSON.stringify(line)}`, path);
    entries.set(checkpointKey(m[1]!, Number(m[2])), Number(m[3]));
  }
  return entries;
}

/**
 * Write the checkpoint atomically and durably, off the event loop: temp file, fsync, rename,
 * directory fsync (io.writeFileAtomic). Whoever writes a recovery point must only put offsets
 * in it that are already durable (Log.recoveryPoint is).
 */
export async function writeCheckpoint(path: string, entries: CheckpointEntries): Promise<void> {
  let text = `0\n${entries.size}\n`;
  for (const [key, offset] of entries) text += `${key} ${offset}\n`;
  try {
    await io.writeFileAtomic(path, text, 'checkpoint');
  } catch (err) {
    throw new StorageIOError(`cannot write checkpoint ${path}: ${(err as Error).message}`, path, { cause: err });
  }
}
