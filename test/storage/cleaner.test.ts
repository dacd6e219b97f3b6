import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TRANSACTIONAL_MASK } from '../../src/format/batch-header.js';
import { compressBatch } from '../../src/format/compression.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { openLog, openStore } from '../../src/index.js';
import { readCheckpoint } from '../../src/storage/checkpoint.js';
import type { SwapStep } from '../../src/storage/cleaner/swap.js';
import type { Log } from '../../src/storage/log.js';
import { Segment } from '../../src/storage/segment.js';
import { type BatchPool, closeDefaultBatchPool, defaultBatchPool } from '../../src/workers/pool.js';
import type { BatchTask } from '../../src/workers/tasks.js';
import { tmpDir } from '../helpers/tmp.js';
import { allBatches, allRecords, show } from './cleaner-helpers.js';

afterAll(() => closeDefaultBatchPool());

const SMALL = { segmentBytes: 2048, indexIntervalBytes: 256, cleanupPolicy: 'compact' as const };

/** Append `n` single-record batches cycling over `keys` keys; value `v<offset>`. */
async function fill(log: Log, n: number, keys: number, start = 0): Promise<void> {
  for (let i = start; i < start + n; i++) await log.append([{ key: `k${i % keys}`, value: `v${i}`, timestamp: 1_000 + i }]);
}

function latestByKey(records: ReadonlyArray<{ key: Buffer | null; offset: number }>): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) m.set(r.key!.toString(), r.offset);
  return m;
}

