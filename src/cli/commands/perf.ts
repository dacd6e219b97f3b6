/**
 * `strand perf produce|consume|e2e`: the load generator (src/perf), the counterpart of
 * kafka-producer-perf-test, kafka-consumer-perf-test and Kafka's end-to-end latency tool. Works
 * against any Kafka broker. Prints a progress bar on stderr while running, then records/s, MB/s
 * and latency percentiles; `--json` prints one JSON object instead. `strand perf workload FILE.yaml`
 * runs an OpenMessaging Benchmark workload file and prints OMB's JSON result.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  COMPRESSIONS, formatReport, type ProducerSettings, type PerfCommon, perfConsume, perfE2e, perfProduce, STAMP_BYTES,
} from '../../perf/index.js';
import { progressBar } from '../../perf/progress.js';
import { readWorkload } from '../../perf/workload.js';
import { runWorkload } from '../../perf/workload-run.js';
import { acksArg, addClientOptions, intArg, keyValueArg, pairsToRecord, UsageError, type ClientOptions } from '../args.js';

interface CommonOptions extends ClientOptions {
  topic: string;
  partitions?: number;
  replicationFactor?: number;
  topicConfig?: Array<[string, string]>;
  connections: number;
  json?: boolean;
  progress: boolean;
}

/** The producer's settings as parsed from the command line (same names as the load generator's). */
interface ProduceOptions extends CommonOptions, Pick<ProducerSettings, 'numRecords' | 'recordSize' | 'throughput' | 'acks' | 'batchSize' | 'lingerMs' | 'compression' | 'maxInFlight'> {}

interface ConsumeOptions extends CommonOptions {
  numRecords?: number;
  from: 'earliest' | 'latest';
  fetchSize: number;
  fetchMaxBytes: number;
  maxWaitMs: number;
  checkCrcs: boolean;
}


function parseThroughput(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || (n <= 0 && n !== -1)) throw new InvalidArgumentError('--throughput must be a number of records/s above 0, or -1 for as fast as possible.');
  return n;
}

function common(cmd: Command): Command {
  return addClientOptions(cmd)
    .requiredOption('-t, --topic <name>', 'topic to use (created if missing)')
    .option('--partitions <n>', 'partitions of the topic when this run creates it (default: the broker\'s num.partitions)', intArg('--partitions', 1))
    .option('--replication-factor <n>', 'replication factor when this run creates the topic', intArg('--replication-factor', 1))
    .option('--topic-config <key=value>', 'topic config when this run creates the topic, repeatable (e.g. flush.messages=1)', keyValueArg('--topic-config flush.messages=1'))
    .option('--connections <n>', 'connections per leader broker', intArg('--connections', 1, 1024), 2)
    .option('--json', 'print the result as one JSON object')
    .option('--no-progress', 'no progress bar');
}

function producerOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-n, --num-records <n>', 'records to produce', intArg('--num-records', 1))
    .option('-s, --record-size <bytes>', 'bytes per record value', intArg('--record-size', 0, 64 << 20), 100)
    .addOption(new Option('--throughput <records/s>', 'target rate, -1 for as fast as possible').default(-1).argParser(parseThroughput))
    .addOption(new Option('--acks <acks>', 'all (-1), 1 or 0').default(-1, 'all').argParser(acksArg))
    .option('--batch-size <records>', 'records per batch (one batch per Produce request)', intArg('--batch-size', 1, 1_000_000), 1000)
    .option('--linger-ms <ms>', 'with --throughput: send a partly filled batch this long after its first record was due', intArg('--linger-ms'), 5)
    .addOption(new Option('--compression <codec>', 'record batch compression').choices([...COMPRESSIONS]).default('none'))
    .option('--max-in-flight <n>', 'requests in flight per connection', intArg('--max-in-flight', 1, 10_000), 5);
}

function settings(o: CommonOptions): PerfCommon {
  return {
    bootstrap: o.bootstrap, topic: o.topic, partitions: o.partitions, replicationFactor: o.replicationFactor,
    topicConfigs: pairsToRecord(o.topicConfig, '--topic-config'), connections: o.connections, timeoutMs: o.timeout,
  };
}

async function withProgress<R>(label: string, o: CommonOptions, run: (hooks: Pick<PerfCommon, 'onStart' | 'onProgress'>) => Promise<R>): Promise<R> {
  const bar = progressBar(label, o.progress);
  try {
    return await run({ onStart: (total) => bar.start(total), onProgress: (done) => bar.update(done) });
  } finally {
    bar.stop();
  }
}

function print(result: Parameters<typeof formatReport>[0], json: boolean | undefined): void {
  process.stdout.write(json ? JSON.stringify(result) + '\n' : formatReport(result) + '\n');
}

