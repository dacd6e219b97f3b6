/**
 * A data directory written by strand 0.1 (test/fixtures/strand-0.1, see make.ts there; kept as
 * written, never regenerated) opens in this version: the broker finds its topics, serves every
 * record byte for byte to kcat, and takes appends after them; the embedded API reads it too.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { openStore } from '../../src/index.js';
import { ORDERS_COUNTS, ordersRecord, PROFILES } from '../fixtures/strand-0.1/make.js';
import { kcat } from '../helpers/kcat-cli.js';
import { tmpDir } from '../helpers/tmp.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/strand-0.1/data', import.meta.url));

function copyFixture(): string {
  const dir = join(tmpDir(), 'data');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

const expectedOrders = (partition: number) => Array.from({ length: ORDERS_COUNTS[partition]! }, (_, o) => {
  const r = ordersRecord(partition, o);
  return `${o} ${r.key} ${r.timestamp} v=${o} ${r.value}`;
});

describe('a strand 0.1 data directory', () => {
  it('is served by this broker byte for byte, and appended to', async () => {
    const broker = await startBroker({ dataDir: copyFixture(), config: { 'auto.create.topics.enable': 'false' } });
    try {
      const read = async (topic: string, partition: number) =>
        (await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o %k %T %h %s\n'])).stdout.trimEnd().split('\n');
      expect(await read('orders', 0)).toEqual(expectedOrders(0));
      expect(await read('orders', 1)).toEqual(expectedOrders(1));
      expect((await read('profiles', 0)).map((l) => l.split(' ').filter((_, i) => i !== 2).join(' '))).toEqual(PROFILES.map(([k, v], i) => `${i} ${k}  ${v}`));
      expect((await kcat(['-P', '-b', broker.bootstrap, '-t', 'orders', '-p', '0', '-K', ':'], 'k9:appended\n')).code).toBe(0);
      const after = await read('orders', 0);
      expect(after.slice(0, -1)).toEqual(expectedOrders(0));
      expect(after.at(-1)).toMatch(/^16 k9 \d+  appended$/);
    } finally {
      await broker.stop();
    }
  });

  it('opens with the embedded store', async () => {
    const store = await openStore(copyFixture());
    try {
      const log = (await store.partition('orders', 0))!;
      expect([log.startOffset, log.endOffset]).toEqual([0, 16]);
      const { records } = await log.read(13);
      expect(records.map((r) => [r.offset, r.key!.toString(), r.value!.toString(), r.timestamp])).toEqual([13, 14, 15].map((o) => [o, ordersRecord(0, o).key, ordersRecord(0, o).value, ordersRecord(0, o).timestamp]));
    } finally {
      await store.close();
    }
  });
});
