/**
 * Charging a request to its quotas and throttling as Kafka does since KIP-219: the response
 * goes out at once carrying `throttle_time_ms`, and the connection is not read again until that
 * time has passed (the client is expected to wait too). For a request version older than
 * KIP-219's bump the client does not know to wait, so the response itself is held back for the
 * throttle time, as Kafka did before. Produce is charged its request size
 * (producer_byte_rate), Fetch its records' bytes (consumer_byte_rate; a follower's fetch is
 * exempt, as replication has its own throttle), every request its handling time
 * (request_percentage); the throttle is the largest of them.
 *
 * A consumer's Fetch is charged by its handler before it answers (chargeFetch, through the
 * request context), as Kafka's handleFetchRequest does: request time first, then the bytes of
 * the partitions the answer would carry; when either quota is violated the bytes are unrecorded
 * (unrecordQuotaSensor) and the answer is empty, carrying only throttle_time_ms, and the fetch
 * session does not learn what that answer did not say. Kafka also caps a consumer's fetch at
 * what the quota allows in its measured windows (getMaxValueInQuotaWindow: bound x (samples - 1)
 * x window seconds), so one answer is never larger than a quota can ever let through (fetchBudget).
 * Kafka counts a Fetch's whole response size; this counts its record bytes, which are nearly
 * all of it.
 *
 * Request time (request_percentage), Kafka's io-thread time from a request's dequeue to its
 * local completion (waits in a purgatory excluded): strand counts the time on the event loop of
 * the handler's synchronous part; for a Produce with acks 0 or 1 the whole time to its answer
 * (its only waits are the worker pool's validation and recompression of its batches, the work
 * Kafka's io thread does itself); for a consumer's Fetch the time to its answer less its long
 * poll. Other asynchronous handlers (acks=all, the group and transaction coordinators) are
 * charged their synchronous part only: what they await is mostly replication and other
 * clients, which Kafka parks in a purgatory and does not count.
 */
import { ApiKey } from '../../protocol/messages/index.js';
import { ClientQuotas } from './manager.js';

/** The connection side of a throttle: stop reading for `ms`. */
export interface Throttleable {
  throttle(ms: number): void;
}

/** KIP-219: the first version of each response whose client throttles itself (newer APIs: all versions). */
const CLIENT_THROTTLES_FROM: Readonly<Record<number, number>> = {
  [ApiKey.Produce]: 6, [ApiKey.Fetch]: 8, [ApiKey.ListOffsets]: 3, [ApiKey.Metadata]: 6, [ApiKey.OffsetCommit]: 4,
  [ApiKey.OffsetFetch]: 4, [ApiKey.FindCoordinator]: 2, [ApiKey.JoinGroup]: 3, [ApiKey.Heartbeat]: 2, [ApiKey.LeaveGroup]: 2,
  [ApiKey.SyncGroup]: 2, [ApiKey.DescribeGroups]: 2, [ApiKey.ListGroups]: 2, [ApiKey.ApiVersions]: 2, [ApiKey.CreateTopics]: 3,
  [ApiKey.DeleteTopics]: 2, [ApiKey.DeleteRecords]: 1, [ApiKey.InitProducerId]: 1, [ApiKey.OffsetForLeaderEpoch]: 2,
  [ApiKey.AddPartitionsToTxn]: 1, [ApiKey.AddOffsetsToTxn]: 1, [ApiKey.EndTxn]: 1, [ApiKey.TxnOffsetCommit]: 1,
  [ApiKey.DescribeAcls]: 1, [ApiKey.CreateAcls]: 1, [ApiKey.DeleteAcls]: 1, [ApiKey.DescribeConfigs]: 2, [ApiKey.AlterConfigs]: 1,
  [ApiKey.DescribeLogDirs]: 1, [ApiKey.CreatePartitions]: 1, [ApiKey.DeleteGroups]: 1,
};

/**
 * The most record bytes a consumer's Fetch may gather (Kafka's getMaxValueInQuotaWindow):
 * Infinity without a consumer_byte_rate.
 */
