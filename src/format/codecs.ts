/**
 * Record-section compression codecs (attributes bits 0-2), byte-compatible with Kafka's Java
 * client and librdkafka:
 *
 *   1 gzip    node:zlib (a standard gzip stream, as java.util.zip writes)
 *   2 snappy  `snappy` (napi-rs) blocks in xerial framing on write; xerial or raw on read
 *   3 lz4     `lz4-napi` (lz4_flex) blocks in an LZ4 frame with Kafka's settings on write; any frame on read
 *   4 zstd    `zstd-napi` (libzstd), standard frames
 *
 * The native packages load on first use: a codec whose package is missing fails with
 * UNSUPPORTED_COMPRESSION_TYPE when used, and nothing else is affected.
 */
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptBatchError, DecompressedTooLargeError, KafkaErrorCode, StrandError } from '../errors.js';
import { Compression, type CompressionName } from './batch-header.js';
import { lz4DecompressedBound, lz4FrameCompress } from './codec-lz4.js';
import { snappyDecompressedSize, xerialCompress, xerialDecompress } from './codec-snappy.js';
import { type ZstdBinding, zstdDecompressBounded } from './codec-zstd.js';

export interface Codec {
  /** `level` is the codec's own scale (gzip 1-9, zstd -131072..22); undefined means its default. */
  compress(data: Buffer, level?: number): Buffer;
  /**
   * With `maxBytes`, output beyond that many bytes is never produced: DecompressedTooLargeError
   * instead (from the declared sizes in the framing where the format has them, else as soon as
   * the stream passes the bound).
   */
  decompress(data: Buffer, maxBytes?: number): Buffer;
}

export const CODEC_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const require = createRequire(import.meta.url);

interface SnappyLib {
  compressSync(input: Uint8Array, options?: { copyOutputData?: boolean }): Buffer;
  uncompressSync(input: Uint8Array, options?: { asBuffer?: boolean; copyOutputData?: boolean }): Buffer | string;
}
interface Lz4Lib {
  compressSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
}
interface ZstdLib {
  compress(data: Uint8Array, params?: { compressionLevel?: number }): Buffer;
  decompress(data: Uint8Array): Buffer;
}

/** Load a codec package once; remember the failure so every use reports it the same way. */
function lazy<T>(pkg: string): () => T {
  let lib: T | undefined;
  let failure: Error | undefined;
  return () => {
    if (lib !== undefined) return lib;
    if (failure === undefined) {
      try {
        lib = require(pkg) as T;
        return lib;
      } catch (err) {
        failure = err as Error;
      }
    }
    throw new StrandError(`compression package ${pkg} cannot be loaded: ${failure.message}`, 'ERR_STRAND_UNSUPPORTED_COMPRESSION', KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE, { cause: failure });
  };
}
const snappyLib = lazy<SnappyLib>('snappy');
const lz4Lib = lazy<Lz4Lib>('lz4-napi');
const zstdLib = lazy<ZstdLib>('zstd-napi');
const zstdBinding = lazy<ZstdBinding>('zstd-napi/binding');

function tooLarge(codec: string, limit: number): DecompressedTooLargeError {
  return new DecompressedTooLargeError(`${codec} records decompress to more than ${limit} bytes`, limit);
}

const gzip: Codec = {
  // Kafka's compression.gzip.level -1 means the library default (6), as does undefined here.
  compress: (d, level) => gzipSync(d, level === undefined || level < 0 ? {} : { level }),
  decompress: (d, maxBytes) => {
    if (maxBytes === undefined) return gunzipSync(d);
    try {
      // zlib stops inflating once its output passes maxOutputLength (checked chunk by chunk);
      // it takes no bound below 1.
      const out = gunzipSync(d, { maxOutputLength: Math.max(1, maxBytes) });
      if (out.length > maxBytes) throw tooLarge('gzip', maxBytes);
      return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('gzip', maxBytes);
      throw err;
    }
  },
};

