/**
 * The storage side of replication, on real files: leader epochs stamped and learnt, follower
 * appends that keep the leader's bytes, refusals that append nothing, producer and transaction
 * state a promoted follower inherits, truncation with the epoch cache and the high watermark,
 * and the checkpoints (leader-epoch-checkpoint, replication-offset-checkpoint) across reopening,
 * damage and an unclean stop.
 */
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CorruptBatchError, KafkaErrorCode } from '../../src/errors.js';
import { PARTITION_LEADER_EPOCH, TRANSACTIONAL_MASK } from '../../src/format/batch-header.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { openLog, openStore } from '../../src/index.js';
import { logger } from '../../src/logger.js';
import { UnexpectedAppendOffsetError } from '../../src/storage/follower-batches.js';
import type { Log } from '../../src/storage/log.js';
import { tmpDir } from '../helpers/tmp.js';

const SMALL = { segmentBytes: 2048, indexIntervalBytes: 256, flush: 'none' as const };
const NOW = 1_700_000_000_000;

/** Every batch of the log from its start, as one buffer copied out of the segments. */
function allBytes(log: Log): Buffer {
  const parts: Buffer[] = [];
  for (let o = log.startOffset; o < log.endOffset;) {
    const s = log.readSlice(o, 1 << 20)!;
    parts.push(Buffer.from(s.view));
    o = s.nextOffset;
  }
  return Buffer.concat(parts);
}

/** The files of `dir` ending in `suffix`, name -> bytes. */
function files(dir: string, suffix: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((n) => n.endsWith(suffix)).sort().map((n) => [n, readFileSync(join(dir, n))]));
}

/**
 * A leader log at epoch 3 then 5: plain appends, an idempotent producer (id 7), a transaction of
 * producer 9 committed, one of producer 10 aborted and one of producer 11 left open, across
 * several segments.
 */
async function leaderLog(dir: string): Promise<Log> {
  const log = await openLog(dir, SMALL);
  log.assignLeaderEpoch(3);
  for (let i = 0; i < 20; i++) await log.append([{ key: `k${i}`, value: `plain-${i}-${'x'.repeat(i * 7)}`, timestamp: NOW + i }]);
  for (let s = 0; s < 6; s++) log.appendValidated(encodeBatch([{ value: `idem-${s}a` }, { value: `idem-${s}b` }], { producerId: 7, producerEpoch: 0, baseSequence: 2 * s, now: NOW }));
  log.assignLeaderEpoch(5);
  log.appendValidated(encodeBatch([{ value: 'txn-a' }], { producerId: 9, producerEpoch: 1, baseSequence: 0, attributes: TRANSACTIONAL_MASK, now: NOW }));
  log.appendControl(9, 1, true, 4, NOW);
  for (let i = 0; i < 10; i++) await log.append([{ value: `late-${i}-${'y'.repeat(40)}`, timestamp: NOW + 100 + i }]);
  log.appendValidated(encodeBatch([{ value: 'txn-b' }, { value: 'txn-c' }], { producerId: 10, producerEpoch: 2, baseSequence: 0, attributes: TRANSACTIONAL_MASK, now: NOW }));
  log.appendControl(10, 2, false, 4, NOW);
  for (let i = 10; i < 20; i++) await log.append([{ value: `late-${i}-${'y'.repeat(40)}`, timestamp: NOW + 100 + i }]);
  log.appendValidated(encodeBatch([{ value: 'open-txn' }], { producerId: 11, producerEpoch: 0, baseSequence: 0, attributes: TRANSACTIONAL_MASK, now: NOW }));
  log.appendValidated(encodeBatch([{ value: 'idem-6a' }, { value: 'idem-6b' }], { producerId: 7, producerEpoch: 0, baseSequence: 12, now: NOW }));
  return log;
}

