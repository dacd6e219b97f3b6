import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CreateTopicsApi, DescribeTransactionsApi, OffsetFetchApi } from '../../src/protocol/messages/index.js';
import { type BrokerProcess, spawnBroker } from '../helpers/broker-process.js';
import { tmpDir } from '../helpers/tmp.js';
import { TxnClient, decodeRecords } from '../helpers/txn-client.js';

const main = fileURLToPath(new URL('./fixtures/txn-broker-main.ts', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(dir: string, env: Record<string, string> = {}): Promise<{ b: BrokerProcess; c: TxnClient }> {
  const b = await spawnBroker(dir, { main, env });
  return { b, c: await TxnClient.open(b.bootstrap) };
}

async function kill(b: BrokerProcess, c: TxnClient): Promise<void> {
  c.close();
  b.child.kill('SIGKILL');
  await b.exited;
}

async function createTopic(c: TxnClient, name: string, partitions: number): Promise<void> {
  const r = await c.raw.request(CreateTopicsApi, 4, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0]!.errorCode).toBe(0);
}

async function state(c: TxnClient, id: string): Promise<string> {
  return (await c.raw.request(DescribeTransactionsApi, 0, { transactionalIds: [id] })).transactionStates[0]!.transactionState;
}

async function committedOffset(c: TxnClient, group: string, topic: string, partition: number): Promise<number> {
  const r = await c.raw.request(OffsetFetchApi, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [partition] }], requireStable: true });
  return Number(r.topics[0]!.partitions[0]!.committedOffset);
}

