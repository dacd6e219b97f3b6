import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryLockedError, openStore } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp.js';

describe('Store', () => {
  it('creates, lists, reopens and deletes partition logs in Kafka layout', async () => {
    const dir = tmpDir();
    let store = await openStore(dir);
    const p0 = await store.partition('orders', 0, { create: true });
    const p1 = await store.partition('orders', 1, { create: true });
    const other = await store.partition('my.topic-name', 3, { create: true });
    expect(await store.partition('missing', 0)).toBeNull();
    await p0!.append([{ value: 'a' }, { value: 'b' }]);
    await p1!.append([{ value: 'c' }]);
    await other!.append([{ value: 'd' }]);
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(['orders-0', 'orders-1', 'my.topic-name-3']));
    expect(readdirSync(join(dir, 'orders-0')).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex']);
    await expect(openStore(dir)).rejects.toThrow(DirectoryLockedError);
    await store.close();
    expect(existsSync(join(dir, 'recovery-point-offset-checkpoint'))).toBe(true);

    store = await openStore(dir);
    expect(store.list().map((r) => `${r.topic}-${r.partition}`).sort()).toEqual(['my.topic-name-3', 'orders-0', 'orders-1']);
    const again = await store.partition('orders', 0);
    expect(again!.endOffset).toBe(2);
    expect((await again!.read(0)).records.map((r) => r.value!.toString())).toEqual(['a', 'b']);
    expect(await store.deletePartition('orders', 1)).toBe(true);
    expect(existsSync(join(dir, 'orders-1'))).toBe(false);
    expect(store.list().length).toBe(2);
    await store.close();
  });

  it('rejects illegal topic names', async () => {
    const store = await openStore(tmpDir());
    for (const bad of ['', '.', '..', 'a/b', 'white space', 'x'.repeat(250)]) {
      await expect(store.partition(bad, 0, { create: true })).rejects.toThrow(/illegal/);
    }
    await store.close();
  });
});
