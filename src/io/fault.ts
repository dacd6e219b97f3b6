/**
 * TEST-ONLY fault switch for the power-cut tests: `STRAND_FAULT_SKIP_FSYNC=<kind>` makes the
 * backend skip every fsync of that kind (see FsyncKind in types.ts: active, roll, index, dir,
 * snapshot, checkpoint) while reporting success, so a test can prove that losing that one fsync
 * loses acknowledged data. Read once when the backend loads. Never set it in production: it
 * turns durability off for that kind of file.
 */
import { InvalidArgumentError } from '../errors.js';
import { FSYNC_KINDS, type FsyncKind } from './types.js';

function parse(value: string | undefined): FsyncKind | null {
  if (value === undefined || value === '') return null;
  if (!(FSYNC_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`STRAND_FAULT_SKIP_FSYNC=${value} is not an fsync kind; use one of ${FSYNC_KINDS.join(', ')}`);
  }
  return value as FsyncKind;
}

/** The fsync kind skipped in this process, or null (always null outside fault tests). */
export const skippedFsync: FsyncKind | null = parse(process.env.STRAND_FAULT_SKIP_FSYNC);
