import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRANSACTIONAL_MASK } from '../../src/format/batch-header.js';
import { readEndTxnMarker } from '../../src/format/control-record.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { openLog } from '../../src/index.js';
import type { Log } from '../../src/storage/log.js';
import { tmpDir } from '../helpers/tmp.js';

/** Producer-side sequence numbers per producer id, as a client keeps them. */
const seqs = new Map<number, number>();

function txnBatch(pid: number, epoch: number, values: string[], transactional = true): Buffer {
  const seq = seqs.get(pid) ?? 0;
  seqs.set(pid, seq + values.length);
  return encodeBatch(values.map((value) => ({ value })), { producerId: pid, producerEpoch: epoch, baseSequence: seq, attributes: transactional ? TRANSACTIONAL_MASK : 0 });
}

/** Values a read_committed reader sees: batches up to the LSO, minus aborted transactions and control batches. */
async function readCommitted(log: Log): Promise<string[]> {
  const out: string[] = [];
  const lso = log.lastStableOffset;
  for (let offset = log.startOffset; offset < lso;) {
    const slice = log.readSlice(offset, 1 << 20, lso);
    if (slice === null) break;
    const aborted = log.abortedTransactions(offset, slice.nextOffset);
    const { records } = await log.read(offset, { maxBytes: 1 << 20 });
    for (const r of records) {
      if (r.offset >= slice.nextOffset) break;
      const pidOf = producerAt(log, r.offset);
      if (pidOf !== null && aborted.some((t) => t.producerId === pidOf.pid && r.offset >= t.firstOffset && r.offset <= t.lastOffset && pidOf.transactional)) continue;
      out.push(r.value!.toString());
    }
    offset = slice.nextOffset;
  }
  return out;
}

function producerAt(log: Log, offset: number): { pid: number; transactional: boolean } | null {
  const slice = log.readSlice(offset, 1)!;
  const v = slice.view;
  return { pid: Number(v.readBigInt64BE(43)), transactional: (v.readInt16BE(21) & TRANSACTIONAL_MASK) !== 0 };
}