export function register(program: Command): void {
  const perf = program.command('perf')
    .description('measure a Kafka broker: produce, consume and end-to-end throughput and latency');

  producerOptions(common(perf.command('produce')))
    .description('produce prebuilt record batches as fast as possible (or at --throughput) and report records/s, MB/s and latency')
    .addHelpText('after', `
Examples:
  strand perf produce --topic perf --num-records 5000000 --record-size 100 --throughput -1 --acks 1
  strand perf produce --topic perf-fsync --partitions 4 --topic-config flush.messages=1 --acks all -n 1000000`)
    .action(async (o: ProduceOptions) => {
      const result = await withProgress('produce', o, (hooks) => perfProduce({ ...settings(o), ...hooks, numRecords: o.numRecords, recordSize: o.recordSize, throughput: o.throughput, acks: o.acks, batchSize: o.batchSize, lingerMs: o.lingerMs, compression: o.compression, maxInFlight: o.maxInFlight }));
      print(result, o.json);
    });

  common(perf.command('consume'))
    .description('fetch records from a topic as fast as possible and report records/s, MB/s and fetch latency')
    .option('-n, --num-records <n>', 'records to read (default: all in the topic when the run starts)', intArg('--num-records', 0))
    .addOption(new Option('--from <where>', 'start at the earliest or the latest offsets').choices(['earliest', 'latest']).default('earliest'))
    .option('--fetch-size <bytes>', 'bytes per partition per fetch (max.partition.fetch.bytes)', intArg('--fetch-size', 1), 8 << 20)
    .option('--fetch-max-bytes <bytes>', 'bytes per fetch response (fetch.max.bytes)', intArg('--fetch-max-bytes', 1), 64 << 20)
    .option('--max-wait-ms <ms>', 'how long a fetch may wait for data (fetch.max.wait.ms)', intArg('--max-wait-ms'), 500)
    .option('--no-check-crcs', 'do not verify record batch CRC-32Cs')
    .addHelpText('after', `
Example:
  strand perf consume --topic perf --num-records 5000000`)
    .action(async (o: ConsumeOptions) => {
      const result = await withProgress('consume', o, (hooks) => perfConsume({ ...settings(o), ...hooks, numRecords: o.numRecords, from: o.from, fetchSize: o.fetchSize, fetchMaxBytes: o.fetchMaxBytes, maxWaitMs: o.maxWaitMs, checkCrcs: o.checkCrcs }));
      print(result, o.json);
    });

  producerOptions(common(perf.command('e2e')))
    .description('produce at --throughput while a consumer long-polls, and report produce-to-consume latency')
    .option('--max-wait-ms <ms>', 'how long the consumer\'s fetches may wait for data', intArg('--max-wait-ms'), 100)
    .addHelpText('after', `
Example:
  strand perf e2e --topic perf-e2e --num-records 1000000 --throughput 200000 --acks 1`)
    .action(async (o: ProduceOptions & { maxWaitMs: number }) => {
      if (o.recordSize < STAMP_BYTES) throw new UsageError(`perf e2e needs --record-size of at least ${STAMP_BYTES} (each batch carries its send time)`);
      const result = await withProgress('e2e', o, (hooks) => perfE2e({ ...settings(o), ...hooks, numRecords: o.numRecords, recordSize: o.recordSize, throughput: o.throughput, acks: o.acks, batchSize: o.batchSize, lingerMs: o.lingerMs, compression: o.compression, maxInFlight: o.maxInFlight, maxWaitMs: o.maxWaitMs }));
      print(result, o.json);
    });

  addClientOptions(perf.command('workload'))
    .description('run an OpenMessaging Benchmark workload file (topics, partitionsPerTopic, messageSize, producerRate, ...) and print OMB\'s JSON result')
    .argument('<file>', 'workload YAML in OMB\'s format')
    .option('--duration-seconds <s>', 'run this long instead of the file\'s testDurationMinutes', intArg('--duration-seconds', 1))
    .addOption(new Option('--acks <acks>', 'all (-1), 1 or 0').default(1).argParser(acksArg))
    .option('--topic-prefix <name>', 'topics are <prefix>-0, <prefix>-1, ... (default: omb-<time>, fresh each run)')
    .option('--topic-config <key=value>', 'topic config for the topics this run creates, repeatable', keyValueArg('--topic-config flush.ms=1000'))
    .addHelpText('after', `
Example:
  strand perf workload bench/workloads/1-topic-16-partitions-1kb.yaml --duration-seconds 60`)
    .action(async (file: string, o: ClientOptions & { durationSeconds?: number; acks: ProducerSettings['acks']; topicPrefix?: string; topicConfig?: Array<[string, string]> }) => {
      const result = await runWorkload(readWorkload(file), {
        bootstrap: o.bootstrap, timeoutMs: o.timeout, durationSeconds: o.durationSeconds, acks: o.acks, topicPrefix: o.topicPrefix,
        topicConfigs: pairsToRecord(o.topicConfig, '--topic-config'),
      });
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    });
}
