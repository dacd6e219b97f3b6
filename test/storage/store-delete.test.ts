import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/index.js';
import { readCheckpoint } from '../../src/storage/checkpoint.js';
import { tmpDir } from '../helpers/tmp.js';

const values = async (log: { read(o: number): Promise<{ records: Array<{ value: Buffer | null }> }> }) => (await log.read(0)).records.map((r) => r.value!.toString());

describe('Store: deleting a partition while it is created again', () => {
  it('a partition created while the old one is being deleted (compaction in flight) keeps its own directory and data', async () => {
    const dir = tmpDir();
    const store = await openStore(dir, { defaults: { segmentBytes: 1024, cleanupPolicy: 'compact' } });
    const old = (await store.partition('t', 0, { create: true }))!;
    for (let i = 0; i < 200; i++) await old.append([{ key: `k${i % 3}`, value: `old${i}` }]);
    old.roll();
    const cleaning = store.clean({ force: true }); // a compaction of `t-0` is running now
    const deleted = store.deletePartition('t', 0);
    // Nothing of the old partition is at the name any more, before the delete has resolved.
    expect(readdirSync(dir).filter((n) => n.startsWith('t-0'))).toEqual([expect.stringMatching(/^t-0\.[0-9a-f]{32}-delete$/)]);
    const fresh = (await store.partition('t', 0, { create: true }))!;
    expect(fresh).not.toBe(old);
    expect(fresh.endOffset).toBe(0);
    await fresh.append([{ key: 'n', value: 'new0' }, { key: 'n', value: 'new1' }]);
    expect(await deleted).toBe(true);
    await cleaning;
    await store.close();
    // The removal of the renamed directory finished before close, and never touched `t-0`.
    expect(readdirSync(dir).filter((n) => n.startsWith('t-0'))).toEqual(['t-0']);
    const again = await openStore(dir);
    const log = (await again.partition('t', 0))!;
    expect(await values(log)).toEqual(['new0', 'new1']);
    expect(log.startOffset).toBe(0);
    await again.close();
  });

  it('a partition created again does not inherit the old one\'s checkpointed log start offset', async () => {
    const dir = tmpDir();
    let store = await openStore(dir, { defaults: { segmentBytes: 1024 } });
    let log = (await store.partition('t', 0, { create: true }))!;
    for (let i = 0; i < 50; i++) await log.append([{ value: `old${i}` }]);
    log.advanceStartOffset(40);
    await store.close();
    expect(readCheckpoint(join(dir, 'log-start-offset-checkpoint')).get('t 0')).toBe(40);
    store = await openStore(dir, { defaults: { segmentBytes: 1024 } });
    await store.deletePartition('t', 0);
    log = (await store.partition('t', 0, { create: true }))!;
    expect(log.startOffset).toBe(0);
    expect(log.endOffset).toBe(0);
    await log.append([{ value: 'new0' }]);
    expect(await values(log)).toEqual(['new0']);
    await store.close();
  });

  it('finishes removing a renamed directory on the next open, and never removes a live one', async () => {
    const dir = tmpDir();
    let store = await openStore(dir);
    await (await store.partition('t', 0, { create: true }))!.append([{ value: 'live' }]);
    await store.close();
    // What a crash right after the rename leaves.
    const doomed = join(dir, `t-0.${'ab'.repeat(16)}-delete`);
    mkdirSync(doomed);
    writeFileSync(join(doomed, '00000000000000000000.log'), 'old bytes');
    store = await openStore(dir);
    expect(existsSync(doomed)).toBe(false);
    expect(await values((await store.partition('t', 0))!)).toEqual(['live']);
    await store.close();
  });
});