describe('log compaction (Log.compact)', () => {
  it('keeps the latest record of each key with its offset and timestamp, never touches the active segment, and survives a reopen', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, SMALL);
    await fill(log, 400, 10);
    const before = allRecords(log);
    const activeBase = log.segmentBaseOffsets().at(-1)!;
    const activeBytes = readFileSync(join(dir, `${String(activeBase).padStart(20, '0')}.log`));
    expect(log.segmentCount).toBeGreaterThan(5);
    const r = await log.compact();
    expect(r.cleaned).toBe(true);
    expect(r.cleanedTo).toBe(activeBase);
    expect(r.keys).toBe(10);
    expect(r.bytesWritten).toBeLessThan(r.bytesRead / 5);
    const after = allRecords(log);
    // A subsequence of the original log, offsets strictly increasing, records unchanged.
    const original = new Map(before.map((x) => [x.offset, x]));
    for (let i = 0; i < after.length; i++) {
      const a = after[i]!;
      if (i > 0) expect(a.offset).toBeGreaterThan(after[i - 1]!.offset);
      const o = original.get(a.offset)!;
      expect([a.key!.toString(), a.value!.toString(), a.timestamp]).toEqual([o.key!.toString(), o.value!.toString(), o.timestamp]);
    }
    // Below the active segment, exactly the latest record of each key; the active segment as it was.
    const cleanedPart = after.filter((x) => x.offset < activeBase);
    const latest = latestByKey(before);
    for (const x of cleanedPart) expect(latest.get(x.key!.toString())! >= activeBase || latest.get(x.key!.toString()) === x.offset).toBe(true);
    for (const [, offset] of latest) expect(after.some((x) => x.offset === offset)).toBe(true);
    expect(after.filter((x) => x.offset >= activeBase)).toEqual(before.filter((x) => x.offset >= activeBase));
    expect(readFileSync(join(dir, `${String(activeBase).padStart(20, '0')}.log`)).equals(activeBytes)).toBe(true);
    expect(readdirSync(dir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    // Appends, reads by offset and by time go on; a reopen sees the same log.
    await fill(log, 20, 10, 400);
    expect((await log.read(0)).records[0]!.offset).toBe(after[0]!.offset);
    expect(await log.offsetForTime(1_000 + 395)).toBe(395);
    const end = log.endOffset;
    await log.close();
    const again = await openLog(dir, SMALL);
    expect(again.endOffset).toBe(end);
    expect(show(allRecords(again)).slice(0, after.length)).toEqual(show(after));
    await again.close();
  });

  it('writes the cleaned segment\'s indexes exactly as recovery would rebuild them', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { ...SMALL, segmentBytes: 64 * 1024, indexIntervalBytes: 100 });
    for (let i = 0; i < 3000; i++) await log.append([{ key: `k${i % 700}`, value: `value-${i}`.repeat(1 + (i % 3)), timestamp: 5_000 + ((i * 7919) % 1000) }]);
    await log.compact();
    await log.close();
    const copy = tmpDir();
    cpSync(dir, copy, { recursive: true });
    const bases = readdirSync(dir).filter((n) => n.endsWith('.log')).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
    for (const base of bases.slice(0, -1)) {
      const { segment, recovery } = Segment.open(copy, base, { indexIntervalBytes: 100, preallocateBytes: 0 }, false, true);
      segment.close();
      expect(recovery!.truncatedBytes).toBe(0);
      const stem = String(base).padStart(20, '0');
      expect(readFileSync(join(copy, `${stem}.index`)).equals(readFileSync(join(dir, `${stem}.index`)))).toBe(true);
      expect(readFileSync(join(copy, `${stem}.timeindex`)).equals(readFileSync(join(dir, `${stem}.timeindex`)))).toBe(true);
    }
  });

  it('keeps a tombstone for delete.retention.ms after its first cleaning, then drops it and every older value', async () => {
    const log = await openLog(tmpDir(), { ...SMALL, deleteRetentionMs: 60_000 });
    await fill(log, 100, 5);
    await log.append([{ key: 'k1', value: null, timestamp: 9_999 }]);
    for (let i = 0; i < 60; i++) await log.append([{ key: `other${i % 4}`, value: `o${i}` }]);
    log.roll();
    const t0 = 10_000_000;
    await log.compact({ now: t0 });
    const tomb = allBatches(log).find((b) => b.records.some((r) => r.value === null))!;
    expect(tomb.horizon).toBe(t0 + 60_000);
    // The tombstone keeps its own timestamp whatever the batch's base timestamp became.
    expect(tomb.records[0]!.timestamp).toBe(9_999);
    expect(show(allRecords(log)).filter((s) => s.includes(':k1='))).toEqual(['100:k1=∅']);
    await log.compact({ now: t0 + 59_999 });
    expect(show(allRecords(log)).filter((s) => s.includes(':k1='))).toEqual(['100:k1=∅']);
    await log.compact({ now: t0 + 60_000 });
    expect(allRecords(log).filter((r) => r.key!.toString() === 'k1')).toEqual([]);
    // k4's last value (offset 99) is older than everything else but the latest of its key.
    expect(show(allRecords(log)).filter((s) => s.includes(':k4='))).toEqual(['99:k4=v99']);
  });

  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(`rewrites ${codec} batches in ${codec}, keeping offset deltas with gaps`, async () => {
      const log = await openLog(tmpDir(), { ...SMALL, segmentBytes: 8192 });
      for (let b = 0; b < 40; b++) {
        const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${(b * 10 + i) % 13}`, value: `v${b * 10 + i}`, timestamp: 2_000 + b }));
        await log.appendBatch(compressBatch(records, codec));
      }
      log.roll();
      const before = allRecords(log);
      await log.compact();
      const batches = allBatches(log);
      const kept = batches.flatMap((b) => b.records);
      expect(new Set(kept.map((r) => r.key!.toString())).size).toBe(13);
      expect(kept.length).toBe(13);
      for (const b of batches) {
        expect(b.codec).toBe([0, 'gzip', 'snappy', 'lz4', 'zstd'].indexOf(codec));
        expect(b.lastOffset - b.baseOffset).toBe(9); // the original last offset delta stays
      }
      const latest = latestByKey(before);
      for (const r of kept) expect(latest.get(r.key!.toString())).toBe(r.offset);
      await log.close();
    });
  }

  it('drops aborted transactional data (an aborted write never hides the value before it), keeps committed data and the markers it needs', async () => {
    const log = await openLog(tmpDir(), { ...SMALL, deleteRetentionMs: 1000 });
    await log.append([{ key: 'a', value: 'a-plain' }, { key: 'b', value: 'b-plain' }]); // 0-1
    const txn = (pid: number, records: Array<[string, string]>) =>
      encodeBatch(records.map(([key, value]) => ({ key, value })), { producerId: pid, producerEpoch: 0, baseSequence: 0, attributes: TRANSACTIONAL_MASK });
    log.appendValidated(txn(7, [['a', 'a-aborted'], ['c', 'c-aborted']])); // 2-3
    log.appendValidated(txn(8, [['b', 'b-committed']])); // 4
    log.appendControl(7, 0, false, 0); // 5: ABORT
    log.appendControl(8, 0, true, 0); // 6: COMMIT
    await log.append([{ key: 'z', value: 'z' }]); // 7
    log.roll();
    const t = 50_000_000;
    await log.compact({ now: t });
    expect(show(allRecords(log))).toEqual(['0:a=a-plain', '4:b=b-committed', '7:z=z']);
    // The aborted batch stays, emptied, as producer 7's last batch; both markers stay: the ABORT
    // one because its transaction's batch was in this pass (and the transaction stays in the
    // .txnindex), the COMMIT one because its data is kept.
    expect(allBatches(log).map((b) => [b.baseOffset, b.count, b.control])).toEqual([[0, 1, false], [2, 0, false], [4, 1, false], [5, 1, true], [6, 1, true], [7, 1, false]]);
    expect(log.abortedTransactions(0, log.endOffset).map((a) => [a.producerId, a.firstOffset, a.lastOffset])).toEqual([[7, 2, 5]]);
    // Once the producers expire, the empty batch goes; then the ABORT marker, after a horizon.
    log.applyRetention(Date.now() + 8 * 24 * 3600 * 1000);
    expect(log.producers.size).toBe(0);
    await log.compact({ now: t });
    expect(allBatches(log).map((b) => b.baseOffset)).toEqual([0, 4, 5, 6, 7]);
    await log.compact({ now: t });
    expect(allBatches(log).find((b) => b.baseOffset === 5)!.horizon).toBe(t + 1000);
    await log.compact({ now: t + 999 });
    expect(allBatches(log).filter((b) => b.control).map((b) => b.baseOffset)).toEqual([5, 6]);
    await log.compact({ now: t + 1000 });
    expect(allBatches(log).filter((b) => b.control).map((b) => b.baseOffset)).toEqual([6]);
    expect(show(allRecords(log))).toEqual(['0:a=a-plain', '4:b=b-committed', '7:z=z']);
    await log.close();
  });

  it('keeps the last batch of a live idempotent producer as an empty batch when its records go', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, SMALL);
    log.appendValidated(encodeBatch([{ key: 'x', value: 'x1' }, { key: 'y', value: 'y1' }], { producerId: 42, producerEpoch: 3, baseSequence: 0 }));
    await log.append([{ key: 'x', value: 'x2' }, { key: 'y', value: 'y2' }]);
    log.roll();
    await log.compact();
    const b = allBatches(log);
    expect(b.map((x) => [x.baseOffset, x.lastOffset, x.count, x.producerId])).toEqual([[0, 1, 0, 42], [2, 3, 2, -1]]);
    expect(show(allRecords(log))).toEqual(['2:x=x2', '3:y=y2']);
    // A retry of that batch is still recognised after a reopen that rebuilds producer state from the log.
    await log.close();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.snapshot'))) rmSync(join(dir, f));
    const again = await openLog(dir, SMALL);
    const retry = again.appendValidated(encodeBatch([{ key: 'x', value: 'x1' }, { key: 'y', value: 'y1' }], { producerId: 42, producerEpoch: 3, baseSequence: 0 }));
    expect(retry).toEqual({ baseOffset: 0, lastOffset: 1, duplicate: true });
    await again.close();
  });

  it('with an offset map too small for the dirty part, cleans what it mapped and continues from there next time', async () => {
    const log = await openLog(tmpDir(), { ...SMALL, segmentBytes: 16 * 1024 });
    for (let i = 0; i < 3000; i++) await log.append([{ key: `k${i}`, value: 'v' }]); // 3000 distinct keys
    await fill(log, 100, 50, 3000);
    log.roll();
    const first = await log.compact({ dedupeBufferBytes: 1024 * 16 }); // 1024 slots, 921 keys
    expect(first.keys).toBeLessThanOrEqual(921);
    expect(first.cleanedTo).toBeLessThan(3000);
    expect(first.cleanedTo).toBeGreaterThan(0);
    let r = first;
    for (let i = 0; i < 10 && r.cleanedTo < log.endOffset; i++) r = await log.compact({ dedupeBufferBytes: 1024 * 16 });
    expect(r.cleanedTo).toBe(log.endOffset);
    const keys = allRecords(log).map((x) => x.key!.toString());
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(3000);
    await log.close();
  });

  it('stops without a trace when the log changes under it or is closed', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { ...SMALL, cleanupPolicy: 'compact,delete' });
    await fill(log, 300, 7);
    log.roll();
    // A pool that lets the log change after a group's task, before its swap.
    let change: (() => void) | null = null;
    const pool = {
      runTask: async (task: BatchTask, o?: { inline?: boolean }) => {
        const r = await defaultBatchPool().runTask(task, o);
        if (task.clean?.kind === 'group') change?.();
        return r;
      },
    } as unknown as BatchPool;
    change = () => log.advanceStartOffset(150); // retention removes the head segments
    const r = await log.compact({ pool });
    expect(r.aborted).toBe(true);
    expect(readdirSync(dir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    expect((await log.compact()).aborted).toBe(false);
    await fill(log, 300, 7, 300);
    log.roll();
    let closing: Promise<void> | null = null;
    change = () => {
      closing = log.close();
    };
    expect((await log.compact({ pool })).aborted).toBe(true);
    await closing;
    expect(readdirSync(dir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    const again = await openLog(dir, SMALL);
    expect(again.endOffset).toBe(600);
    expect(allRecords(again).at(-1)!.value!.toString()).toBe('v599');
    await again.close();
  });

  // Every on-disk state a swap goes through (and the torn states between them), as a SIGKILL
  // would leave it: each copy must open to a complete log with every latest value.
  it('recovers from a crash at every step of a swap', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { ...SMALL, deleteRetentionMs: 0 });
    await fill(log, 300, 9);
    await log.append([{ key: 'k3', value: null }]);
    log.roll();
    await log.compact({ now: 1 }); // horizons stamped: the next pass drops the tombstone
    await fill(log, 200, 9, 301);
    log.roll();
    await log.sync(); // the roll's producer snapshot is written off the event loop: not under the copies below
    const original = allRecords(log);
    const expectLatest = (records: ReadonlyArray<{ key: Buffer | null; value: Buffer | null; offset: number }>) => {
      const want = new Map<string, string | null>();
      for (const r of original) want.set(r.key!.toString(), r.value === null ? null : r.value.toString());
      const got = new Map<string, string | null>();
      for (const r of records) got.set(r.key!.toString(), r.value === null ? null : r.value.toString());
      for (const [k, v] of want) if (v !== null || got.has(k)) expect(got.get(k)).toBe(v);
    };
    const snapshots: Array<[string, string]> = [];
    const snap = (name: string) => {
      const to = tmpDir();
      cpSync(dir, to, { recursive: true, filter: (src) => !src.endsWith('.lock') });
      snapshots.push([name, to]);
      return to;
    };
    await log.compact({
      now: 2,
      onSwapStep: (step: SwapStep, base) => {
        // The first groups (the first starts at the log start, the others after an earlier swap).
        if (base > 300) return;
        const to = snap(`${step}@${base}`);
        const stem = (b: number) => String(b).padStart(20, '0');
        const names = readdirSync(to);
        if (step === 'cleaned') {
          // Torn step 1: an index file renamed, not the log file.
          const torn = snap(`cleaned+index@${base}`);
          renameSync(join(torn, `${stem(base)}.index.cleaned`), join(torn, `${stem(base)}.index.swap`));
        }
        if (step === 'swap') {
          // Torn step 2: only the first replaced segment renamed to .deleted.
          const torn = snap(`swap+first-deleted@${base}`);
          for (const n of names) if (n.startsWith(stem(base)) && /\.(log|index|timeindex)$/.test(n)) renameSync(join(torn, n), join(torn, `${n}.deleted`));
        }
        if (step === 'deleted') {
          // Torn step 3: the log file renamed, its indexes not yet.
          const torn = snap(`deleted+log-renamed@${base}`);
          renameSync(join(torn, `${stem(base)}.log.swap`), join(torn, `${stem(base)}.log`));
        }
        void names;
      },
    });
    await log.close();
    expect(snapshots.length).toBeGreaterThanOrEqual(8);
    for (const [name, snapshotDir] of snapshots) {
      const recovered = await openLog(snapshotDir, SMALL);
      try {
        const records = allRecords(recovered);
        for (let i = 1; i < records.length; i++) expect(records[i]!.offset, name).toBeGreaterThan(records[i - 1]!.offset);
        expectLatest(records);
        expect(recovered.endOffset, name).toBe(501);
        expect(readdirSync(snapshotDir).filter((n) => /\.(cleaned|swap|deleted)$/.test(n)), name).toEqual([]);
        // And it compacts on.
        await recovered.compact({ now: 3 });
        expectLatest(allRecords(recovered));
      } finally {
        await recovered.close();
      }
    }
  });
});

describe('Store.clean and cleanup.policy', () => {
  it('cleans the dirtiest compacted log above min.cleanable.dirty.ratio, keeps the checkpoint in cleaner-offset-checkpoint, and leaves delete-only logs alone', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { defaults: { segmentBytes: 2048 } });
    const compacted = (await store.partition('table', 0, { create: true, config: { cleanupPolicy: 'compact', retentionMs: 1 } }))!;
    const plain = (await store.partition('events', 0, { create: true, config: { cleanupPolicy: 'delete' } }))!;
    const lazy = (await store.partition('lazy', 0, { create: true, config: { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.99 } }))!;
    await fill(compacted, 200, 5);
    await fill(plain, 200, 5);
    await fill(lazy, 200, 5);
    const plainSize = plain.size;
    // A compact-only log keeps its segments under time retention.
    expect(store.applyRetention(10_000)).toBe(0); // (record timestamps are ~1000-1200)
    const results = await store.clean();
    expect(results.map((r) => r.log)).toEqual(['table-0']);
    expect(plain.size).toBe(plainSize);
    const checkpoint = readCheckpoint(join(dir, 'cleaner-offset-checkpoint'));
    expect(checkpoint.get('table 0')).toBe(compacted.segmentBaseOffsets().at(-1));
    // `table` is clean now; `lazy` (all dirty: ratio 1 > 0.99) is next, then nothing.
    const next = await store.clean();
    expect(next.map((r) => r.log)).toEqual(['lazy-0']);
    expect(await store.clean()).toEqual([]);
    // force cleans every compacted log.
    expect((await store.clean({ force: true })).map((r) => r.log).sort()).toEqual(['lazy-0', 'table-0']);
    await store.close();
    // The checkpoint survives a restart: the clean part is not counted dirty again.
    const reopened = await openStore(dir, { defaults: { segmentBytes: 2048 }, topicConfig: (t) => (t === 'events' ? { cleanupPolicy: 'delete' } : { cleanupPolicy: 'compact' }) });
    expect(await reopened.clean()).toEqual([]);
    await reopened.close();
  });

  it('compacts in the background when asked to', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { defaults: { segmentBytes: 2048, cleanupPolicy: 'compact' }, cleaner: { backoffMs: 20 } });
    const log = (await store.partition('t', 0, { create: true }))!;
    await fill(log, 300, 3);
    log.roll();
    const deadline = Date.now() + 20_000;
    while (allRecords(log).length > 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(show(allRecords(log))).toEqual(['297:k0=v297', '298:k1=v298', '299:k2=v299']);
    await store.deletePartition('t', 0);
    expect(existsSync(log.dir)).toBe(false);
    await store.close();
  });
});
