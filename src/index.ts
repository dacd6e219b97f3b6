/**
 * strand's public API: the embedded log and store. Nothing outside this module is public.
 *
 * @example
 * ```ts
 * import { openLog } from 'strand';
 * const log = await openLog('./data/orders', { flush: 'always' });
 * const { baseOffset } = await log.append([{ key: 'k', value: 'hello' }]);
 * const { records } = await log.read(baseOffset);
 * await log.close();
 * ```
 */
import type { LogConfig } from './storage/log-config.js';
import type { Log } from './storage/log.js';
import { openLogDirectory } from './storage/open-log.js';
import { Store, type StoreOptions } from './storage/store.js';
import type { RunningBroker, StartBrokerOptions } from './broker/index.js';

export type { Log, AppendResult, ReadResult } from './storage/log.js';
export type { Store, StoreOptions, PartitionRef } from './storage/store.js';
export type { LogConfig, FlushPolicy, CleanupPolicy } from './storage/log-config.js';
export type { CompactOptions, CompactResult } from './storage/cleaner/clean-log.js';
export type { CleanOptions, LogCleanerOptions } from './storage/cleaner/log-cleaner.js';
export type { RecordInput, StoredRecord, RecordHeader } from './format/record.js';
export { encodeBatch } from './format/record-batch.js';
export {
  StrandError, CorruptBatchError, InvalidRecordError, OffsetOutOfRangeError, RecordTooLargeError, ClosedError,
  DirectoryLockedError, InvalidArgumentError, StorageIOError, BackendUnavailableError, DecompressedTooLargeError, KafkaErrorCode,
} from './errors.js';

/** Options of {@link openLog}: Kafka's per-log settings under camelCase names. */
export type OpenLogOptions = Partial<LogConfig>;

/**
 * Open (creating if needed) a single-partition log in `dir`. The directory is locked for this
 * process until `close()`. If the previous run did not close cleanly, the log is recovered:
 * a torn or corrupt tail is truncated with a warning and never served.
 *
 * @param dir - directory of the log's segment files
 * @param options - `segmentBytes`, `segmentMs`, `retentionMs`, `retentionBytes`, `maxMessageBytes`,
 *   `indexIntervalBytes`, and `flush`: `'none'` (default; durable on `sync()`/`close()`),
 *   `'always'` (each append resolves once fsynced; concurrent appends share an fsync) or
 *   `{ intervalMs }` (appends resolve at the next periodic group fsync); and `compression`
 *   (Kafka's compression.type): `'producer'` (default: batches are stored as appended),
 *   `'none'`/`'uncompressed'`, `'gzip'`, `'snappy'`, `'lz4'` or `'zstd'`: appends are stored in
 *   that codec, large ones compressed in the shared worker pool; reads decompress transparently.
 *   Compaction: `cleanupPolicy` ('delete' by default; 'compact' or 'compact,delete' keep the latest
 *   record of each key), `deleteRetentionMs`, `minCompactionLagMs`, `maxCompactionLagMs`,
 *   `minCleanableDirtyRatio`; `log.compact()` compacts now (a store's cleaner does it in the
 *   background: `openStore(dir, { cleaner: true })`, or `store.clean()`).
 */
export function openLog(dir: string, options: OpenLogOptions = {}): Promise<Log> {
  return openLogDirectory(dir, options);
}

/**
 * Open (creating if needed) a data directory of `<topic>-<partition>` logs, laid out as Kafka
 * lays out its log dirs.
 *
 * @example
 * ```ts
 * const store = await openStore('./strand-data');
 * const p = await store.partition('orders', 0, { create: true });
 * await p!.append([{ value: 'v' }]);
 * await store.close();
 * ```
 */
export function openStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  return Store.open(dataDir, options);
}

export type { StartBrokerOptions, RunningBroker } from './broker/index.js';

/**
 * Start a broker in this process (see {@link StartBrokerOptions}). The broker's modules load at
 * the first call, so an application that only uses {@link openLog} or {@link openStore} does not
 * load them.
 */
export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  return (await import('./broker/index.js')).startBroker(options);
}
