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