describe('transactions across a broker crash (SIGKILL)', () => {
  it('aborts a transaction left open by the crash once it times out; read_committed never sees it; duplicates are still refused', async () => {
    const dir = tmpDir();
    let { b, c } = await start(dir);
    await createTopic(c, 'acct', 2);
    // Committed history, including a plain idempotent batch to resend after the crash.
    // Long enough for the transaction to outlive a SIGKILL and a restart on a loaded machine.
    const { producer: p } = await c.init('open-at-crash', { timeoutMs: 6000 });
    expect(await c.addPartitions(p, 'acct', [0, 1])).toEqual([0, 0]);
    expect((await c.produce(p, 'acct', 0, ['c0'])).errorCode).toBe(0);
    expect((await c.produce(p, 'acct', 1, ['c1'])).errorCode).toBe(0);
    expect(await c.end(p, true)).toBe(0);
    const { producer: idem } = await c.init('idem-side');
    const plain = await c.produce(idem, 'acct', 0, ['plain'], { transactional: false, transactionalId: null });
    expect(plain.errorCode).toBe(0);
    // The transaction open at the crash.
    expect(await c.addPartitions(p, 'acct', [0, 1])).toEqual([0, 0]);
    expect((await c.produce(p, 'acct', 0, ['open-0'])).errorCode).toBe(0);
    expect((await c.produce(p, 'acct', 1, ['open-1'])).errorCode).toBe(0);
    await kill(b, c);

    ({ b, c } = await start(dir));
    // Still open right after the restart: read_committed stops at its first offset.
    expect(await c.values('acct', 0, 1)).toEqual(['c0', 'plain']);
    expect(await c.values('acct', 1, 1)).toEqual(['c1']);
    expect(await state(c, 'open-at-crash')).toBe('Ongoing');
    // The timeout runs from the transaction's start, which survived the crash.
    for (let i = 0; i < 300 && (await state(c, 'open-at-crash')) !== 'CompleteAbort'; i++) await sleep(100);
    expect(await state(c, 'open-at-crash')).toBe('CompleteAbort');
    for (const partition of [0, 1]) {
      const f = await c.fetch('acct', partition, 0, 1);
      expect(f.lastStableOffset).toBe(f.highWatermark);
    }
    expect(await c.values('acct', 0, 1)).toEqual(['c0', 'plain']);
    expect(await c.values('acct', 1, 1)).toEqual(['c1']);
    expect(await c.values('acct', 0, 0)).toEqual(['c0', 'plain', 'open-0']);
    // The crashed producer was fenced by the abort.
    expect((await c.produce(p, 'acct', 0, ['zombie'])).errorCode).toBe(47);
    // Producer state recovered from the log still recognises a retry.
    idem.seq.set('acct-0', 0);
    expect(await c.produce(idem, 'acct', 0, ['plain'], { transactional: false, transactionalId: null })).toEqual(plain);

    // And everything holds across one more crash.
    await kill(b, c);
    ({ b, c } = await start(dir));
    expect(await c.values('acct', 0, 1)).toEqual(['c0', 'plain']);
    expect(await state(c, 'open-at-crash')).toBe('CompleteAbort');
    await kill(b, c);
  });

  it('keeps a transaction open across a crash: a resent batch is recognised, and the producer can still commit', async () => {
    const dir = tmpDir();
    let { b, c } = await start(dir);
    await createTopic(c, 'keep', 1);
    const { producer: p } = await c.init('survivor', { timeoutMs: 120_000 });
    expect(await c.addPartitions(p, 'keep', [0])).toEqual([0]);
    const first = await c.produce(p, 'keep', 0, ['k1', 'k2']);
    expect(first.errorCode).toBe(0);
    await kill(b, c);

    ({ b, c } = await start(dir));
    expect(await state(c, 'survivor')).toBe('Ongoing');
    expect(await c.values('keep', 0, 1)).toEqual([]);
    // The producer did not get its answer and resends: same offsets, written once.
    p.seq.set('keep-0', 0);
    expect(await c.produce(p, 'keep', 0, ['k1', 'k2'])).toEqual(first);
    expect((await c.produce(p, 'keep', 0, ['k3'])).errorCode).toBe(0);
    expect(await c.end(p, true)).toBe(0);
    expect(await c.values('keep', 0, 1)).toEqual(['k1', 'k2', 'k3']);
    await kill(b, c);
  });

  it('completes a commit cut short after its first marker, in every partition and for the offsets it sent', async () => {
    const dir = tmpDir();
    let { b, c } = await start(dir, { STRAND_TEST_KILL_AFTER_MARKERS: '1' });
    await createTopic(c, 'ledger', 3);
    await createTopic(c, 'source', 1);
    const { producer: p } = await c.init('half');
    expect(await c.addPartitions(p, 'ledger', [0, 1, 2])).toEqual([0, 0, 0]);
    for (const partition of [0, 1, 2]) expect((await c.produce(p, 'ledger', partition, [`v${partition}`, `w${partition}`])).errorCode).toBe(0);
    expect(await c.addOffsets(p, 'ctp-group')).toBe(0);
    expect(await c.txnOffsetCommit(p, 'ctp-group', 'source', 0, 42)).toBe(0);
    // The broker dies after writing the first COMMIT marker: EndTxn never gets its answer.
    await expect(c.end(p, true)).rejects.toThrow();
    expect(await b.exited).toBe('SIGKILL');
    c.close();

    ({ b, c } = await start(dir));
    // Completed on load, before clients could read anything in between.
    expect(await state(c, 'half')).toBe('CompleteCommit');
    const markerCounts: number[] = [];
    for (const partition of [0, 1, 2]) {
      expect(await c.values('ledger', partition, 1)).toEqual([`v${partition}`, `w${partition}`]);
      const markers = decodeRecords((await c.fetch('ledger', partition, 0, 0)).records).filter((r) => r.control);
      expect(markers.every((m) => m.key!.readInt16BE(2) === 1)).toBe(true);
      markerCounts.push(markers.length);
    }
    // ledger-0 got its marker before the crash and again on recovery (harmless, as in Kafka).
    expect(markerCounts).toEqual([2, 1, 1]);
    expect(await committedOffset(c, 'ctp-group', 'source', 0)).toBe(42);
    // The producer's retry of EndTxn is answered as done.
    expect(await c.end(p, true)).toBe(0);
    await kill(b, c);

    // Recovery is idempotent: another crash and restart changes nothing.
    ({ b, c } = await start(dir));
    for (const partition of [0, 1, 2]) expect(await c.values('ledger', partition, 1)).toEqual([`v${partition}`, `w${partition}`]);
    expect(await committedOffset(c, 'ctp-group', 'source', 0)).toBe(42);
    await kill(b, c);
  });

  it('aborts the same way when an abort is cut short', async () => {
    const dir = tmpDir();
    let { b, c } = await start(dir, { STRAND_TEST_KILL_AFTER_MARKERS: '1' });
    await createTopic(c, 'drop', 2);
    const { producer: p } = await c.init('half-abort');
    expect(await c.addPartitions(p, 'drop', [0, 1])).toEqual([0, 0]);
    for (const partition of [0, 1]) expect((await c.produce(p, 'drop', partition, [`x${partition}`])).errorCode).toBe(0);
    await expect(c.end(p, false)).rejects.toThrow();
    await b.exited;
    c.close();

    ({ b, c } = await start(dir));
    expect(await state(c, 'half-abort')).toBe('CompleteAbort');
    for (const partition of [0, 1]) {
      const f = await c.fetch('drop', partition, 0, 1);
      expect(f.lastStableOffset).toBe(f.highWatermark);
      expect(await c.values('drop', partition, 1)).toEqual([]);
    }
    await kill(b, c);
  });
});