export function fetchBudget(quotas: ClientQuotas, conn: Throttleable, principal: string, clientId: string | null): number {
  const fetch = quotas.lookup(conn, userOf(principal), clientId ?? '').fetch;
  if (fetch === null) return Infinity;
  const { samples, windowMs } = quotas.windows;
  return Math.floor(fetch.bound * (samples - 1) * (windowMs / 1000));
}

/**
 * Charge a consumer's Fetch before it is answered (Kafka's handleFetchRequest): its request
 * time, then `recordBytes`, the records the answer would carry. Returns the throttle in ms; when
 * it is not 0 the bytes have been taken back, and the caller answers empty.
 */
export function chargeFetch(quotas: ClientQuotas, conn: Throttleable, principal: string, clientId: string | null, handledMs: number, recordBytes: number, nowMs: number = Date.now()): number {
  const resolved = quotas.lookup(conn, userOf(principal), clientId ?? '');
  const requestThrottle = resolved.request === null ? 0 : quotas.recordRequestTime(resolved, handledMs, nowMs);
  const bandwidthThrottle = ClientQuotas.record(resolved.fetch, recordBytes, nowMs);
  const throttle = Math.max(requestThrottle, bandwidthThrottle);
  if (throttle > 0) resolved.fetch?.rate.unrecord(recordBytes, nowMs);
  return throttle;
}

/** Kafka's quota user: the principal's name (`User:alice` -> `alice`). */
function userOf(principal: string): string {
  const i = principal.indexOf(':');
  return i < 0 ? principal : principal.slice(i + 1);
}

interface FetchLike {
  replicaId?: number;
  replicaState?: { replicaId?: number } | null;
}
interface FetchResponseLike {
  responses?: ReadonlyArray<{ partitions: ReadonlyArray<{ records: Buffer | null }> }>;
}

/** Bytes of records in a Fetch response: one pass over its partitions, never over records. */
function fetchedBytes(res: FetchResponseLike): number {
  let n = 0;
  for (const t of res.responses ?? []) for (const p of t.partitions) n += p.records?.length ?? 0;
  return n;
}

export interface Charge {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly principal: string;
  readonly clientId: string | null;
  /** The request frame's size. */
  readonly requestBytes: number;
  readonly request: unknown;
  /** The request's handling time (see the top of this file for what it counts). */
  readonly handledMs: number;
}

/**
 * Charge one answered request (`response` null: no answer, acks=0) and set its
 * throttle_time_ms; returns the throttle time in ms (0: none).
 */
export function charge(quotas: ClientQuotas, conn: Throttleable, c: Charge, response: unknown, nowMs: number = Date.now()): number {
  const resolved = quotas.lookup(conn, userOf(c.principal), c.clientId ?? '');
  let throttle = 0;
  if (c.apiKey === ApiKey.Produce) throttle = ClientQuotas.record(resolved.produce, c.requestBytes, nowMs);
  else if (c.apiKey === ApiKey.Fetch && response !== null) {
    const req = c.request as FetchLike;
    if (Math.max(req.replicaId ?? -1, req.replicaState?.replicaId ?? -1) >= 0) return 0;
    throttle = ClientQuotas.record(resolved.fetch, fetchedBytes(response as FetchResponseLike), nowMs);
  }
  if (resolved.request !== null) throttle = Math.max(throttle, quotas.recordRequestTime(resolved, c.handledMs, nowMs));
  if (throttle > 0 && response !== null && typeof response === 'object' && 'throttleTimeMs' in response) (response as { throttleTimeMs: number }).throttleTimeMs = throttle;
  return throttle;
}

/**
 * Mute the connection for `throttle` ms and pass the encoded response on: at once for a client
 * that throttles itself, after the throttle for an older one.
 */
export function hold<T>(conn: Throttleable, apiKey: number, apiVersion: number, throttle: number, encoded: T): T | Promise<T> {
  conn.throttle(throttle);
  if (encoded === null || apiVersion >= (CLIENT_THROTTLES_FROM[apiKey] ?? 0)) return encoded;
  return new Promise((resolve) => setTimeout(() => resolve(encoded), throttle));
}
