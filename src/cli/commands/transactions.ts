/**
 * `strand transactions list|describe`: the transactions the brokers coordinate, with
 * kafka-transactions.sh's columns. list asks every broker (ListTransactions), optionally only
 * transactions in some states, of some producer ids, or running longer than a duration;
 * describe asks each transactional id's coordinator (FindCoordinator key type 1,
 * DescribeTransactions).
 */
import type { Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeTransactionsApi, FindCoordinatorApi, ListTransactionsApi } from '../../protocol/messages/index.js';
import { addClientOptions, type ClientOptions, collect, intArg } from '../args.js';
import { withClient, writeOut } from '../session.js';
import { table } from '../table.js';

const TRANSACTION = 1;

interface ListOptions extends ClientOptions {
  state?: string[];
  producerId?: number[];
  durationMs?: number;
}

export function register(program: Command): void {
  const txns = program
    .command('transactions')
    .description('list and describe transactions (transactional producers)');

  addClientOptions(txns.command('list'))
    .description('list transactional ids with their producer id and transaction state')
    .option('--state <state>', 'only transactions in this state (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort); repeatable', collect)
    .option('--producer-id <id>', 'only this producer id; repeatable', (v: string, prev: number[] | undefined) => [...(prev ?? []), intArg('--producer-id')(v)])
    .option('--duration-ms <ms>', 'only transactions open longer than this', intArg('--duration-ms'))
    .addHelpText('after', '\nExample:\n  strand transactions list --state Ongoing --duration-ms 60000')
    .action((options: ListOptions) => withClient(options, (c) => list(c, options)));

  addClientOptions(txns.command('describe'))
    .description('show a transactional id\'s producer, state, timeout, start time and partitions')
    .argument('<transactional-id...>', 'transactional ids to describe')
    .action((ids: string[], options: ClientOptions) => withClient(options, (c) => describe(c, ids)));
}

async function list(client: KafkaClient, options: ListOptions): Promise<void> {
  const md = await client.metadata([]);
  const rows: string[][] = [];
  const unknown = new Set<string>();
  for (const b of md.brokers) {
    const res = await client.request(ListTransactionsApi, { stateFilters: options.state ?? [], producerIdFilters: (options.producerId ?? []).map(BigInt), durationFilter: BigInt(options.durationMs ?? -1) }, { nodeId: b.nodeId });
    KafkaResponseError.check(res.errorCode, { api: 'ListTransactions', resource: `broker ${b.nodeId}` });
    for (const s of res.unknownStateFilters) unknown.add(s);
    for (const t of res.transactionStates) rows.push([t.transactionalId, String(b.nodeId), String(t.producerId), t.transactionState]);
  }
  for (const s of unknown) process.stderr.write(`warning: unknown transaction state '${s}'\n`);
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
  await writeOut(table(['TransactionalId', 'Coordinator', 'ProducerId', 'TransactionState'], rows));
}

async function coordinatorOf(client: KafkaClient, id: string): Promise<number> {
  const res = await client.request(FindCoordinatorApi, { key: id, keyType: TRANSACTION, coordinatorKeys: [id] });
  const path = { api: 'FindCoordinator', resource: `transactional id ${id}` };
  const c = res.coordinators.find((x) => x.key === id);
  if (c !== undefined) {
    KafkaResponseError.check(c.errorCode, path, c.errorMessage);
    return c.nodeId;
  }
  KafkaResponseError.check(res.errorCode, path, res.errorMessage);
  return res.nodeId;
}

async function describe(client: KafkaClient, ids: string[]): Promise<void> {
  const rows: string[][] = [];
  let missing = false;
  const now = Date.now();
  for (const id of ids) {
    const nodeId = await coordinatorOf(client, id);
    const res = await client.request(DescribeTransactionsApi, { transactionalIds: [id] }, { nodeId });
    const s = res.transactionStates.find((x) => x.transactionalId === id);
    if (s === undefined || s.errorCode === ErrorCode.TRANSACTIONAL_ID_NOT_FOUND) {
      process.stderr.write(`Transactional id '${id}' does not exist.\n`);
      missing = true;
      continue;
    }
    KafkaResponseError.check(s.errorCode, { api: 'DescribeTransactions', resource: `transactional id ${id}` });
    const start = Number(s.transactionStartTimeMs);
    const partitions = s.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`)).sort().join(',');
    rows.push([String(nodeId), id, String(s.producerId), String(s.producerEpoch), s.transactionState, String(s.transactionTimeoutMs), start >= 0 ? String(start) : 'None', start >= 0 ? String(now - start) : 'None', partitions]);
  }
  if (rows.length > 0) {
    await writeOut(table(['CoordinatorId', 'TransactionalId', 'ProducerId', 'ProducerEpoch', 'TransactionState', 'TransactionTimeoutMs', 'CurrentTransactionStartTimeMs', 'TransactionDurationMs', 'TopicPartitions'], rows));
  }
  if (missing) process.exitCode = 1;
}
