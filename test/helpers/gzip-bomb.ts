/**
 * A decompression bomb with well-formed records: one gzip batch holding a single record whose
 * value is `valueBytes` zeros. Compressed as a stream, so the zeros never exist in memory at
 * once; 1 GiB comes to about 1 MB (gzip's ratio on zeros is ~1000:1), under the default
 * max.message.bytes. Without a bound on decompression it is a valid batch.
 */
import { createGzip } from 'node:zlib';
import { ATTRIBUTES, BATCH_LENGTH, CRC, LOG_OVERHEAD, RECORDS } from '../../src/format/batch-header.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { sizeOfVarint, writeVarint } from '../../src/format/varint.js';
import { crc32c } from '../../src/io/index.js';

const MIB = 1024 * 1024;

export async function gzipBomb(valueBytes: number): Promise<Buffer> {
  // Record: length, attributes, timestamp delta, offset delta, key length (-1: null), value
  // length, value, header count.
  const head = Buffer.alloc(32);
  let pos = writeVarint(head, 0, 4 + sizeOfVarint(valueBytes) + valueBytes + 1);
  head[pos++] = 0;
  head[pos++] = 0;
  head[pos++] = 0;
  pos = writeVarint(head, pos, -1);
  pos = writeVarint(head, pos, valueBytes);
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (d: Buffer) => parts.push(d));
  const ended = new Promise((resolve) => gz.on('end', resolve));
  gz.write(head.subarray(0, pos));
  const zeros = Buffer.alloc(MIB);
  for (let left = valueBytes; left > 0; left -= MIB) {
    if (!gz.write(left >= MIB ? zeros : zeros.subarray(0, left))) await new Promise((r) => gz.once('drain', r));
  }
  gz.end(Buffer.from([0]));
  await ended;
  const header = encodeBatch([{ value: 'x' }]).subarray(0, RECORDS);
  const batch = Buffer.concat([header, ...parts]);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH);
  batch.writeInt16BE(batch.readInt16BE(ATTRIBUTES) | 1, ATTRIBUTES);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES)), CRC);
  return batch;
}
