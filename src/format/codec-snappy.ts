/**
 * Snappy as Kafka's Java client writes it: xerial snappy-java's `SnappyOutputStream` framing
 * around raw snappy blocks (the blocks come from the `snappy` package; only the framing is here).
 *
 *   magic 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00 | int32 version (1) | int32 compatible version (1)
 *   then chunks: int32 big-endian compressed length | raw snappy block of <= 32 KiB of input
 *
 * Reading also takes plain unframed snappy (what librdkafka writes) and, like snappy-java,
 * streams concatenated after each other (a magic where a chunk length is expected).
 */
import { CorruptBatchError } from '../errors.js';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size (SnappyOutputStream.DEFAULT_BLOCK_SIZE), which Kafka uses. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;

export function isXerial(data: Uint8Array, pos = 0): boolean {
  if (data.length - pos < XERIAL_HEADER_SIZE) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[pos + i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

export function xerialCompress(data: Buffer, compressBlock: (block: Buffer) => Buffer): Buffer {
  const blocks: Buffer[] = [];
  let total = XERIAL_HEADER_SIZE;
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = compressBlock(data.subarray(pos, Math.min(pos + XERIAL_BLOCK_SIZE, data.length)));
    blocks.push(block);
    total += 4 + block.length;
  }
  const out = Buffer.allocUnsafe(total);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8);
  out.writeInt32BE(1, 12);
  let pos = XERIAL_HEADER_SIZE;
  for (const block of blocks) {
    out.writeInt32BE(block.length, pos);
    out.set(block, pos + 4);
    pos += 4 + block.length;
  }
  return out;
}

/**
 * Calls `chunk(start, end)` for each compressed chunk of a xerial stream (after its header),
 * skipping the headers of concatenated streams; throws CorruptBatchError on bad framing.
 */
function forEachXerialChunk(data: Buffer, chunk: (start: number, end: number) => void): void {
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (isXerial(data, pos)) {
      pos += XERIAL_HEADER_SIZE;
      continue;
    }
    if (data.length - pos < 4) throw new CorruptBatchError(`xerial snappy: ${data.length - pos} stray bytes at ${pos}`);
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw new CorruptBatchError(`xerial snappy: chunk of ${len} bytes at ${pos - 4} overruns the ${data.length}-byte stream`);
    chunk(pos, pos + len);
    pos += len;
  }
}

export function xerialDecompress(data: Buffer, uncompressBlock: (block: Buffer) => Buffer): Buffer {
  if (!isXerial(data)) return uncompressBlock(data);
  const parts: Buffer[] = [];
  let total = 0;
  forEachXerialChunk(data, (start, end) => {
    const part = uncompressBlock(data.subarray(start, end));
    parts.push(part);
    total += part.length;
  });
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

/**
 * The uncompressed length a raw snappy block declares (its varint32 preamble), which snappy's
 * decoder holds the block to; -1 when the preamble is malformed.
 */
function snappyBlockLength(data: Buffer, pos: number, end: number): number {
  let value = 0;
  for (let shift = 0, i = pos; i < end && shift <= 28; shift += 7, i++) {
    const b = data[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return value;
  }
  return -1;
}

/**
 * What `xerialDecompress` would produce, in bytes, read from the block preambles without
 * decompressing anything: a bound can be checked before a single byte is inflated.
 */
export function snappyDecompressedSize(data: Buffer): number {
  if (!isXerial(data)) {
    const n = snappyBlockLength(data, 0, data.length);
    if (n < 0) throw new CorruptBatchError('snappy: malformed length preamble');
    return n;
  }
  let total = 0;
  forEachXerialChunk(data, (start, end) => {
    const n = snappyBlockLength(data, start, end);
    if (n < 0) throw new CorruptBatchError(`xerial snappy: chunk at ${start - 4} has a malformed length preamble`);
    total += n;
  });
  return total;
}
