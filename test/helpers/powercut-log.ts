/**
 * Rounds of power cuts under the embedded log: a writer process (test/fault/fixtures/
 * powercut-writer.ts) appends to a log whose directory is on the power-cut file system, the
 * power goes at a random moment, the writer is killed, and what the file system kept (exactly
 * what was fsynced) is opened again and checked: every record acknowledged as durable reads back
 * byte-identical and in order, and no corrupt batch is ever served.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, vi } from 'vitest';
import { BASE_OFFSET, BASE_SEQUENCE, BATCH_LENGTH, LOG_OVERHEAD, readInt64 } from '../../src/format/batch-header.js';
import { checkBatch, isControlBatch } from '../../src/format/record-batch.js';
import { openLog } from '../../src/index.js';
import { logger } from '../../src/logger.js';
import { bundleScript } from './bundle.js';
import { type PowercutFs, mountPowercutFs } from './powercut-fs.js';
import { PRODUCER_ID, type PowercutScenario, keyAt, valueAt } from '../fault/fixtures/powercut-scenario.js';

const writerSource = fileURLToPath(new URL('../fault/fixtures/powercut-writer.ts', import.meta.url));

interface Round {
  /** Highest offset the writer acknowledged as durable (-1: none). */
  acked: number;
  torn: boolean;
}

/**
 * One power cut: start the writer on log `name` on the mounted file system, let it run until its first
 * acknowledgement plus `runMs`, cut the power (a torn last write when `torn`), kill the writer
 * and unmount. Resolves with the highest offset acknowledged before the process died.
 */
async function cutDuringWrites(fs: PowercutFs, name: string, scenario: PowercutScenario, runMs: number, torn: boolean, env: Record<string, string> = {}): Promise<Round> {
  const writer = await bundleScript(writerSource);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, join(fs.mountpoint, name), JSON.stringify(scenario)], {
      env: { ...process.env, STRAND_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let acked = -1;
    let scheduled = false;
    let cutDone: Promise<void> | null = null;
    const cut = (): void => {
      cutDone ??= fs.cut({ torn, seed: Math.floor(Math.random() * 2 ** 31) }).finally(() => child.kill('SIGKILL'));
    };
    // A writer that never acknowledges still gets its power cut.
    const deadline = setTimeout(cut, 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('ack ')) continue;
        acked = Math.max(acked, Number(line.slice(4)));
        if (!scheduled) {
          scheduled = true;
          setTimeout(cut, runMs);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      // Once the power is out, every file operation fails (EIO, or SIGBUS on a mapped page), so
      // the writer may die of that before the SIGKILL reaches it; before the cut it must not die.
      if (cutDone === null) {
        reject(new Error(`writer exited (${signal ?? code}) before the power cut: ${err}`));
        return;
      }
      void cutDone.then(() => fs.unmount()).then(() => resolve({ acked, torn }), reject);
    });
  });
}

interface Survivors {
  startOffset: number;
  endOffset: number;
  /** Offsets present, in order. */
  offsets: number[];
  /** Recovery warnings (file, bytes dropped) logged while opening. */
  warnings: Array<{ file: string; droppedBytes: number }>;
}

/**
 * Open what survived (the backing directory, without the power-cut file system), check every
 * batch's framing and CRC and every record's bytes, and return what is there.
 */
async function openSurvivors(dir: string, scenario: PowercutScenario): Promise<Survivors> {
  const warn = vi.spyOn(logger, 'warn');
  const log = await openLog(dir, { ...scenario.config, flush: 'none' });
  const warnings = warn.mock.calls
    .map((c) => c[0] as unknown)
    .filter((o): o is { file: string; droppedBytes: number } => typeof o === 'object' && o !== null && 'droppedBytes' in o)
    .map((o) => ({ file: o.file, droppedBytes: o.droppedBytes }));
  warn.mockRestore();
  const offsets: number[] = [];
  try {
    for (let offset = log.startOffset; offset < log.endOffset;) {
      const slice = log.readSlice(offset, 1024 * 1024);
      if (slice === null) break;
      const view = slice.view;
      // Plain comparisons, and expect() only on a mismatch (for its message): thousands of
      // records are checked every round, and an expect() costs far more than the comparison.
      for (let pos = 0; pos < view.length;) {
        const size = view.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
        const problem = checkBatch(view, pos, size);
        if (problem !== null) expect(problem, `batch at offset ${readInt64(view, pos + BASE_OFFSET)}`).toBeNull();
        if (scenario.idempotent && !isControlBatch(view, pos)) {
          // The writer's sequences are its offsets: a batch starting at sequence s sits at offset s.
          const sequence = view.readInt32BE(pos + BASE_SEQUENCE);
          if (sequence !== readInt64(view, pos + BASE_OFFSET)) expect(sequence).toBe(readInt64(view, pos + BASE_OFFSET));
        }
        pos += size;
      }
      const { records, nextOffset } = await log.read(offset, { maxBytes: 1024 * 1024 });
      for (const r of records) {
        const key = r.key!.toString();
        if (key !== keyAt(scenario, r.offset)) expect(key, `key at ${r.offset}`).toBe(keyAt(scenario, r.offset));
        const value = r.value!.toString();
        if (value !== valueAt(r.offset)) expect(value, `value at ${r.offset}`).toBe(valueAt(r.offset));
        const previous = offsets.length > 0 ? offsets[offsets.length - 1]! : -1;
        if (r.offset <= previous) expect(r.offset).toBeGreaterThan(previous);
        offsets.push(r.offset);
      }
      offset = nextOffset;
    }
    if (scenario.idempotent && log.endOffset > 0) {
      // The producer state rebuilt from snapshots and the log agrees with the log's last batch.
      const last = log.producers.get(PRODUCER_ID)?.batches.at(-1);
      expect(last?.lastOffset).toBe(log.endOffset - 1);
      expect(last?.lastSeq).toBe(log.endOffset - 1);
    }
    return { startOffset: log.startOffset, endOffset: log.endOffset, offsets, warnings };
  } finally {
    await log.close();
  }
}