/** Feed `follower` from `leader` with readSlice views of at most `maxBytes`, as a fetcher would. */
function replicate(leader: Log, follower: Log, maxBytes: number): number {
  let fetches = 0;
  while (follower.endOffset < leader.endOffset) {
    const slice = leader.readSlice(follower.endOffset, maxBytes)!;
    const r = follower.appendAsFollower(slice.view);
    expect(r.baseOffset).toBe(slice.firstOffset);
    expect(r.lastOffset).toBe(slice.nextOffset - 1);
    fetches++;
  }
  return fetches;
}

describe('leader epochs', () => {
  it('assignLeaderEpoch stamps appends and records where each epoch began', async () => {
    const dir = tmpDir();
    const log = await leaderLog(dir);
    expect(log.latestEpoch).toBe(5);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 32 }]);
    expect(log.readSlice(0, 1)!.view.readInt32BE(PARTITION_LEADER_EPOCH)).toBe(3);
    expect(log.readSlice(31, 1)!.view.readInt32BE(PARTITION_LEADER_EPOCH)).toBe(3);
    expect(log.readSlice(32, 1)!.view.readInt32BE(PARTITION_LEADER_EPOCH)).toBe(5);
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 32 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 3, endOffset: 32 });
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: log.endOffset });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 0 });
    expect(log.endOffsetForEpoch(6)).toEqual({ epoch: -1, endOffset: -1 });
    expect(log.endOffsetForEpoch(-1)).toEqual({ epoch: -1, endOffset: -1 });
    // Assigning the current epoch again changes nothing.
    log.assignLeaderEpoch(5);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 32 }]);
    expect(() => log.assignLeaderEpoch(-1)).toThrow(/leader epoch must be an integer/);
    // sync() waits for the checkpoint write, as for every other durable file of the log.
    log.assignLeaderEpoch(9);
    await log.sync();
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe(`0\n3\n3 0\n5 32\n9 ${log.endOffset}\n`);
    log.truncateTo(log.endOffset - 1);
    await log.close();
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n3 0\n5 32\n');
    const again = await openLog(dir, SMALL);
    expect(again.leaderEpochEntries()).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 32 }]);
    await again.close();
  });

  it('without assignLeaderEpoch, batches keep the epoch the producer sent and the cache learns it', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, SMALL);
    await log.append([{ value: 'no epoch' }]);
    expect(log.latestEpoch).toBe(-1);
    log.appendValidated(encodeBatch([{ value: 'a' }, { value: 'b' }], { partitionLeaderEpoch: 0 }));
    log.appendValidated(encodeBatch([{ value: 'c' }], { partitionLeaderEpoch: 0 }));
    log.appendValidated(encodeBatch([{ value: 'd' }], { partitionLeaderEpoch: -1 }));
    expect(log.readSlice(1, 1)!.view.readInt32BE(PARTITION_LEADER_EPOCH)).toBe(0);
    expect(log.readSlice(4, 1)!.view.readInt32BE(PARTITION_LEADER_EPOCH)).toBe(-1);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 0, startOffset: 1 }]);
    await log.close();
  });

  it('a log that never saw an epoch writes no leader-epoch-checkpoint', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, SMALL);
    await log.append([{ value: 'x' }]);
    await log.close();
    expect(readdirSync(dir).includes('leader-epoch-checkpoint')).toBe(false);
  });
});

