/**
 * Chooses the I/O backend once per process (or worker): the native addon by default, the
 * portable one (node:fs + WebAssembly CRC-32C) when the addon cannot load.
 * `STRAND_BACKEND=native|portable` forces one; forcing `native` fails loudly if it is missing.
 */
import { BackendUnavailableError } from '../errors.js';
import { logger } from '../logger.js';
import { loadNativeBackend } from './native.js';
import { loadPortableBackend } from './portable.js';
import type { IoBackend } from './types.js';

export type { IoBackend, SegmentFile, OpenSegmentFileOptions, FsyncKind, FileSyncKind } from './types.js';
export { skippedFsync } from './fault.js';

function chooseBackend(): IoBackend {
  const forced = process.env.STRAND_BACKEND;
  if (forced !== undefined && forced !== '' && forced !== 'native' && forced !== 'portable') {
    throw new BackendUnavailableError(`STRAND_BACKEND=${forced} is not a backend; use STRAND_BACKEND=native or STRAND_BACKEND=portable`);
  }
  if (forced === 'portable') {
    const backend = loadPortableBackend();
    logger.info({ backend: backend.name }, 'storage backend: portable (forced by STRAND_BACKEND)');
    return backend;
  }
  try {
    const backend = loadNativeBackend();
    logger.info({ backend: backend.name }, 'storage backend: native addon');
    return backend;
  } catch (err) {
    if (forced === 'native') throw err;
    const backend = loadPortableBackend();
    logger.warn({ backend: backend.name, reason: (err as Error).message }, 'storage backend: portable (native addon unavailable; run `npm run build:native` to build it)');
    return backend;
  }
}

/** The active backend of this process. */
export const io: IoBackend = chooseBackend();

/** CRC-32C (Castagnoli) with the active backend's kernel. */
export const crc32c: (data: Uint8Array, seed?: number) => number = io.crc32c;

/**
 * The native record walk's verdict (see IoBackend.recordSectionValid), or null with the portable
 * backend, where the JS walk of src/format/record-batch.ts is the only one.
 */
export const recordSectionValid: NonNullable<IoBackend['recordSectionValid']> | null = io.recordSectionValid ?? null;
