/**
 * `strand consume TOPIC`: print records of a topic's partitions (all, or --partition) from a
 * start point (the end by default; --from-beginning, --offset, --from-time), formatted with
 * --format, until Ctrl-C, --max-messages, or (--exit-at-end) the end of every partition.
 * No consumer group: positions are not committed.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { decodeRecords } from '../../client/records.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { addClientOptions, intArg, UsageError, type ClientOptions } from '../args.js';
import { compileFormat, FORMAT_HELP } from '../format.js';
import { unknownTopicError, withClient, writeOut } from '../session.js';

type Start = { kind: 'beginning' } | { kind: 'end' } | { kind: 'offset'; offset: number } | { kind: 'fromEnd'; count: number } | { kind: 'time'; ms: number };

interface ConsumeOptions extends ClientOptions {
  partition?: number;
  fromBeginning?: boolean;
  offset?: Start;
  fromTime?: number;
  format: string;
  maxMessages?: number;
  exitAtEnd?: boolean;
  maxWaitMs: number;
  fetchMaxBytes: number;
  verbose?: boolean;
}

function parseOffset(value: string): Start {
  const v = value.trim();
  if (v === 'beginning' || v === 'earliest') return { kind: 'beginning' };
  if (v === 'end' || v === 'latest') return { kind: 'end' };
  const n = Number(v);
  if (v === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError('--offset must be an offset, -N (N before the end), beginning or end.');
  return n >= 0 ? { kind: 'offset', offset: n } : { kind: 'fromEnd', count: -n };
}

function parseTime(value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('--from-time must be an ISO date (2024-05-01T12:00:00Z) or milliseconds since the epoch.');
  return ms;
}

export function register(program: Command): void {
  addClientOptions(program.command('consume'))
    .description('print records of a topic (from the end, unless told otherwise) until Ctrl-C')
    .argument('<topic>', 'topic to read')
    .option('-p, --partition <n>', 'read only this partition (default: all)', intArg('--partition'))
    .addOption(new Option('--from-beginning', 'start at the earliest offset still in the log').conflicts(['offset', 'fromTime']))
    .addOption(new Option('-o, --offset <offset>', 'start at this offset, -N for N before the end, beginning or end').argParser(parseOffset).conflicts(['fromTime']))
    .addOption(new Option('--from-time <time>', 'start at the first record at or after this time (ISO date or ms)').argParser(parseTime))
    .option('-F, --format <format>', 'output format per record (see below)', '%v\\n')
    .option('-n, --max-messages <n>', 'exit after printing this many records', intArg('--max-messages', 1))
    .option('-e, --exit-at-end', 'exit once every partition has been read to its end')
    .option('--max-wait-ms <ms>', 'how long a fetch waits for new records', intArg('--max-wait-ms'), 500)
    .option('--fetch-max-bytes <n>', 'bytes per fetch and partition at most', intArg('--fetch-max-bytes', 1024), 1024 * 1024)
    .option('-v, --verbose', 'report where each partition starts and the count at the end (to stderr)')
    .addHelpText('after', `
${FORMAT_HELP}

Examples:
  strand consume orders --from-beginning --exit-at-end
  strand consume orders -o 0 -F '%p:%o %k=%v [%h]\\n' -n 10`)
    .action(async (topic: string, options: ConsumeOptions) => {
      const render = compileFormat(options.format);
      await withClient(options, (client) => consume(client, topic, options, render));
    });
}

async function startOffset(client: KafkaClient, topic: string, partition: number, start: Start): Promise<number> {
  switch (start.kind) {
    case 'beginning':
      return (await client.listOffsets(topic, partition, 'earliest')).offset;
    case 'end':
      return (await client.listOffsets(topic, partition, 'latest')).offset;
    case 'offset':
      return start.offset;
    case 'fromEnd': {
      const [earliest, latest] = await Promise.all([client.listOffsets(topic, partition, 'earliest'), client.listOffsets(topic, partition, 'latest')]);
      return Math.max(earliest.offset, latest.offset - start.count);
    }
    case 'time': {
      const found = await client.listOffsets(topic, partition, start.ms);
      return found.offset >= 0 ? found.offset : (await client.listOffsets(topic, partition, 'latest')).offset;
    }
  }
}

async function consume(client: KafkaClient, topic: string, options: ConsumeOptions, render: ReturnType<typeof compileFormat>): Promise<void> {
  const md = await client.metadata([topic]);
  const info = md.topics.find((t) => t.name === topic);
  if (info?.error?.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || info === undefined) {
    throw unknownTopicError(topic);
  }
  if (info.error !== null) throw info.error;
  const all = info.partitions.map((p) => p.partition);
  if (options.partition !== undefined && !all.includes(options.partition)) {
    throw new UsageError(`${topic} has partitions ${all.join(', ')}; there is no partition ${options.partition}`);
  }
  const start: Start = options.fromBeginning ? { kind: 'beginning' } : options.fromTime !== undefined ? { kind: 'time', ms: options.fromTime } : options.offset ?? { kind: 'end' };
  const partitions = options.partition === undefined ? all : [options.partition];
  const positions = new Map<number, number>();
  for (const p of partitions) {
    positions.set(p, await startOffset(client, topic, p, start));
    if (options.verbose) process.stderr.write(`${topic}-${p}: starting at offset ${positions.get(p)}\n`);
  }

  let stopped = false;
  const onSignal = (): void => {
    if (stopped) process.exit(130);
    stopped = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let printed = 0;
  const atEnd = new Set<number>();
  let maxBytes = options.fetchMaxBytes;
  try {
    while (!stopped) {
      const wanted = partitions.filter((p) => !(options.exitAtEnd && atEnd.has(p)));
      if (wanted.length === 0) break;
      const results = await client.fetchMany(
        wanted.map((p) => ({ topic, partition: p, offset: positions.get(p)! })),
        { maxBytes, maxWaitMs: options.exitAtEnd ? 0 : options.maxWaitMs },
      );
      let out: Buffer[] = [];
      for (const r of results) {
        const position = positions.get(r.partition)!;
        if (r.error !== null) {
          if (r.error.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
            const reset = position < r.logStartOffset || r.logStartOffset < 0 ? 'earliest' : 'latest';
            const next = (await client.listOffsets(topic, r.partition, reset)).offset;
            process.stderr.write(`warning: offset ${position} is out of range in ${topic}-${r.partition}; continuing from the ${reset} offset ${next}\n`);
            positions.set(r.partition, next);
            continue;
          }
          if (r.error.retriable) {
            await client.metadata([topic]).catch(() => undefined);
            continue;
          }
          throw r.error;
        }
        const decoded = decodeRecords(r.records, position, `${topic}-${r.partition}`);
        if (decoded.batches === 0 && r.records.length > 0) maxBytes = Math.min(maxBytes * 2, 256 * 1024 * 1024);
        for (const record of decoded.records) {
          out.push(render(record, { topic, partition: r.partition }));
          printed++;
          if (options.maxMessages !== undefined && printed >= options.maxMessages) {
            stopped = true;
            break;
          }
        }
        positions.set(r.partition, decoded.nextOffset);
        if (decoded.nextOffset >= r.highWatermark) atEnd.add(r.partition);
        if (out.length >= 1024) {
          await writeOut(Buffer.concat(out));
          out = [];
        }
        if (stopped) break;
      }
      if (out.length > 0) await writeOut(Buffer.concat(out));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (options.verbose) process.stderr.write(`Processed a total of ${printed} messages\n`);
}
