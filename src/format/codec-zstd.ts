/**
 * zstd decompression with a bound on its output, on `zstd-napi`'s binding (libzstd's
 * ZSTD_decompressStream). The package's own `decompress` trusts a frame's declared content size
 * and otherwise inflates everything; a decompression bomb must be stopped once it produces more
 * than the bound instead.
 *
 * Frames that declare their content size (what zstd's one-shot compressors write) are refused
 * from their headers alone when the declared total is over the bound, and otherwise decompressed
 * into a buffer of exactly that size (a frame that produces more fails: the buffer is full).
 * Frames without it (streaming compressors: zstd-jni's output stream, librdkafka) are
 * decompressed chunk by chunk, and refused as soon as the output passes the bound.
 */
import { CorruptBatchError, DecompressedTooLargeError } from '../errors.js';

/** The part of zstd-napi's `binding` module used here. */
export interface ZstdBinding {
  DCtx: new () => ZstdDCtx;
  ResetDirective: { sessionOnly: number };
  getFrameContentSize(frame: Uint8Array): number | null;
  findFrameCompressedSize(frame: Uint8Array): number;
  dStreamOutSize(): number;
}

interface ZstdDCtx {
  decompress(dst: Uint8Array, src: Uint8Array): number;
  decompressStream(dst: Uint8Array, src: Uint8Array): [ret: number, produced: number, consumed: number];
  reset(directive: number): void;
}

/** Sum of the content sizes the frames of `data` declare; null when one does not. */
function declaredSize(zstd: ZstdBinding, data: Buffer): number | null {
  let total = 0;
  for (let frame = data; frame.length > 0;) {
    const size = zstd.getFrameContentSize(frame);
    if (size === null) return null;
    total += size;
    frame = frame.subarray(zstd.findFrameCompressedSize(frame));
  }
  return total;
}

function tooLarge(limit: number): DecompressedTooLargeError {
  return new DecompressedTooLargeError(`zstd records decompress to more than ${limit} bytes`, limit);
}

// One context per thread (each worker has its own module instance); reset before every use, so
// a frame that failed half way leaves nothing behind.
let dctx: ZstdDCtx | null = null;

export function zstdDecompressBounded(zstd: ZstdBinding, data: Buffer, limit: number): Buffer {
  dctx ??= new zstd.DCtx();
  dctx.reset(zstd.ResetDirective.sessionOnly);
  const declared = declaredSize(zstd, data);
  if (declared !== null) {
    if (declared > limit) throw tooLarge(limit);
    const out = Buffer.allocUnsafe(declared);
    const n = dctx.decompress(out, data);
    if (n !== declared) throw new CorruptBatchError(`zstd frames declare ${declared} bytes but hold ${n}`);
    return out;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let src = data;
  let chunkSize = Math.max(zstd.dStreamOutSize(), data.length * 4);
  for (;;) {
    // Never room for more than one byte past the bound: that byte is enough to refuse.
    const dst = Buffer.allocUnsafe(Math.min(chunkSize, limit + 1 - total));
    const [ret, produced, consumed] = dctx.decompressStream(dst, src);
    if (produced > 0) chunks.push(dst.subarray(0, produced));
    total += produced;
    if (total > limit) throw tooLarge(limit);
    src = src.subarray(consumed);
    if (src.length === 0 && ret === 0) break;
    if (produced === 0 && consumed === 0) throw new CorruptBatchError('zstd frame is truncated');
    chunkSize *= 2;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
