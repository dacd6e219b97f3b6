/**
 * Log compaction throughput: a log of 100-byte records over 10,000 keys, in batches of 100
 * (uncompressed, then lz4), compacted whole by Log.compact(): the offset map is built and every
 * segment rewritten in the worker pool, each group swapped in on the main thread. MB/s is the
 * log bytes cleaned per second of the pass; the event loop's worst delay during the pass shows
 * what the main thread paid (the swaps). A third row runs the same pass inline (on the main
 * thread), the ratio being the pool's over it.
 *
 * Usage: tsx bench/compaction.ts   (bench/run.ts runs it in a fresh process)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compressBatch } from '../src/format/compression.js';
import { openLog } from '../src/index.js';
import { closeDefaultBatchPool } from '../src/workers/pool.js';
import { type BenchRow, SCALE, emitRows, peakRssMiB } from './lib.js';

const BATCH = 100;
const KEYS = 10_000;
const TOTAL = Math.max(BATCH * 1000, Math.round((2_000_000 * SCALE) / BATCH) * BATCH);

async function run(codec: 'none' | 'lz4', inline: boolean): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-compaction-'));
  const log = await openLog(dir, { segmentBytes: 32 * 1024 * 1024, cleanupPolicy: 'compact', retentionMs: -1 });
  try {
    const value = Buffer.alloc(80, 'v');
    for (let b = 0; b < TOTAL / BATCH; b++) {
      const records = Array.from({ length: BATCH }, (_, i) => ({ key: `key-${((b * BATCH + i) * 7919) % KEYS}`, value }));
      await log.appendBatch(compressBatch(records, codec));
    }
    log.roll();
    await log.sync();
    const bytes = log.size;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const r = await log.compact({ inline });
    delay.disable();
    const seconds = r.durationMs / 1000;
    return {
      name: `compaction ${inline ? 'inline (main thread)' : 'in the pool'}, ${codec === 'none' ? 'uncompressed' : codec} batches`,
      id: `compaction-${codec}-${inline ? 'inline' : 'pool'}`,
      group: 'micro',
      value: r.recordsRead / seconds,
      unit: ' rec/s',
      mbPerSec: bytes / seconds / 1e6,
      peakRssMiB: peakRssMiB(),
      note: `${(bytes / 1e6).toFixed(0)} MB, ${r.recordsRead} records -> ${r.recordsKept} (${r.keys} keys), ${r.segmentsRead} segments; event loop max delay ${(delay.max / 1e6).toFixed(1)} ms`,
    };
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: BenchRow[] = [];
rows.push(await run('none', false));
rows.push(await run('lz4', false));
const inline = await run('none', true);
inline.baseline = rows[0]!.name;
rows.push(inline);
// The pool's speed relative to the same pass on the main thread.
rows[0]!.ratio = rows[0]!.value / inline.value;
rows[0]!.baseline = inline.name;
await closeDefaultBatchPool();
for (const r of rows) console.log(`${r.name}: ${(r.mbPerSec ?? 0).toFixed(1)} MB/s, ${(r.value / 1e6).toFixed(2)} M rec/s (${r.note})`);
emitRows(rows);