describe('appendAsFollower', () => {
  it('keeps the leader\'s bytes, whatever the fetch size: same batches, segments, epochs and transaction state', async () => {
    const leader = await leaderLog(tmpDir());
    const expectedBytes = allBytes(leader);
    for (const maxBytes of [1, 700, 1 << 20]) {
      const dir = tmpDir();
      const follower = await openLog(dir, SMALL);
      const fetches = replicate(leader, follower, maxBytes);
      expect(fetches).toBeGreaterThan(0);
      expect(follower.endOffset).toBe(leader.endOffset);
      expect(follower.segmentBaseOffsets()).toEqual(leader.segmentBaseOffsets());
      expect(allBytes(follower).equals(expectedBytes)).toBe(true);
      expect(follower.leaderEpochEntries()).toEqual(leader.leaderEpochEntries());
      expect(follower.lastStableOffset).toBe(leader.lastStableOffset);
      const aborted = leader.abortedTransactions(0, leader.endOffset);
      expect(aborted).toEqual([{ producerId: 10, firstOffset: 44, lastOffset: 46, lastStableOffset: 47 }]);
      expect(follower.abortedTransactions(0, follower.endOffset)).toEqual(aborted);
      // Appends do not move the high watermark.
      expect(follower.highWatermark).toBe(0);
      await follower.close();
    }
    await leader.close();
  });

  it('closed logs: every .log and .index file of leader and follower is identical', async () => {
    const leaderDir = tmpDir();
    const leader = await leaderLog(leaderDir);
    const dir = tmpDir();
    const follower = await openLog(dir, SMALL);
    replicate(leader, follower, 500);
    await leader.close();
    await follower.close();
    const leaderLogs = files(leaderDir, '.log');
    expect(leaderLogs.size).toBeGreaterThan(2);
    expect(files(dir, '.log')).toEqual(leaderLogs);
    expect(files(dir, '.index')).toEqual(files(leaderDir, '.index'));
    expect(files(dir, '.txnindex')).toEqual(files(leaderDir, '.txnindex'));
    expect(files(dir, '.txnindex').size).toBe(1);
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n3 0\n5 32\n');
  });

  it('empty input appends nothing', async () => {
    const log = await openLog(tmpDir(), SMALL);
    await log.append([{ value: 'a' }, { value: 'b' }]);
    expect(log.appendAsFollower(Buffer.alloc(0))).toEqual({ baseOffset: 2, lastOffset: 1 });
    expect(log.endOffset).toBe(2);
    await log.close();
  });

  it('refuses a batch with a bad CRC, naming the partition and offsets, and appends none of the others', async () => {
    const leader = await leaderLog(tmpDir());
    const dir = tmpDir();
    const follower = await openLog(dir, SMALL);
    follower.appendAsFollower(leader.readSlice(0, 1)!.view);
    const good = Buffer.from(leader.readSlice(1, 300)!.view);
    const second = good.readInt32BE(8) + 12; // byte where the second batch starts
    const bad = Buffer.from(good);
    bad[second + 70] ^= 0x01; // inside the second batch's records: covered by its CRC
    const sizeBefore = follower.size;
    let err: unknown;
    try {
      follower.appendAsFollower(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CorruptBatchError);
    expect((err as CorruptBatchError).kafkaCode).toBe(KafkaErrorCode.CORRUPT_MESSAGE);
    expect((err as Error).message).toMatch(new RegExp(`^${follower.name}: fetched batch 1 at byte ${second} \\(base offset 2, log end offset 1\\): CRC-32C mismatch`));
    expect(follower.endOffset).toBe(1);
    expect(follower.size).toBe(sizeBefore);
    // A truncated batch is refused the same way.
    expect(() => follower.appendAsFollower(good.subarray(0, good.length - 1))).toThrow(CorruptBatchError);
    expect(follower.endOffset).toBe(1);
    // The intact bytes go in.
    expect(follower.appendAsFollower(good).baseOffset).toBe(1);
    await follower.close();
    await leader.close();
  });

  it('refuses batches starting below the end offset or out of order, appending nothing; a gap forward (compaction) is accepted', async () => {
    const leader = await leaderLog(tmpDir());
    const follower = await openLog(tmpDir(), SMALL);
    const first = Buffer.from(leader.readSlice(0, 200)!.view);
    const r = follower.appendAsFollower(first);
    const end = follower.endOffset;
    expect(end).toBe(r.lastOffset + 1);
    // The same fetch again: Kafka's UnexpectedAppendOffsetException.
    let err: unknown;
    try {
      follower.appendAsFollower(first);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnexpectedAppendOffsetError);
    expect(err).toMatchObject({ firstOffset: 0, lastOffset: end - 1 });
    expect((err as Error).message).toBe(`${follower.name}: unexpected offset in a follower append: first offset 0 is below the log end offset ${end}`);
    // Two batches swapped: out of order, and the first one is not appended either.
    const a = Buffer.from(leader.readSlice(end, 1)!.view);
    const b = Buffer.from(leader.readSlice(end + 1, 1)!.view);
    expect(() => follower.appendAsFollower(Buffer.concat([b, a]))).toThrow(/out of order offsets in a follower append: batch 1 at byte \d+ starts at/);
    expect(follower.endOffset).toBe(end);
    // A batch starting after the end (the leader compacted the offsets between) is appended.
    const gap = encodeBatch([{ value: 'after a gap' }], { baseOffset: end + 10, partitionLeaderEpoch: 5 });
    expect(follower.appendAsFollower(gap)).toEqual({ baseOffset: end + 10, lastOffset: end + 10 });
    expect(follower.endOffset).toBe(end + 11);
    expect((await follower.read(end)).records.map((x) => [x.offset, x.value!.toString()])).toEqual([[end + 10, 'after a gap']]);
    expect(follower.leaderEpochEntries()).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: end + 10 }]);
    await follower.close();
    await leader.close();
  });

  it('producer state follows: a promoted follower recognises a retried idempotent batch and knows the open transaction', async () => {
    const leader = await leaderLog(tmpDir());
    const dir = tmpDir();
    const follower = await openLog(dir, SMALL);
    replicate(leader, follower, 900);
    const lastIdem = leader.endOffset - 2;
    expect(follower.lastStableOffset).toBe(leader.lastStableOffset);
    const openTxnAt = follower.lastStableOffset;
    expect(openTxnAt).toBeLessThan(follower.endOffset);
    follower.assignLeaderEpoch(6);
    expect(follower.leaderEpochEntries().at(-1)).toEqual({ epoch: 6, startOffset: follower.endOffset });
    // The producer did not hear back and sends its last batch again, now to the new leader.
    const retry = encodeBatch([{ value: 'idem-6a' }, { value: 'idem-6b' }], { producerId: 7, producerEpoch: 0, baseSequence: 12, now: NOW });
    expect(follower.appendValidated(retry)).toEqual({ baseOffset: lastIdem, lastOffset: lastIdem + 1, duplicate: true });
    // An older retry too (Kafka keeps the last five batches of a producer).
    const older = encodeBatch([{ value: 'idem-4a' }, { value: 'idem-4b' }], { producerId: 7, producerEpoch: 0, baseSequence: 8, now: NOW });
    expect(follower.appendValidated(older).duplicate).toBe(true);
    // The next sequence is accepted, a gap is refused.
    const end = follower.endOffset;
    expect(follower.appendValidated(encodeBatch([{ value: 'idem-7' }], { producerId: 7, producerEpoch: 0, baseSequence: 14 }))).toEqual({ baseOffset: end, lastOffset: end });
    expect(() => follower.appendValidated(encodeBatch([{ value: 'idem-9' }], { producerId: 7, producerEpoch: 0, baseSequence: 20 }))).toThrow(/expected 15/);
    // The new leader's appends carry its epoch.
    expect(follower.readSlice(end, 1)!.view.readInt32BE(PARTITION_LEADER_EPOCH)).toBe(6);
    // The coordinator ends the open transaction through the new leader.
    expect(follower.lastStableOffset).toBe(openTxnAt);
    follower.appendControl(11, 0, false, 4);
    expect(follower.lastStableOffset).toBe(follower.endOffset);
    expect(follower.abortedTransactions(0, follower.endOffset)).toEqual([expect.objectContaining({ producerId: 10, firstOffset: 44 }), expect.objectContaining({ producerId: 11, firstOffset: openTxnAt })]);
    await follower.close();
    await leader.close();
  });

  it('rolls segments as appends do, and each run is indexed', async () => {
    const leader = await leaderLog(tmpDir());
    const follower = await openLog(tmpDir(), SMALL);
    follower.appendAsFollower(allBytes(leader)); // every segment's batches in one call
    expect(follower.segmentBaseOffsets()).toEqual(leader.segmentBaseOffsets());
    expect(follower.segmentCount).toBeGreaterThan(2);
    for (let o = 0; o < leader.endOffset; o++) expect(follower.readSlice(o, 1)!.firstOffset).toBe(leader.readSlice(o, 1)!.firstOffset);
    await follower.close();
    await leader.close();
  });

  it('respects the flush policy: durable() after a follower append waits for the fsync', async () => {
    const leader = await leaderLog(tmpDir());
    const follower = await openLog(tmpDir(), { ...SMALL, flush: 'always' });
    follower.appendAsFollower(allBytes(leader));
    await follower.durable();
    await follower.sync();
    expect(follower.recoveryPoint).toBe(leader.endOffset);
    await follower.close();
    await leader.close();
  });
});