describe('transactions in a partition log', () => {
  it('holds the LSO at the first offset of the earliest open transaction until its marker', async () => {
    const log = await openLog(tmpDir());
    await log.append([{ value: 'plain' }]);
    expect(log.lastStableOffset).toBe(1);
    log.appendValidated(txnBatch(10, 0, ['a1', 'a2']));
    expect(log.lastStableOffset).toBe(1);
    log.appendValidated(txnBatch(11, 0, ['b1']));
    await log.append([{ value: 'plain2' }]);
    expect(log.endOffset).toBe(5);
    expect(log.lastStableOffset).toBe(1);
    // Nothing at or after the LSO is read under read_committed.
    expect(log.readSlice(0, 1 << 20, log.lastStableOffset)!.nextOffset).toBe(1);
    expect(log.readSlice(1, 1 << 20, log.lastStableOffset)).toBeNull();

    const commit = log.appendControl(10, 0, true, 0);
    expect(commit.baseOffset).toBe(5);
    // Producer 11's transaction (from offset 3) is still open.
    expect(log.lastStableOffset).toBe(3);
    log.appendControl(11, 0, false, 0);
    expect(log.lastStableOffset).toBe(log.endOffset);
    expect(log.abortedTransactions(0, log.endOffset)).toEqual([{ producerId: 11, firstOffset: 3, lastOffset: 6, lastStableOffset: 7 }]);
    expect(await readCommitted(log)).toEqual(['plain', 'a1', 'a2', 'plain2']);
    // Control records never reach readers.
    expect((await log.read(0)).records.map((r) => r.value!.toString())).toEqual(['plain', 'a1', 'a2', 'b1', 'plain2']);
    await log.close();
  });

  it('writes Kafka markers and a 34-byte .txnindex entry per abort', async () => {
    const dir = tmpDir();
    const log = await openLog(dir);
    log.appendValidated(txnBatch(20, 3, ['x']));
    log.appendValidated(txnBatch(21, 0, ['y']));
    const abort = log.appendControl(20, 3, false, 7, 1234);
    const slice = log.readSlice(abort.baseOffset, 1 << 20)!;
    const v = slice.view;
    expect(v.readInt16BE(21) & 0x30).toBe(0x30); // transactional + control
    expect(Number(v.readBigInt64BE(43))).toBe(20);
    expect(v.readInt16BE(51)).toBe(3);
    expect(v.readInt32BE(53)).toBe(-1);
    expect(readEndTxnMarker(v, 0)).toEqual({ commit: false, coordinatorEpoch: 7 });
    log.appendControl(21, 0, false, 7);
    // Only entries overlapping the range come back.
    expect(log.abortedTransactions(3, 4).map((t) => t.producerId)).toEqual([21]);
    expect(log.abortedTransactions(0, 1).map((t) => t.producerId)).toEqual([20]);
    expect(log.abortedTransactions(4, 5)).toEqual([]);
    await log.close();
    const bytes = readFileSync(join(dir, '00000000000000000000.txnindex'));
    expect(bytes.length).toBe(68);
    // version, producerId, firstOffset, lastOffset, lastStableOffset
    expect([bytes.readInt16BE(0), Number(bytes.readBigInt64BE(2)), Number(bytes.readBigInt64BE(10)), Number(bytes.readBigInt64BE(18)), Number(bytes.readBigInt64BE(26))]).toEqual([0, 20, 0, 2, 1]);
    expect([Number(bytes.readBigInt64BE(36)), Number(bytes.readBigInt64BE(44)), Number(bytes.readBigInt64BE(52)), Number(bytes.readBigInt64BE(60))]).toEqual([21, 1, 3, 4]);
  });

  it('creates no .txnindex for segments without aborts', async () => {
    const dir = tmpDir();
    const log = await openLog(dir);
    log.appendValidated(txnBatch(30, 0, ['c']));
    log.appendControl(30, 0, true, 0);
    await log.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.txnindex'))).toEqual([]);
  });

  it('fences stale epochs: markers and batches older than the marker epoch are refused', async () => {
    const log = await openLog(tmpDir());
    log.appendValidated(txnBatch(40, 5, ['a']));
    // The coordinator fenced the producer: the abort carries epoch 6.
    log.appendControl(40, 6, false, 0);
    expect(() => log.appendValidated(txnBatch(40, 5, ['zombie']))).toThrow(expect.objectContaining({ kafkaCode: 47 }));
    expect(() => log.appendControl(40, 5, true, 0)).toThrow(expect.objectContaining({ kafkaCode: 47 }));
    // A marker from an older coordinator epoch is refused too.
    log.appendControl(40, 6, true, 3);
    expect(() => log.appendControl(40, 6, true, 2)).toThrow(expect.objectContaining({ kafkaCode: 52 }));
    await log.close();
  });

  it('checks only the epoch of coordinator writes (transactional offset commits)', async () => {
    const log = await openLog(tmpDir());
    const batch = () => encodeBatch([{ value: 'offset' }], { producerId: 50, producerEpoch: 1, baseSequence: 0, attributes: TRANSACTIONAL_MASK });
    log.appendValidated(batch(), { coordinator: true });
    expect(log.appendValidated(batch(), { coordinator: true }).duplicate).toBeUndefined();
    expect(log.endOffset).toBe(2);
    expect(log.lastStableOffset).toBe(0);
    log.appendControl(50, 2, true, 0);
    const stale = encodeBatch([{ value: 'late' }], { producerId: 50, producerEpoch: 1, baseSequence: 0, attributes: TRANSACTIONAL_MASK });
    expect(() => log.appendValidated(stale, { coordinator: true })).toThrow(expect.objectContaining({ kafkaCode: 47 }));
    await log.close();
  });

  it('keeps open transactions across a clean restart (snapshot) and rebuilds them and the index after a crash', async () => {
    const dir = tmpDir();
    const options = { segmentBytes: 1024 };
    let log = await openLog(dir, options);
    // Aborted transactions in early segments, then an open one spanning a roll.
    for (let i = 0; i < 6; i++) {
      log.appendValidated(txnBatch(60, 0, [`aborted-${i}-${'x'.repeat(200)}`]));
      log.appendControl(60, 0, false, 0);
      await log.append([{ value: `plain-${i}` }]);
    }
    log.appendValidated(txnBatch(61, 0, ['open-1']));
    for (let i = 0; i < 4; i++) await log.append([{ value: `after-${i}-${'y'.repeat(300)}` }]);
    log.appendValidated(txnBatch(61, 0, ['open-2']));
    expect(log.segmentCount).toBeGreaterThan(2);
    const lso = log.lastStableOffset;
    const end = log.endOffset;
    const aborted = log.abortedTransactions(0, end);
    expect(aborted.length).toBe(6);
    const committedBefore = await readCommitted(log);
    await log.close();

    log = await openLog(dir, options);
    expect(log.lastStableOffset).toBe(lso);
    expect(log.abortedTransactions(0, end)).toEqual(aborted);
    await log.close();

    // A crash: no clean-shutdown marker, no snapshots, index files gone: all rebuilt from the log.
    rmSync(join(dir, '.kafka_cleanshutdown'));
    for (const f of readdirSync(dir)) if (f.endsWith('.snapshot') || f.endsWith('.txnindex')) rmSync(join(dir, f));
    log = await openLog(dir, options);
    expect(log.lastStableOffset).toBe(lso);
    expect(log.abortedTransactions(0, end)).toEqual(aborted);
    expect(await readCommitted(log)).toEqual(committedBefore);
    log.appendControl(61, 0, true, 0);
    const all = await readCommitted(log);
    expect(all.filter((v) => v.startsWith('open-'))).toEqual(['open-1', 'open-2']);
    expect(all.some((v) => v.startsWith('aborted-'))).toBe(false);
    await log.close();
  });

  it('drops index entries of truncated markers', async () => {
    const dir = tmpDir();
    const log = await openLog(dir);
    log.appendValidated(txnBatch(70, 0, ['a']));
    log.appendControl(70, 0, false, 0);
    log.appendValidated(txnBatch(70, 0, ['b']));
    const second = log.appendControl(70, 0, false, 0);
    expect(log.abortedTransactions(0, log.endOffset).length).toBe(2);
    log.truncateTo(second.baseOffset);
    expect(log.abortedTransactions(0, log.endOffset).length).toBe(1);
    // The transaction of 'b' is open again until a marker comes.
    expect(log.lastStableOffset).toBe(2);
    await log.close();
    expect(statSync(join(dir, '00000000000000000000.txnindex')).size).toBe(34);
  });
});