/** What acknowledged durability promises, given the highest acknowledged offset. */
function expectAcknowledgedSurvive(scenario: PowercutScenario, s: Survivors, acked: number): void {
  expect(s.endOffset, 'log end after recovery vs highest acknowledged offset').toBeGreaterThan(acked);
  if (scenario.keySpace !== undefined) {
    // Compacted: the latest acknowledged record of each key, or a later one of that key, is there.
    const latest = new Map<number, number>();
    for (const o of s.offsets) latest.set(o % scenario.keySpace, o);
    for (let k = 0; k < scenario.keySpace && k <= acked; k++) {
      const lastAckedOfKey = acked - ((acked - k) % scenario.keySpace + scenario.keySpace) % scenario.keySpace;
      expect(latest.get(k) ?? -1, `key k${k}`).toBeGreaterThanOrEqual(lastAckedOfKey);
    }
    return;
  }
  // Not compacted: every offset from the start to the end, none missing.
  expect(s.offsets.length, 'offsets present from the log start to its end').toBe(s.endOffset - s.startOffset);
  if (s.offsets.length > 0) expect(s.offsets[0], 'first offset present vs the log start').toBe(s.startOffset);
  if (scenario.retentionEveryMs === undefined) expect(s.startOffset, 'log start offset present without retention').toBe(0);
}

/**
 * Rounds on one log directory before the next round starts a new one. Both the writer (through
 * the file system) and the check open the whole log every round, and recovery's cost grows with
 * its segments: 10 rounds on one log still recover logs that earlier cuts left behind, cut in
 * the middle of rolls, retention and compaction, without each round paying for all before it.
 */
export const ROUNDS_PER_LOG = 10;

/**
 * `cuts` rounds on one mount: each starts the writer on what survived the round before (a new
 * log every ROUNDS_PER_LOG rounds), cuts the power (every other cut tears the last unsynced
 * write) and checks the survivors. `env` is added to the writer's environment (the fault
 * switch). Returns the highest offset acknowledged in one log.
 */
export async function cutRepeatedly(scenario: PowercutScenario, cuts: number, env: Record<string, string> = {}): Promise<{ acked: number; warnings: number; torn: number }> {
  const fs = await mountPowercutFs();
  let maxAcked = -1;
  let logAcked = -1;
  let warnings = 0;
  let torn = 0;
  try {
    for (let i = 0; i < cuts; i++) {
      const name = `log-${Math.floor(i / ROUNDS_PER_LOG)}`;
      if (i > 0 && i % ROUNDS_PER_LOG === 0) {
        // The log done with goes (from the backing directory, while nothing is mounted).
        rmSync(join(fs.backing, `log-${i / ROUNDS_PER_LOG - 1}`), { recursive: true, force: true });
        logAcked = -1;
      }
      if (i > 0) await fs.remount();
      const round = await cutDuringWrites(fs, name, scenario, Math.floor(Math.random() * 200), i % 2 === 1, env);
      if (round.torn) torn++;
      logAcked = Math.max(logAcked, round.acked);
      maxAcked = Math.max(maxAcked, logAcked);
      const survivors = await openSurvivors(join(fs.backing, name), scenario);
      expectAcknowledgedSurvive(scenario, survivors, logAcked);
      for (const w of survivors.warnings) expect(w.droppedBytes, w.file).toBeGreaterThan(0);
      warnings += survivors.warnings.length;
    }
  } finally {
    await fs.dispose();
  }
  return { acked: maxAcked, warnings, torn };
}

