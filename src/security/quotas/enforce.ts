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
 * Unlike Kafka, a throttled Fetch keeps its records: Kafka unrecords them and answers empty
 * without touching the fetch session, but here the handler has already recorded in the client's
 * incremental session what this answer tells it (high watermarks, start offsets), and an empty
 * answer could leave those partitions out of the next incremental answers. The bytes stay
 * counted, so the rate is held all the same. Kafka counts a Fetch's whole response size; this counts its
 * record bytes, which are nearly all of it.
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
  /** Time the handler ran on the event loop (its synchronous part: a long poll's wait is not work). */
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
    if ((req.replicaId ?? req.replicaState?.replicaId ?? -1) >= 0) return 0;
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
