/**
 * One document of cluster state in a real etcd (src/cluster/shared-value.ts): concurrent
 * read-modify-write updates from two brokers' handles all land, every handle hears each value,
 * and a store joining it seeds it only while the cluster has none (joinShared).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SharedValue } from '../../src/cluster/shared-value.js';
import { joinShared } from '../../src/security/shared-document.js';
import { ETCD_SKIPPED, EtcdServer } from '../helpers/etcd.js';
import { until } from '../helpers/until.js';

describe.skipIf(ETCD_SKIPPED)('a shared document of cluster state (real etcd)', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await EtcdServer.start();
  });
  afterAll(async () => etcd?.destroy());

  it('takes forty concurrent appends from two handles, each heard by both; a joining store seeds it only when it is empty', async () => {
    const heard: Array<string | null>[] = [[], []];
    const [a, b] = [0, 1].map((i) => new SharedValue([etcd.endpoint], 'shared-test', 'list', (v) => heard[i]!.push(v)));
    try {
      expect(await joinShared(a!, null)).toBeNull();
      expect(await joinShared(b!, '["seed"]')).toBe('["seed"]');
      expect(await joinShared(a!, '["other"]')).toBe('["seed"]');
      const append = (h: SharedValue, item: string) => h.update((current) => JSON.stringify([...(JSON.parse(current ?? '[]') as string[]), item]));
      await Promise.all(Array.from({ length: 20 }, (_, i) => [append(a!, `a${i}`), append(b!, `b${i}`)]).flat());
      const final = JSON.parse((await a!.update((current) => current!))) as string[];
      expect(final.length).toBe(41);
      expect([...final].sort()).toEqual(['seed', ...Array.from({ length: 20 }, (_, i) => [`a${i}`, `b${i}`]).flat()].sort());
      for (const h of heard) await until('the last value heard', () => h.at(-1) === JSON.stringify(final));
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});
