/**
 * `strand dump-log PATH`: print the batches of segment files straight from disk, like Kafka's
 * kafka-dump-log (no broker involved). PATH is a `.log` segment, a partition directory (all its
 * segments in offset order), or an `.index` / `.timeindex` file. Every batch's CRC is checked;
 * a torn or corrupt tail is reported, and the exit code is 1 when anything is invalid.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import {
  ATTRIBUTES, COMPRESSION_MASK, CONTROL_MASK, LOG_OVERHEAD, RECORDS, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_MASK, readBatchHeader, readInt64,
} from '../../format/batch-header.js';
import { checkBatch, checkRecords, readBatchRecords } from '../../format/record-batch.js';
import type { StoredRecord } from '../../format/record.js';
import { INDEX_SUFFIX, LOG_SUFFIX, parseLogFileName, TIME_INDEX_SUFFIX } from '../../storage/file-names.js';
import { UsageError } from '../args.js';
import { writeOut } from '../session.js';

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

interface DumpOptions {
  printRecords?: boolean;
}

/** Buffers output lines and writes them in large chunks, honouring stdout back-pressure. */
class Out {
  private buf = '';
  line(s: string): Promise<void> | undefined {
    this.buf += s + '\n';
    return this.buf.length >= 65536 ? this.flush() : undefined;
  }
  async flush(): Promise<void> {
    const text = this.buf;
    this.buf = '';
    if (text !== '') await writeOut(text);
  }
}

export function register(program: Command): void {
  program
    .command('dump-log')
    .description('print the record batches of log segments read directly from disk (like kafka-dump-log)')
    .argument('<path>', 'a .log segment, a partition directory, or an .index/.timeindex file')
    .option('--print-records', 'also print every record: offset, timestamp, key, value, headers')
    .addHelpText('after', `
Examples:
  strand dump-log ./strand-data/orders-0
  strand dump-log ./strand-data/orders-0/00000000000000000000.log --print-records

Exit code 1 when a batch fails its CRC or the file ends in bytes that are not a whole batch.`)
    .action(async (path: string, options: DumpOptions) => {
      process.exitCode = (await dumpPath(path, options)) ? 0 : 1;
    });
}

/** Dump a file or directory; returns false if anything invalid was found. */
export async function dumpPath(path: string, options: DumpOptions): Promise<boolean> {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`${path} does not exist; give a .log segment file or a partition directory such as ./strand-data/orders-0`);
  }
  const out = new Out();
  let ok = true;
  if (stat.isDirectory()) {
    const logs = readdirSync(path)
      .map((name) => ({ name, base: parseLogFileName(name) }))
      .filter((f): f is { name: string; base: number } => f.base !== null)
      .sort((a, b) => a.base - b.base);
    if (logs.length === 0) throw new UsageError(`${path} holds no segment files (NNNNNNNNNNNNNNNNNNNN.log); give a partition directory such as ./strand-data/orders-0`);
    for (const f of logs) ok = (await dumpSegment(join(path, f.name), out, options)) && ok;
  } else if (path.endsWith(INDEX_SUFFIX) || path.endsWith(TIME_INDEX_SUFFIX)) {
    await dumpIndex(path, out);
  } else if (path.endsWith(LOG_SUFFIX)) {
    ok = await dumpSegment(path, out, options);
  } else {
    throw new UsageError(`${path} is not a .log, .index or .timeindex file`);
  }
  await out.flush();
  return ok;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) return buf.subarray(0, done);
    done += n;
  }
  return buf;
}

function isAllZero(fd: number, from: number, to: number): boolean {
  for (let pos = from; pos < to; pos += 65536) {
    const chunk = readAt(fd, pos, Math.min(65536, to - pos));
    for (let i = 0; i < chunk.length; i++) if (chunk[i] !== 0) return false;
  }
  return true;
}

function text(b: Buffer | null): string {
  return b === null ? 'null' : b.toString('utf8');
}

