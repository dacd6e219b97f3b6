/**
 * `strand producers describe TOPIC PARTITION`: the idempotent and transactional producers a
 * partition's leader knows (DescribeProducers), with kafka-transactions.sh describe-producers'
 * columns: epoch, coordinator epoch, last sequence and timestamp, and the first offset of the
 * producer's open transaction in the partition.
 */
import type { Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { DescribeProducersApi } from '../../protocol/messages/index.js';
import { addClientOptions, type ClientOptions, intArg } from '../args.js';
import { unknownTopicError, withClient, writeOut } from '../session.js';
import { table } from '../table.js';

export function register(program: Command): void {
  const producers = program
    .command('producers')
    .description('show the producers a partition knows');

  addClientOptions(producers.command('describe'))
    .description('list a partition\'s active producers: epoch, last sequence, open transaction')
    .argument('<topic>', 'topic')
    .argument('<partition>', 'partition number', intArg('<partition>'))
    .addHelpText('after', '\nExample:\n  strand producers describe orders 0')
    .action((topic: string, partition: number, options: ClientOptions) => withClient(options, (c) => describe(c, topic, partition)));
}

async function describe(client: KafkaClient, topic: string, partition: number): Promise<void> {
  const partitions = await client.partitionsOf(topic).catch(() => []);
  if (partitions.length === 0) throw unknownTopicError(topic);
  const leader = await client.leaderOf(topic, partition);
  const res = await client.request(DescribeProducersApi, { topics: [{ name: topic, partitionIndexes: [partition] }] }, { nodeId: leader });
  const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
  const path = { api: 'DescribeProducers', topic, partition };
  if (p === undefined) throw new KafkaResponseError(-1, path, 'the response does not mention the partition');
  KafkaResponseError.check(p.errorCode, path, p.errorMessage);
  const rows = p.activeProducers.map((s) => [String(s.producerId), String(s.producerEpoch), String(s.coordinatorEpoch), String(s.lastSequence), String(s.lastTimestamp), s.currentTxnStartOffset < 0n ? 'None' : String(s.currentTxnStartOffset)]);
  await writeOut(table(['ProducerId', 'ProducerEpoch', 'LatestCoordinatorEpoch', 'LastSequence', 'LastTimestamp', 'CurrentTransactionStartOffset'], rows));
}
