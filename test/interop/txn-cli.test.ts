import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { CreateTopicsApi } from '../../src/protocol/messages/index.js';
import { runCli } from '../cli/run-cli.js';
import { TxnClient } from '../helpers/txn-client.js';

/** Rows of a table printed by the CLI, split on runs of two or more spaces. */
const rows = (stdout: string) => stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/));

describe('strand transactions and strand producers', () => {
  let broker: RunningBroker;
  let c: TxnClient;
  let b: string[];
  beforeAll(async () => {
    broker = await startBroker({ logLevel: 'silent', config: { 'transaction.state.log.num.partitions': '3' } });
    b = ['--bootstrap', broker.bootstrap];
    c = await TxnClient.open(broker.bootstrap);
    await c.raw.request(CreateTopicsApi, 4, { topics: [{ name: 'cli-t', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
  });

  it('lists and describes transactions and a partition\'s producers', async () => {
    const { producer: done } = await c.init('cli-done');
    expect(await c.addPartitions(done, 'cli-t', [0])).toEqual([0]);
    expect((await c.produce(done, 'cli-t', 0, ['a'])).errorCode).toBe(0);
    expect(await c.end(done, true)).toBe(0);
    const { producer: open } = await c.init('cli-open');
    expect(await c.addPartitions(open, 'cli-t', [0, 1])).toEqual([0, 0]);
    expect((await c.produce(open, 'cli-t', 1, ['b', 'c'])).errorCode).toBe(0);

    const list = await runCli(['transactions', 'list', ...b]);
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(rows(list.stdout)).toEqual([
      ['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'],
      ['cli-done', '0', String(done.producerId), 'CompleteCommit'],
      ['cli-open', '0', String(open.producerId), 'Ongoing'],
    ]);
    const ongoing = await runCli(['transactions', 'list', '--state', 'Ongoing', ...b]);
    expect(rows(ongoing.stdout).slice(1).map((r) => r[0])).toEqual(['cli-open']);

    const d = await runCli(['transactions', 'describe', 'cli-open', ...b]);
    expect(d.code).toBe(0);
    const [header, row] = rows(d.stdout);
    expect(header).toEqual(['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions']);
    expect(row).toEqual(['0', 'cli-open', String(open.producerId), String(open.epoch), 'Ongoing', '60000', expect.stringMatching(/^\d+$/), expect.stringMatching(/^\d+$/), 'cli-t-0,cli-t-1']);

    const missing = await runCli(['transactions', 'describe', 'nobody', ...b]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Transactional id 'nobody' does not exist.");

    const p = await runCli(['producers', 'describe', 'cli-t', '1', ...b]);
    expect(p.stderr).toBe('');
    expect(rows(p.stdout)).toEqual([
      ['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'],
      [String(open.producerId), String(open.epoch), '-1', '1', expect.stringMatching(/^\d+$/), '0'],
    ]);
    const p0 = await runCli(['producers', 'describe', 'cli-t', '0', ...b]);
    expect(rows(p0.stdout)[1]).toEqual([String(done.producerId), String(done.epoch), '0', '0', expect.stringMatching(/^\d+$/), 'None']);

    expect((await runCli(['producers', 'describe', 'nope', '0', ...b])).code).toBe(1);
    expect((await runCli(['producers', 'describe', 'cli-t', 'x', ...b])).code).toBe(2);
    expect(await c.end(open, false)).toBe(0);
  });
});
