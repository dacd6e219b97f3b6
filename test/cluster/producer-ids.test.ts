/**
 * Producer ids in a cluster: every broker hands out ids from blocks reserved in etcd, so two
 * producers never share one (they would have each other's batches taken for retries and
 * dropped). (Transactional ids: test/cluster/transactions.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { InitProducerIdApi, type InitProducerIdResponse } from '../../src/protocol/messages/index.js';
import { ETCD_SKIPPED } from '../helpers/etcd.js';
import { TestCluster } from '../helpers/broker-cluster.js';
import { withClient } from '../helpers/cluster-metadata.js';

function initProducerId(bootstrap: string): Promise<InitProducerIdResponse> {
  return withClient(bootstrap, (c) => c.request<InitProducerIdResponse>(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }));
}

describe.skipIf(ETCD_SKIPPED)('producer ids in a cluster (three broker processes, real etcd)', () => {
  it('idempotent producers get distinct ids whichever broker they ask, across restarts', async () => {
    const cluster = await TestCluster.start(3);
    try {
      const ask = (n: number) => initProducerId(cluster.node(n).bootstrap);
      const first = await Promise.all([1, 2, 3, 1, 2, 3, 1, 2, 3].map(ask));
      expect(first.map((r) => r.errorCode)).toEqual(Array(9).fill(ErrorCode.NONE));
      expect(first.map((r) => r.producerEpoch)).toEqual(Array(9).fill(0));
      const ids = first.map((r) => r.producerId);
      expect(new Set(ids).size).toBe(9);
      // Each broker reserved one block of 1,000: ids 0-2999 in some order of blocks.
      expect([...new Set(ids.map((id) => Number(id) - (Number(id) % 1000)))].sort((a, b) => a - b)).toEqual([0, 1000, 2000]);
      await cluster.stopNode(2);
      await cluster.startNode(2);
      const again = await ask(2);
      expect(again.errorCode).toBe(ErrorCode.NONE);
      expect(Number(again.producerId)).toBeGreaterThanOrEqual(3000);
    } finally {
      await cluster.destroy();
    }
  }, 120_000);
});