async function dumpSegment(path: string, out: Out, options: DumpOptions): Promise<boolean> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    await out.line(`Dumping ${path}`);
    const base = parseLogFileName(basename(path));
    await out.line(`Log starting offset: ${base ?? 'unknown (file name is not a base offset)'}`);
    let pos = 0;
    let ok = true;
    let batches = 0;
    while (pos < size) {
      const remaining = size - pos;
      const head = readAt(fd, pos, Math.min(RECORDS, remaining));
      if (head.length < LOG_OVERHEAD || head.readInt32BE(8) === 0) {
        if (isAllZero(fd, pos, size)) {
          await out.line(`${remaining} bytes of zeros (preallocated, unused space) from position ${pos}`);
          break;
        }
      }
      const batchSize = head.length >= LOG_OVERHEAD ? head.readInt32BE(8) + LOG_OVERHEAD : -1;
      if (head.length < RECORDS || batchSize < RECORDS || batchSize > remaining) {
        const why = head.length < RECORDS || batchSize > remaining
          ? `the batch at position ${pos} claims ${batchSize} bytes but the file ends after ${remaining} (torn write)`
          : `the batch at position ${pos} has an impossible length ${batchSize}`;
        await out.line(`Found ${remaining} invalid bytes at position ${pos}: ${why}`);
        ok = false;
        break;
      }
      const batch = readAt(fd, pos, batchSize);
      const problem = checkBatch(batch, 0, batchSize) ?? checkRecords(batch, 0, batchSize, false);
      if (problem !== null) ok = false;
      await printBatch(out, batch, pos, problem, options);
      batches++;
      pos += batchSize;
    }
    if (batches === 0 && pos === 0 && size === 0) await out.line('(empty segment)');
    return ok;
  } finally {
    closeSync(fd);
  }
}

async function printBatch(out: Out, batch: Buffer, position: number, problem: string | null, options: DumpOptions): Promise<void> {
  const h = readBatchHeader(batch, 0);
  const attributes = batch.readInt16BE(ATTRIBUTES);
  const tsType = (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 'LogAppendTime' : 'CreateTime';
  const lastSequence = h.baseSequence < 0 ? -1 : h.baseSequence + h.lastOffsetDelta;
  const crcValid = problem === null || !problem.startsWith('CRC');
  await out.line([
    `baseOffset: ${h.baseOffset}`,
    `lastOffset: ${h.baseOffset + h.lastOffsetDelta}`,
    `count: ${h.recordCount}`,
    `baseSequence: ${h.baseSequence}`,
    `lastSequence: ${lastSequence}`,
    `producerId: ${h.producerId}`,
    `producerEpoch: ${h.producerEpoch}`,
    `partitionLeaderEpoch: ${h.partitionLeaderEpoch}`,
    `isTransactional: ${(attributes & TRANSACTIONAL_MASK) !== 0}`,
    `isControl: ${(attributes & CONTROL_MASK) !== 0}`,
    `position: ${position}`,
    `baseTimestamp: ${h.baseTimestamp}`,
    `${tsType}: ${h.maxTimestamp}`,
    `size: ${batch.length}`,
    `magic: ${h.magic}`,
    `compresscodec: ${CODECS[attributes & COMPRESSION_MASK] ?? attributes & COMPRESSION_MASK}`,
    `crc: ${h.crc}`,
    `crcValid: ${crcValid}`,
  ].join(' '));
  if (problem !== null) await out.line(`  invalid batch: ${problem}`);
  if (!options.printRecords || problem !== null) return;
  const records: StoredRecord[] = [];
  try {
    readBatchRecords(batch, 0, batch.length, records);
  } catch (err) {
    await out.line(`  cannot read records: ${(err as Error).message}`);
    return;
  }
  for (const r of records) {
    const sequence = h.baseSequence < 0 ? -1 : h.baseSequence + (r.offset - h.baseOffset);
    const headers = r.headers.map((x) => `${x.key}=${text(x.value)}`).join(', ');
    await out.line(
      `| offset: ${r.offset} ${tsType}: ${r.timestamp} keySize: ${r.key?.length ?? -1} valueSize: ${r.value?.length ?? -1} sequence: ${sequence}`
      + ` headers: [${headers}] key: ${text(r.key)} payload: ${text(r.value)}`,
    );
  }
}

async function dumpIndex(path: string, out: Out): Promise<void> {
  const time = path.endsWith(TIME_INDEX_SUFFIX);
  const entry = time ? 12 : 8;
  const stem = basename(path, time ? TIME_INDEX_SUFFIX : INDEX_SUFFIX);
  const base = /^\d{20}$/.test(stem) ? Number(stem) : 0;
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    await out.line(`Dumping ${path}`);
    const data = readAt(fd, 0, size - (size % entry));
    for (let i = 0; i < data.length / entry; i++) {
      const at = i * entry;
      // Preallocated index space is zero-filled: an all-zero entry after the first ends the index.
      if (i > 0 && data.subarray(at, at + entry).every((b) => b === 0)) break;
      if (time) await out.line(`timestamp: ${readInt64(data, at)} offset: ${base + data.readInt32BE(at + 8)}`);
      else await out.line(`offset: ${base + data.readInt32BE(at)} position: ${data.readInt32BE(at + 4)}`);
    }
    if (size % entry !== 0) await out.line(`${size % entry} trailing bytes are not a whole ${entry}-byte entry`);
  } finally {
    closeSync(fd);
  }
}