describe('truncation', () => {
  async function epochs123(dir: string): Promise<Log> {
    const log = await openLog(dir, SMALL);
    for (const [epoch, n] of [[1, 5], [2, 5], [3, 5]] as const) {
      log.assignLeaderEpoch(epoch);
      for (let i = 0; i < n; i++) await log.append([{ value: `e${epoch}-${i}` }]);
    }
    return log;
  }

  it('truncateTo cuts the epoch cache from the end and lowers the high watermark', async () => {
    const dir = tmpDir();
    const log = await epochs123(dir);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 5 }, { epoch: 3, startOffset: 10 }]);
    expect(log.updateHighWatermark(12)).toBe(12);
    log.truncateTo(7);
    expect(log.endOffset).toBe(7);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 5 }]);
    expect(log.latestEpoch).toBe(2);
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 7 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: -1, endOffset: -1 });
    expect(log.highWatermark).toBe(7);
    // Truncating exactly at an epoch's start removes it.
    log.truncateTo(5);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(log.highWatermark).toBe(5);
    await log.close();
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n1 0\n');
    const again = await openLog(dir, SMALL);
    expect(again.leaderEpochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(again.highWatermark).toBe(5);
    await again.close();
  });

  it('a sync started before a truncation does not raise the recovery point over the batches that replaced the truncated ones', async () => {
    const log = await openLog(tmpDir(), { ...SMALL, flush: 'always' });
    for (let i = 0; i < 5; i++) await log.append([{ value: `v${i}` }]);
    expect(log.recoveryPoint).toBe(5);
    const acked = log.append(Array.from({ length: 5 }, (_, i) => ({ value: `w${i}` }))); // applied now, its fsync covers offset 10
    log.truncateTo(7);
    // No epoch: no epoch checkpoint write for the recovery point to wait for, so a raise would come with the fsync's answer.
    log.appendAsFollower(encodeBatch(Array.from({ length: 6 }, (_, i) => ({ value: `leader-${i}` })), { baseOffset: 5 }));
    expect(log.endOffset).toBe(11);
    await acked;
    expect(log.recoveryPoint).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.recoveryPoint).toBe(5);
    await log.sync();
    expect(log.recoveryPoint).toBe(11);
    await log.close();
  });

  it('truncateFullyAndStartAt empties the log at an offset after its end: no epochs, no producers, offsets all there', async () => {
    const dir = tmpDir();
    const log = await epochs123(dir);
    log.appendValidated(encodeBatch([{ value: 'p' }], { producerId: 3, producerEpoch: 0, baseSequence: 0 }));
    log.updateHighWatermark(10);
    log.truncateFullyAndStartAt(100);
    expect([log.startOffset, log.endOffset, log.highWatermark, log.recoveryPoint, log.latestEpoch]).toEqual([100, 100, 100, 100, -1]);
    expect(log.leaderEpochEntries()).toEqual([]);
    expect(log.producers.size).toBe(0);
    expect(log.segmentBaseOffsets()).toEqual([100]);
    const batch = encodeBatch([{ value: 'from the leader' }], { baseOffset: 100, partitionLeaderEpoch: 8 });
    expect(log.appendAsFollower(batch)).toEqual({ baseOffset: 100, lastOffset: 100 });
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 8, startOffset: 100 }]);
    await log.close();
    const again = await openLog(dir, SMALL);
    expect([again.startOffset, again.endOffset, again.highWatermark]).toEqual([100, 101, 100]);
    expect(again.leaderEpochEntries()).toEqual([{ epoch: 8, startOffset: 100 }]);
    expect(again.producers.size).toBe(0);
    await again.close();
  });

  it('truncateFullyAndStartAt below the start restarts there (the leader\'s start fell inside a batch)', async () => {
    const log = await epochs123(tmpDir());
    log.advanceStartOffset(12);
    log.truncateFullyAndStartAt(11);
    expect([log.startOffset, log.endOffset, log.latestEpoch]).toEqual([11, 11, -1]);
    await log.close();
  });

  it('the start offset moving up (DeleteRecords, retention) moves the first epoch up and raises the high watermark', async () => {
    const log = await epochs123(tmpDir());
    log.advanceStartOffset(7);
    expect(log.leaderEpochEntries()).toEqual([{ epoch: 2, startOffset: 7 }, { epoch: 3, startOffset: 10 }]);
    expect(log.highWatermark).toBe(7);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 7 });
    await log.close();
  });
});