// copyOutputData: results in ordinary Buffers instead of external ones. External buffers are
// freed by finalizers that wait for the event loop to turn, so a thread compressing in a loop
// (or one large batch, chunk by chunk) held every chunk until then: RSS grew by ~1 MiB per
// 1 MiB batch in a tight loop, and the copy made compression ~3x faster here, not slower.
const snappy: Codec = {
  compress: (d) => xerialCompress(d, (block) => snappyLib().compressSync(block, COPY_OUT)),
  decompress: (d, maxBytes) => {
    // Each block's preamble is the exact length snappy's decoder will produce.
    if (maxBytes !== undefined && snappyDecompressedSize(d) > maxBytes) throw tooLarge('snappy', maxBytes);
    return xerialDecompress(d, (block) => snappyLib().uncompressSync(block, { asBuffer: true, copyOutputData: true }) as Buffer);
  },
};
const COPY_OUT = { copyOutputData: true };

const lz4: Codec = {
  // lz4_flex has one speed (no HC levels), so compression.lz4.level is accepted and ignored.
  compress: (d) => lz4FrameCompress(d, lz4Lib().compressSync),
  // lz4-napi decodes a whole frame at once, so the bound is checked on the framing first. The
  // framing overestimates by up to a block (the last one is partial): within one block of the
  // bound the frames are decoded (holding at most one block more than the bound) and measured.
  decompress: (d, maxBytes) => {
    if (maxBytes === undefined) return lz4Lib().decompressFrameSync(d);
    const bound = lz4DecompressedBound(d);
    if (bound.bytes > maxBytes + bound.blockMax) throw tooLarge('lz4', maxBytes);
    const out = lz4Lib().decompressFrameSync(d);
    if (out.length > maxBytes) throw tooLarge('lz4', maxBytes);
    return out;
  },
};

const zstd: Codec = {
  compress: (d, level) => zstdLib().compress(d, level === undefined ? undefined : { compressionLevel: level }),
  decompress: (d, maxBytes) => (maxBytes === undefined ? zstdLib().decompress(d) : zstdDecompressBounded(zstdBinding(), d, maxBytes)),
};

const codecs = new Map<number, Codec>([[1, gzip], [2, snappy], [3, lz4], [4, zstd]]);

/** Register (or replace) the implementation of a codec id. */
export function registerCodec(id: number, codec: Codec): void {
  codecs.set(id, codec);
}

function unsupported(id: number): StrandError {
  return new StrandError(`compression codec ${CODEC_NAMES[id] ?? id} is not available`, 'ERR_STRAND_UNSUPPORTED_COMPRESSION', KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
}

export function codecFor(id: number): Codec {
  const codec = codecs.get(id);
  if (codec === undefined) throw unsupported(id);
  return codec;
}

/** The codec id of a name ('uncompressed' is Kafka's topic-config spelling of 'none'). */
export function codecId(name: CompressionName | 'uncompressed' | number): number {
  if (typeof name === 'number') {
    if (!Number.isInteger(name) || name < 0 || name > 4) throw unsupported(name);
    return name;
  }
  const id = name === 'uncompressed' ? 0 : Compression[name];
  if (id === undefined) throw new StrandError(`unknown compression codec ${String(name)}`, 'ERR_STRAND_UNSUPPORTED_COMPRESSION', KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  return id;
}

export function compressRecords(id: number, data: Buffer, level?: number): Buffer {
  return codecFor(id).compress(data, level);
}

/** The records section `data` decompressed; with `maxBytes`, refused past that size (see Codec). */
export function decompressRecords(id: number, data: Buffer, maxBytes?: number): Buffer {
  const codec = codecFor(id);
  try {
    return codec.decompress(data, maxBytes === undefined || maxBytes === Infinity ? undefined : maxBytes);
  } catch (err) {
    if (err instanceof StrandError) throw err;
    throw new CorruptBatchError(`${CODEC_NAMES[id] ?? id} records do not decompress: ${(err as Error).message}`);
  }
}
