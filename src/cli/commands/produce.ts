/**
 * `strand produce TOPIC`: one record per input line (stdin or --file), batched into record
 * batches per partition (up to --batch-size records, --batch-bytes, or --linger-ms after the
 * first record of a batch), with optional keys (--key-separator) and headers (--header).
 *
 * Partitioning follows Kafka's default: keyed records go to murmur2(key) % partitions, unkeyed
 * ones stick to one partition per batch and move on to the next after each batch.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import type { Acks } from '../../client/data.js';
import { partitionForKey } from '../../client/partitioner.js';
import { encodeBatch } from '../../format/record-batch.js';
import type { RecordInput } from '../../format/record.js';
import { acksArg, addClientOptions, intArg, keyValueArg, UsageError, type ClientOptions } from '../args.js';
import { unescapeOption } from '../format.js';
import { withClient } from '../session.js';

interface ProduceOptions extends ClientOptions {
  partition?: number;
  keySeparator?: string;
  header?: Array<[string, string]>;
  acks: Acks;
  batchSize: number;
  batchBytes: number;
  lingerMs: number;
  file?: string;
  verbose?: boolean;
}

const MAX_IN_FLIGHT = 5;
/** Record batch overhead per record beyond key and value (varints, attributes, deltas), a safe bound. */
const RECORD_OVERHEAD = 32;


export function register(program: Command): void {
  addClientOptions(program.command('produce'))
    .description('produce lines of stdin (or --file) to a topic, one record per line')
    .argument('<topic>', 'topic to write to (created if the broker auto-creates topics)')
    .option('-p, --partition <n>', 'write every record to this partition (default: by key, or sticky round-robin)', intArg('--partition'))
    .option('-K, --key-separator <sep>', 'split each line at the first <sep> into key and value (no <sep>: null key)')
    .option('-H, --header <key=value>', 'header added to every record, repeatable', keyValueArg('--header source=cli'))
    .addOption(new Option('--acks <acks>', 'all (-1), 1 or 0').default(-1, 'all').argParser(acksArg))
    .option('--batch-size <n>', 'records per batch at most', intArg('--batch-size', 1), 1000)
    .option('--batch-bytes <n>', 'bytes per batch at most', intArg('--batch-bytes', 1024), 1_000_000)
    .option('--linger-ms <ms>', 'send a partly filled batch this long after its first record', intArg('--linger-ms'), 5)
    .option('-f, --file <path>', 'read lines from this file instead of stdin')
    .option('-v, --verbose', 'report each batch written (to stderr)')
    .addHelpText('after', `
Examples:
  echo hello | strand produce orders
  printf 'k1:v1\\nk2:v2\\n' | strand produce orders --key-separator : --header source=cli`)
    .action(async (topic: string, options: ProduceOptions) => {
      if (options.keySeparator !== undefined) options.keySeparator = unescapeOption(options.keySeparator, '--key-separator');
      if (options.keySeparator === '') throw new UsageError('--key-separator must not be empty');
      if (options.file !== undefined && !existsSync(options.file)) throw new UsageError(`--file ${options.file} does not exist`);
      await withClient(options, (client) => produceLines(client, topic, options), { allowAutoTopicCreation: true });
    });
}

interface PendingBatch {
  records: RecordInput[];
  bytes: number;
}

async function produceLines(client: KafkaClient, topic: string, options: ProduceOptions): Promise<void> {
  const partitions = options.partition === undefined ? await client.partitionsOf(topic, { allowAutoTopicCreation: true }) : [options.partition];
  const headers = (options.header ?? []).map(([key, value]) => ({ key, value }));
  const batches = new Map<number, PendingBatch>();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let sticky = Math.floor(Math.random() * partitions.length);
  let lingerTimer: NodeJS.Timeout | null = null;
  let total = 0;

  const send = (partition: number): void => {
    const batch = batches.get(partition);
    if (batch === undefined || batch.records.length === 0) return;
    batches.delete(partition);
    const count = batch.records.length;
    const p = client.produce(topic, partition, encodeBatch(batch.records), { acks: options.acks, timeoutMs: options.timeout })
      .then((res) => {
        total += count;
        if (options.verbose) {
          const where = res.baseOffset < 0 ? 'acks=0' : `offsets ${res.baseOffset}-${res.baseOffset + count - 1}`;
          process.stderr.write(`produced ${count} records to ${topic}-${partition} at ${where}\n`);
        }
      }, (err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const sendAll = (): void => {
    if (lingerTimer !== null) clearTimeout(lingerTimer);
    lingerTimer = null;
    for (const partition of [...batches.keys()]) send(partition);
  };

  const input = options.file === undefined ? process.stdin : createReadStream(options.file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  // Ctrl-C ends the input: what was read is still sent (a second Ctrl-C stops at once).
  const onSignal = (): void => lines.close();
  process.once('SIGINT', onSignal);
  try {
    for await (const line of lines) {
      if (failure !== null) break;
      let key: string | null = null;
      let value = line;
      if (options.keySeparator !== undefined) {
        const at = line.indexOf(options.keySeparator);
        if (at >= 0) {
          key = line.slice(0, at);
          value = line.slice(at + options.keySeparator.length);
        }
      }
      let partition: number;
      if (options.partition !== undefined) partition = options.partition;
      else if (key !== null) partition = partitions[partitionForKey(key, partitions.length)]!;
      else partition = partitions[sticky]!;
      const size = RECORD_OVERHEAD + Buffer.byteLength(value) + (key === null ? 0 : Buffer.byteLength(key));
      let batch = batches.get(partition);
      if (batch !== undefined && batch.bytes + size > options.batchBytes) {
        send(partition);
        batch = undefined;
      }
      if (batch === undefined) batches.set(partition, (batch = { records: [], bytes: 61 }));
      batch.records.push({ key, value, headers, timestamp: Date.now() });
      batch.bytes += size;
      if (batch.records.length >= options.batchSize || batch.bytes >= options.batchBytes) {
        send(partition);
        if (key === null && options.partition === undefined) sticky = (sticky + 1) % partitions.length;
      } else if (lingerTimer === null) {
        lingerTimer = setTimeout(() => {
          lingerTimer = null;
          sendAll();
          sticky = (sticky + 1) % partitions.length;
        }, options.lingerMs);
      }
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    }
  } finally {
    process.off('SIGINT', onSignal);
    lines.close();
    if (input !== process.stdin) input.destroy();
  }
  if (failure === null) sendAll();
  if (lingerTimer !== null) clearTimeout(lingerTimer);
  await Promise.all(inFlight);
  if (failure !== null) {
    if (total > 0) process.stderr.write(`${total} records were written before the error\n`);
    throw failure;
  }
  if (options.verbose) process.stderr.write(`produced ${total} records to ${topic}\n`);
}