describe('high watermark', () => {
  it('is clamped to [startOffset, endOffset] and may be lowered explicitly; appends never move it', async () => {
    const log = await openLog(tmpDir(), SMALL);
    for (let i = 0; i < 10; i++) await log.append([{ value: `v${i}` }]);
    expect(log.highWatermark).toBe(0);
    expect(log.updateHighWatermark(6)).toBe(6);
    expect(log.updateHighWatermark(1000)).toBe(10);
    expect(log.updateHighWatermark(4)).toBe(4);
    log.advanceStartOffset(2);
    expect(log.updateHighWatermark(-3)).toBe(2);
    await log.append([{ value: 'more' }]);
    expect(log.highWatermark).toBe(2);
    expect(() => log.updateHighWatermark(1.5)).toThrow(/high watermark must be an integer/);
    await log.close();
  });

  it('survives close and reopen of a standalone log, in replication-offset-checkpoint', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, SMALL);
    for (let i = 0; i < 10; i++) await log.append([{ value: `v${i}` }]);
    log.updateHighWatermark(7);
    await log.close();
    expect(readFileSync(join(dir, 'replication-offset-checkpoint'), 'utf8')).toBe('0\n1\nlog 0 7\n');
    const again = await openLog(dir, SMALL);
    expect(again.highWatermark).toBe(7);
    await again.close();
  });

  it('survives close and reopen of a store; writeCheckpoints writes it; a damaged file is a warning', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { defaults: SMALL, checkpointIntervalMs: 0 });
    const a = (await store.partition('orders', 0, { create: true }))!;
    const b = (await store.partition('orders', 1, { create: true }))!;
    for (let i = 0; i < 10; i++) await a.append([{ value: `a${i}` }]);
    for (let i = 0; i < 4; i++) await b.append([{ value: `b${i}` }]);
    a.updateHighWatermark(9);
    b.updateHighWatermark(3);
    await store.writeCheckpoints();
    const text = readFileSync(join(dir, 'replication-offset-checkpoint'), 'utf8');
    expect(text.split('\n').slice(2).sort()).toEqual(['', 'orders 0 9', 'orders 1 3']);
    a.updateHighWatermark(10);
    await store.close();
    const again = await openStore(dir, { defaults: SMALL, checkpointIntervalMs: 0 });
    expect((await again.partition('orders', 0))!.highWatermark).toBe(10);
    expect((await again.partition('orders', 1))!.highWatermark).toBe(3);
    // A deleted partition leaves the checkpoint.
    await again.deletePartition('orders', 1);
    await again.close();
    expect(readFileSync(join(dir, 'replication-offset-checkpoint'), 'utf8')).toBe('0\n1\norders 0 10\n');
    writeFileSync(join(dir, 'replication-offset-checkpoint'), '0\n1\norders zero\n');
    const warn = vi.spyOn(logger, 'warn');
    const third = await openStore(dir, { defaults: SMALL, checkpointIntervalMs: 0 });
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ file: join(dir, 'replication-offset-checkpoint') }), expect.stringContaining('ignoring the high watermark checkpoint'));
    warn.mockRestore();
    expect((await third.partition('orders', 0))!.highWatermark).toBe(0);
    await third.close();
  });

  it('a checkpointed high watermark past the recovered end is clamped to it', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, SMALL);
    for (let i = 0; i < 10; i++) await log.append([{ value: `v${i}` }]);
    log.updateHighWatermark(10);
    await log.close();
    writeFileSync(join(dir, 'replication-offset-checkpoint'), '0\n1\nlog 0 50\n');
    const again = await openLog(dir, SMALL);
    expect(again.highWatermark).toBe(10);
    await again.close();
  });
});

