/**
 * Record-section compression codecs (attributes bits 0-2). gzip comes from node:zlib; the other
 * codecs are registered by the compression module when it is loaded.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptBatchError, KafkaErrorCode, StrandError } from '../errors.js';

export interface Codec {
  compress(data: Buffer): Buffer;
  decompress(data: Buffer): Buffer;
}

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const codecs = new Map<number, Codec>([[1, { compress: (d) => gzipSync(d), decompress: (d) => gunzipSync(d) }]]);

/** Register (or replace) the implementation of a codec id. */
export function registerCodec(id: number, codec: Codec): void {
  codecs.set(id, codec);
}

export function codecFor(id: number): Codec {
  const codec = codecs.get(id);
  if (codec === undefined) {
    throw new StrandError(`compression codec ${NAMES[id] ?? id} is not available`, 'ERR_STRAND_UNSUPPORTED_COMPRESSION', KafkaErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  }
  return codec;
}

export function decompressRecords(id: number, data: Buffer): Buffer {
  const codec = codecFor(id);
  try {
    return codec.decompress(data);
  } catch (err) {
    throw new CorruptBatchError(`${NAMES[id] ?? id} records do not decompress: ${(err as Error).message}`);
  }
}
