/**
 * The JavaScript of a produce request, measured without the socket and without a profiler: the
 * broker's dispatcher is called in this process with Produce frames as `strand perf` sends them
 * (1,000 records of 100 bytes, acks=1, 2 partitions, topic flush.ms=1000), and the same native
 * work is done alone beside it (the CRC-32C, the record walk and the copy into a segment file of
 * a batch of the same size). The difference of their user CPU per request is the request's
 * JavaScript on the broker's produce path: header and body decoding, dispatch, the handler, the
 * log's bookkeeping and the response encoding (not the connection's socket work).
 *
 * User CPU counts only the time the process ran, so a machine shared with other work changes it
 * far less than wall time or a sampling profiler's shares; the two loops alternate in rounds so
 * both see the same load.
 *
 * Usage: tsx bench/produce-path.ts [rounds=10] [requests per round=500]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Broker } from '../src/broker/broker.js';
import { BrokerConfig } from '../src/broker/config.js';
import type { Connection } from '../src/broker/connection.js';
import { createDispatcher } from '../src/broker/dispatch.js';
import type { ApiRegistry } from '../src/broker/handlers/registry.js';
import { encodeBatch } from '../src/format/record-batch.js';
import { crc32c, io, recordSectionValid } from '../src/io/index.js';
import { encodeRequestFrame, unframe } from '../src/protocol/frame.js';
import { ProduceApi } from '../src/protocol/messages/index.js';

const ROUNDS = Number(process.argv[2] ?? 10);
const PER_ROUND = Number(process.argv[3] ?? 500);
const dir = mkdtempSync(join(tmpdir(), 'strand-produce-path-'));
const broker = await Broker.start(new BrokerConfig(new Map([['log.dirs', join(dir, 'broker')], ['listeners', 'PLAINTEXT://127.0.0.1:0']])), pino({ level: 'warn' }));
try {
  await broker.topics.create('perf', 2, new Map([['flush.ms', '1000']]));
  const registry = (broker as unknown as { registry: ApiRegistry }).registry;
  const version = registry.get(0)!.maxVersion;
  const dispatch = createDispatcher(broker, registry);
  const conn = { remote: '127.0.0.1:1', auth: { principal: 'User:ANONYMOUS', listener: { name: 'PLAINTEXT' } } } as unknown as Connection;
  const value = Buffer.alloc(100, 65);
  const batches = [0, 1, 2, 3].map(() => encodeBatch(Array.from({ length: 1000 }, () => ({ value }))));
  const frames = Array.from({ length: 8 }, (_, i) => unframe(Buffer.concat(encodeRequestFrame(ProduceApi, version, i, 'strand-perf', {
    transactionalId: null, acks: 1, timeoutMs: 60_000, topicData: [{ name: 'perf', partitionData: [{ index: i % 2, records: batches[i % 4]! }] }],
  }))));
  const requests = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const answer = dispatch(frames[i % 8]!, conn);
      if (answer instanceof Promise) await answer;
      if (i % 100 === 99) await new Promise((r) => setImmediate(r)); // the flush timers run, as between a socket's reads
    }
  };
  const file = io.openSegmentFile(join(dir, 'native.log'));
  const batch = batches[0]!;
  const native = (n: number): void => {
    for (let i = 0; i < n; i++) {
      crc32c(batch.subarray(21));
      recordSectionValid?.(batch, 61, batch.length, 1000, 999, true, false);
      file.append([batch]);
    }
  };
  const userMicros = (fn: () => unknown) => async () => {
    const before = process.cpuUsage();
    await fn();
    return process.cpuUsage(before).user;
  };
  const path = userMicros(() => requests(PER_ROUND));
  const alone = userMicros(() => native(PER_ROUND));
  // Warm up until the JIT has optimized the path (its compiler threads count in the process's CPU).
  for (let r = 0; r < 6; r++) await path();
  await alone();
  let pathUs = 0;
  let nativeUs = 0;
  for (let r = 0; r < ROUNDS; r++) {
    pathUs += await path();
    nativeUs += await alone();
    file.truncate(0); // the page cache stays the same size
  }
  file.close();
  const n = ROUNDS * PER_ROUND;
  console.log(`produce v${version}, ${n} requests of 1,000 x 100 B (${batch.length} bytes), user CPU per request: ` +
    `path ${(pathUs / n).toFixed(1)} µs, native work alone ${(nativeUs / n).toFixed(1)} µs, JavaScript ${((pathUs - nativeUs) / n).toFixed(1)} µs`);
} finally {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
}
