/** Load shared by every end-to-end run (strand, the TCP sink, kcat, Redis, NATS): same records, same pressure. */
import { SCALE } from '../lib.js';

export const RECORD_SIZE = 100;
/** Records per batch (strand), per pipeline (Redis); NATS publishes one by one with this many x IN_FLIGHT outstanding. */
export const BATCH = 1000;
/** Partitions of strand's topic; Redis streams and NATS subjects written round-robin. */
export const PARTITIONS = Number(process.env.STRAND_BENCH_PARTITIONS ?? '2');
/** Connections per server. */
export const CONNECTIONS = Number(process.env.STRAND_BENCH_CONNECTIONS ?? '2');
/** Requests (batches, pipelines) in flight per connection. */
export const IN_FLIGHT = 5;
/** Records per throughput run. */
export const RECORDS = Math.max(50_000, Math.round((6_000_000 * SCALE) / BATCH) * BATCH);

/** Random upper-case letters (as kafka-producer-perf-test's payloads), `count` values of RECORD_SIZE bytes cut from one pool. */
export function payloads(count: number): Buffer[] {
  const pool = Buffer.allocUnsafe(1 << 20);
  for (let i = 0; i < pool.length; i++) pool[i] = 65 + Math.floor(Math.random() * 26);
  return Array.from({ length: count }, () => {
    const at = Math.floor(Math.random() * (pool.length - RECORD_SIZE));
    return pool.subarray(at, at + RECORD_SIZE);
  });
}