describe('leader-epoch-checkpoint on open', () => {
  it('a damaged checkpoint is a warning and is rebuilt from the batches\' partitionLeaderEpoch', async () => {
    const dir = tmpDir();
    const log = await leaderLog(dir);
    const entries = log.leaderEpochEntries();
    await log.close();
    writeFileSync(join(dir, 'leader-epoch-checkpoint'), '0\n2\n3 0\n');
    const warn = vi.spyOn(logger, 'warn');
    const again = await openLog(dir, SMALL);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ file: join(dir, 'leader-epoch-checkpoint'), reason: '1 entries where the header says 2' }), expect.stringContaining('rebuilding it from the log'));
    warn.mockRestore();
    expect(again.leaderEpochEntries()).toEqual(entries);
    await again.close();
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n3 0\n5 32\n');
  });

  it('after an unclean stop, the cache agrees with the recovered end: epochs past a torn tail go, epochs missing from the file are learnt again', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, SMALL);
    for (const [epoch, n] of [[1, 5], [2, 5], [3, 5]] as const) {
      log.assignLeaderEpoch(epoch);
      for (let i = 0; i < n; i++) await log.append([{ value: `e${epoch}-${i}` }]);
    }
    await log.close();
    // As a power cut can leave it: the recovery point checkpointed at 7, the epoch file written
    // before epoch 3 began (its write lost), no clean-shutdown marker, and the last batch torn.
    writeFileSync(join(dir, 'recovery-point-offset-checkpoint'), '0\n1\nlog 0 7\n');
    writeFileSync(join(dir, 'leader-epoch-checkpoint'), '0\n2\n1 0\n2 5\n');
    rmSync(join(dir, '.kafka_cleanshutdown'));
    const segments = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
    const last = join(dir, segments.at(-1)!);
    const bytes = readFileSync(last);
    writeFileSync(last, bytes.subarray(0, bytes.length - 5));
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const again = await openLog(dir, SMALL);
    warn.mockRestore();
    expect(again.endOffset).toBe(14);
    expect(again.leaderEpochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 5 }, { epoch: 3, startOffset: 10 }]);
    expect(again.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 14 });
    await again.close();
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n3\n1 0\n2 5\n3 10\n');

    // Now the tail is torn back into epoch 2: its entry for epoch 3 goes at open.
    // Corrupt the batch at offset 8: everything from it is dropped by recovery.
    const all = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
    const third = await openLog(dir, SMALL);
    const at8 = Buffer.from(third.readSlice(8, 1)!.view);
    const seg = all.filter((n) => Number(n.slice(0, 20)) <= 8).at(-1)!;
    await third.close();
    rmSync(join(dir, '.kafka_cleanshutdown'));
    writeFileSync(join(dir, 'recovery-point-offset-checkpoint'), '0\n1\nlog 0 0\n');
    const segBytes = readFileSync(join(dir, seg));
    const pos = segBytes.indexOf(at8);
    expect(pos).toBeGreaterThanOrEqual(0);
    segBytes[pos + at8.length - 1] ^= 0xff;
    writeFileSync(join(dir, seg), segBytes);
    const w2 = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const fourth = await openLog(dir, SMALL);
    w2.mockRestore();
    expect(fourth.endOffset).toBe(8);
    expect(fourth.leaderEpochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 5 }]);
    expect(fourth.latestEpoch).toBe(2);
    await fourth.close();
    expect(readFileSync(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n1 0\n2 5\n');
  });
});
