/**
 * LZ4 as Kafka writes it (`Lz4BlockOutputStream`, the LZ4 frame format v1.5.1 with Kafka's
 * defaults): 64 KiB independent blocks, no block checksums, no content size, no content checksum.
 * `lz4-napi` compresses the blocks (its own frame encoder picks up to 4 MiB blocks for larger
 * input and exposes no setting for it), so the frame around them is written here; the header
 * is a constant. Frames are read with `lz4-napi`'s full frame decoder, which takes any frame
 * (librdkafka's content size and checksum, other block sizes, linked blocks).
 *
 *   magic 0x184D2204 (LE) | FLG 0x60 (version 01, independent blocks) | BD 0x40 (64 KiB)
 *   | HC 0x82 (second byte of xxh32(FLG BD)) | blocks: uint32 LE size (high bit: stored
 *   uncompressed) + data | end mark uint32 0
 */
import { CorruptBatchError } from '../errors.js';

export const LZ4_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
export const LZ4_BLOCK_SIZE = 64 * 1024;
const UNCOMPRESSED = 0x80000000;

/**
 * `compressPrependSize` is lz4-napi's `compressSync`: an LZ4 block preceded by the input length
 * as uint32 LE (lz4_flex's compress_prepend_size); the prefix is dropped.
 */
export function lz4FrameCompress(data: Buffer, compressPrependSize: (block: Buffer) => Buffer): Buffer {
  const blocks: Buffer[] = [];
  let total = LZ4_FRAME_HEADER.length + 4;
  for (let pos = 0; pos < data.length; pos += LZ4_BLOCK_SIZE) {
    const raw = data.subarray(pos, Math.min(pos + LZ4_BLOCK_SIZE, data.length));
    const packed = compressPrependSize(raw).subarray(4);
    // Incompressible input is stored as is, as LZ4F and Kafka do.
    blocks.push(packed.length < raw.length ? packed : raw);
    total += 4 + Math.min(packed.length, raw.length);
  }
  const out = Buffer.allocUnsafe(total);
  LZ4_FRAME_HEADER.copy(out, 0);
  let pos = LZ4_FRAME_HEADER.length;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    const rawLen = Math.min(LZ4_BLOCK_SIZE, data.length - i * LZ4_BLOCK_SIZE);
    out.writeUInt32LE(block.length < rawLen ? block.length : (block.length | UNCOMPRESSED) >>> 0, pos);
    out.set(block, pos + 4);
    pos += 4 + block.length;
  }
  out.writeUInt32LE(0, pos);
  return out;
}

const FRAME_MAGIC = 0x184d2204;
/** Skippable frames: magic 0x184D2A50-0x184D2A5F, uint32 LE size, data. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** BD bits 4-6: block maximum size id 4-7 = 64 KiB, 256 KiB, 1 MiB, 4 MiB. */
const BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

export interface Lz4Bound {
  /** At least the decompressed size. */
  bytes: number;
  /** Largest block maximum size among the frames (what `bytes` may overestimate per frame). */
  blockMax: number;
}

/**
 * An upper bound of the bytes the LZ4 frames of `data` decompress to, read from their framing
 * alone: a block stored uncompressed holds its own length, a compressed one at most the frame's
 * block maximum size (decoders refuse a block that produces more). A full frame walk that
 * decompresses nothing, so a bound can be checked first; it overestimates by less than one block
 * per frame (the last block is usually partial). Throws CorruptBatchError when the framing is
 * malformed.
 */
export function lz4DecompressedBound(data: Buffer): Lz4Bound {
  let total = 0;
  let largest = 0;
  let pos = 0;
  const need = (n: number, what: string) => {
    if (data.length - pos < n) throw new CorruptBatchError(`lz4 frame: ${what} at byte ${pos} is truncated`);
  };
  while (pos < data.length) {
    need(4, 'magic');
    const magic = data.readUInt32LE(pos);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      need(8, 'skippable frame');
      pos += 8 + data.readUInt32LE(pos + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new CorruptBatchError(`lz4 frame: bad magic 0x${magic.toString(16)} at byte ${pos}`);
    need(7, 'frame header');
    const flg = data[pos + 4]!;
    const blockMax = BLOCK_MAX[(data[pos + 5]! >> 4) & 7]!;
    if (blockMax === 0) throw new CorruptBatchError(`lz4 frame: bad block maximum size at byte ${pos + 5}`);
    largest = Math.max(largest, blockMax);
    pos += 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    const blockChecksum = flg & 0x10 ? 4 : 0;
    for (;;) {
      need(4, 'block size');
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = (word & ~UNCOMPRESSED) >>> 0;
      need(size + blockChecksum, 'block');
      total += (word & UNCOMPRESSED) !== 0 ? size : blockMax;
      pos += size + blockChecksum;
    }
    if (flg & 0x04) pos += 4; // content checksum
  }
  if (pos > data.length) throw new CorruptBatchError('lz4 frame: truncated after its last block');
  return { bytes: total, blockMax: largest };
}
