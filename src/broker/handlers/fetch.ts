/**
 * Fetch (1), v4+ (v2 record batches). For each partition the handler finds the byte range in
 * the segment from the offset index and answers with a zero-copy view of it: record bytes are
 * never copied or parsed here. A fetch that has less than `min_bytes` waits (long poll) until
 * an append to one of its partitions or `max_wait_ms`. Incremental fetch sessions per KIP-227
 * (see fetch-sessions.ts).
 *
 * Byte limits (KIP-74, as Kafka's ReplicaManager.readFromLocalLog applies them): the response
 * budget is min(max_bytes, the broker's fetch.max.bytes); partitions are read in request order,
 * each up to min(partition_max_bytes, what is left of the budget). Only the first partition
 * with data may exceed its limit, by its first batch, so a consumer always makes progress. A
 * later partition whose first batch does not fit what is left gets no records, as in Kafka
 * (which replaces an incomplete first batch with an empty set; the Java consumer fails on a
 * partition that holds bytes but no complete batch). Where the limit falls inside a later
 * batch, that batch is left out: Kafka sends its first bytes, which every client discards, so
 * strand leaves that budget to the partitions after it instead.
 *
 * isolation_level READ_COMMITTED (1) reads only up to the last stable offset and sends the
 * aborted transactions overlapping the returned range, so the client drops their records.
 *
 * Consumers read up to the high watermark (the log end on a single broker; what every in-sync
 * replica has in a cluster), from the partition's leader before v11, and from v11 (KIP-392) from
 * a follower too, which serves up to the high watermark its leader told it; with
 * replica.selector.class set to Kafka's rack-aware selector a leader sends a consumer to a replica
 * in its rack (preferred_read_replica). A fetch with a replica id
 * (`replica_id`, or `replica_state` from v15) is a follower's: its fetch offset tells the leader
 * what it has (which may move the high watermark, before the answer is read), and it reads up to
 * the log end. A replica id that is not a replica of the partition, or a leader epoch that is
 * not the current one, gets Kafka's error for that partition, and nothing is read.
 */
import { KafkaErrorCode, StrandError } from '../../errors.js';
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '../../protocol/messages/fetch.js';
import { EMPTY_BUFFER, type Complete } from '../../protocol/types.js';
import { ZERO_UUID } from '../../protocol/reader.js';
import { RACK_AWARE_REPLICA_SELECTOR } from '../cluster-config.js';
import type { BrokerCore, Handler } from '../context.js';
import { type FetchSession, type FetchSessionCache, type SessionPartition, partitionKey } from '../fetch-sessions.js';

const INVALID_SESSION = 0;
const INITIAL_EPOCH = 0;
const FINAL_EPOCH = -1;
const FETCH_SESSION_ID_NOT_FOUND = 70;
const INVALID_FETCH_SESSION_EPOCH = 71;
const READ_COMMITTED = 1;

interface Wanted {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  session?: SessionPartition;
  /** A follower fetch refused when it was recorded (followerFetch): answered with this, nothing read. */
  replicaError?: number;
  /** A follower's fetch of a partition leader.replication.throttled.rate applies to (set when read). */
  leaderThrottled?: boolean;
}

interface Result {
  wanted: Wanted;
  data: FetchResponsePartitionData;
  bytes: number;
  /** Records in `data.records`, control batches left out. */
  records: number;
}

function emptyResponse(errorCode: number, sessionId: number): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId, responses: [] };
}

/**
 * Read every wanted partition once, within `budget` bytes of records (see the top of this file).
 * `reads` is set for a consumer that may fetch from a follower (KIP-392, Fetch v11+): its rack,
 * and whether this broker's leaders send it to a replica in that rack.
 */
function collect(core: BrokerCore, wanted: Wanted[], budget: number, isolationLevel: number, replicaId: number, reads?: { rack: string; select: boolean }): Result[] {
  const follower = replicaId >= 0;
  const out: Result[] = [];
  // Kafka's limitBytes: negative when max_bytes is, then at least 0 after the first partition read.
  let remaining = budget;
  // Kafka's minOneMessage: true until a partition has returned records.
  let firstWithData = true;
  for (const w of wanted) {
    const data: FetchResponsePartitionData = {
      partitionIndex: w.partition, errorCode: 0, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n,
      abortedTransactions: null, preferredReadReplica: -1, records: EMPTY_BUFFER,
    };
    let bytes = 0;
    let records = 0;
    const log = core.topics.log(w.topic, w.partition);
    const leadership = log === null ? KafkaErrorCode.NONE : w.replicaError ?? (reads !== undefined ? core.replication.readCheck(w.topic, w.partition, w.currentLeaderEpoch) : core.replication.leaderCheck(w.topic, w.partition, w.currentLeaderEpoch));
    if (log === null) data.errorCode = missing(core, w);
    else if (leadership !== KafkaErrorCode.NONE) data.errorCode = leadership;
    else {
      const end = log.endOffset;
      const hw = Math.min(core.replication.highWatermark(w.topic, w.partition, log), end);
      const lso = Math.min(log.lastStableOffset, hw);
      const committed = isolationLevel === READ_COMMITTED && !follower;
      // A follower copies everything; a consumer sees what the in-sync replicas all have.
      const readable = follower ? end : committed ? lso : hw;
      data.highWatermark = BigInt(hw);
      data.lastStableOffset = BigInt(lso);
      data.logStartOffset = BigInt(log.startOffset);
      const throttleBytes = follower ? core.replication.leaderThrottleBytes(w.topic, w.partition, replicaId) : -1;
      w.leaderThrottled = throttleBytes >= 0;
      const limit = Math.min(w.maxBytes, remaining, throttleBytes > 0 ? throttleBytes : Infinity);
      // KIP-392: a leader names the replica in the consumer's rack to read from, with no records.
      const preferred = reads?.select === true ? core.replication.preferredReadReplica(w.topic, w.partition, reads.rack, w.fetchOffset) : -1;
      if (preferred >= 0) data.preferredReadReplica = preferred;
      else if (w.fetchOffset < log.startOffset || w.fetchOffset > end) {
        data.errorCode = KafkaErrorCode.OFFSET_OUT_OF_RANGE;
      } else if (limit < 0 && w.fetchOffset < readable) {
        // A negative partition_max_bytes (or max_bytes, for the first partition read): Kafka's
        // LogSegment.read throws IllegalArgumentException("Invalid max size") when there is data
        // to read, and ReplicaManager answers that partition alone with UNKNOWN_SERVER_ERROR and
        // no offsets. With nothing to read, Kafka never reaches that check: an empty answer.
        data.errorCode = KafkaErrorCode.UNKNOWN_SERVER_ERROR;
        data.highWatermark = -1n;
        data.lastStableOffset = -1n;
        data.logStartOffset = -1n;
      } else if (throttleBytes === 0) {
        // Kafka's shouldLeaderThrottle: a replica being added gets nothing while the leader's
        // replication quota is used up (its offsets still come, so it keeps its high watermark).
      } else if (w.fetchOffset < readable && (limit > 0 || firstWithData)) {
        try {
          // Whole batches within `limit`, or the first batch alone when it is larger.
          const slice = log.readSlice(w.fetchOffset, limit, readable);
          if (slice !== null && (firstWithData || slice.view.length <= limit)) {
            data.records = slice.view;
            bytes = slice.view.length;
            records = slice.records;
            firstWithData = false;
            if (committed) data.abortedTransactions = log.abortedTransactions(w.fetchOffset, slice.nextOffset).map((t) => ({ producerId: BigInt(t.producerId), firstOffset: BigInt(t.firstOffset) }));
          }
        } catch (err) {
          data.errorCode = err instanceof StrandError ? err.kafkaCode : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
        }
      }
    }
    // As Kafka, after every partition it reads (with records or not; unknown ones it never reads).
    if (log !== null) remaining = Math.max(0, remaining - bytes);
    if (data.errorCode === KafkaErrorCode.NOT_LEADER_OR_FOLLOWER || data.errorCode === KafkaErrorCode.FENCED_LEADER_EPOCH) {
      // KIP-951 (v12+ tagged field): the leader this broker knows, so the client need not ask Metadata first.
      const view = core.replication.view(w.topic, w.partition);
      if (view !== undefined && view.leader >= 0) data.currentLeader = { leaderId: view.leader, leaderEpoch: view.leaderEpoch };
    }
    out.push({ wanted: w, data, bytes, records });
  }
  return out;
}

export function createFetchHandler(sessions: FetchSessionCache): Handler<FetchRequest, FetchResponse> {
  return async (req, ctx) => {
    const core = ctx.broker;
    const v = ctx.apiVersion;
    const sessionId = v >= 7 ? req.sessionId ?? 0 : INVALID_SESSION;
    const epoch = v >= 7 ? req.sessionEpoch ?? -1 : FINAL_EPOCH;
    let session: FetchSession | undefined;
    let incremental = false;

    if (sessionId !== INVALID_SESSION) {
      session = sessions.get(sessionId);
      if (epoch === FINAL_EPOCH) {
        sessions.remove(sessionId);
        session = undefined;
      } else if (session === undefined) return emptyResponse(FETCH_SESSION_ID_NOT_FOUND, INVALID_SESSION);
      else if (epoch !== session.nextEpoch) return emptyResponse(INVALID_FETCH_SESSION_EPOCH, INVALID_SESSION);
      else incremental = true;
    } else if (epoch === INITIAL_EPOCH) {
      session = sessions.create();
    }

    const requested = resolve(core, req, v);
    if (incremental) {
      // Apply the changes to the session, then fetch everything it holds.
      for (const f of req.forgottenTopicsData ?? []) {
        const name = f.topic || core.topics.byId(f.topicId ?? ZERO_UUID)?.name || '';
        for (const p of f.partitions) session!.partitions.delete(partitionKey(name, p));
      }
    } else if (session !== undefined) session.partitions.clear();
    let wanted: Wanted[] = requested;
    if (session !== undefined) {
      for (const w of requested) {
        const key = partitionKey(w.topic, w.partition);
        const prior = session.partitions.get(key);
        const entry: SessionPartition = { topic: w.topic, topicId: w.topicId, partition: w.partition, fetchOffset: w.fetchOffset, maxBytes: w.maxBytes, sentHighWatermark: prior?.sentHighWatermark ?? -1, sentStartOffset: prior?.sentStartOffset ?? -1 };
        session.partitions.set(key, entry);
      }
      wanted = [...session.partitions.values()].map((s) => ({ topic: s.topic, topicId: s.topicId, partition: s.partition, fetchOffset: s.fetchOffset, maxBytes: s.maxBytes, currentLeaderEpoch: -1, session: s }));
      // Leader epochs come only with the request; keep the ones it sent.
      for (const w of requested) {
        const s = wanted.find((x) => x.topic === w.topic && x.partition === w.partition);
        if (s) s.currentLeaderEpoch = w.currentLeaderEpoch;
      }
    }

    // Kafka: min(request max_bytes, fetch.max.bytes, what a consumer_byte_rate allows in its
    // windows); v4+ only, so max_bytes is always there.
    const budget = Math.min(req.maxBytes ?? 0x7fffffff, core.config.int('fetch.max.bytes'), ctx.fetchQuota?.maxBytes ?? Infinity);
    // Kafka: min_bytes is at most the budget, so a fetch for 0 (or fewer) bytes does not wait.
    const minBytes = Math.min(req.minBytes, budget);
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const isolationLevel = v >= 4 ? req.isolationLevel ?? 0 : 0;
    const replicaId = v <= 14 ? req.replicaId ?? -1 : req.replicaState?.replicaId ?? -1;
    const replicaEpoch = v >= 15 ? Number(req.replicaState?.replicaEpoch ?? -1n) : -1;
    const follower = replicaId >= 0;
    if (!follower) countFetchRequest(core, requested);
    if (follower) {
      // Recorded once, as the request arrives (Kafka's updateFollowerFetchState), before anything is read.
      for (const w of wanted) {
        if (core.topics.log(w.topic, w.partition) === null) continue;
        const code = core.replication.followerFetch(w.topic, w.partition, replicaId, replicaEpoch, w.fetchOffset, w.currentLeaderEpoch);
        if (code !== KafkaErrorCode.NONE) w.replicaError = code;
      }
    }
    // KIP-392: from v11 a consumer's fetch may be served by a follower; with Kafka's rack-aware
    // selector set, leaders send a consumer that names its rack to a replica in it.
    const reads = !follower && v >= 11 ? { rack: req.rackId ?? '', select: core.config.raw('replica.selector.class') === RACK_AWARE_REPLICA_SELECTOR } : undefined;
    let results = collect(core, wanted, budget, isolationLevel, replicaId, reads);
    // Time parked in the long poll: not charged to request_percentage (Kafka's purgatory).
    let waitedMs = 0;
    for (;;) {
      const total = results.reduce((n, r) => n + r.bytes, 0);
      // As Kafka, a partition sent elsewhere (a preferred read replica) is answered at once.
      const hasError = results.some((r) => r.data.errorCode !== 0 || (r.data.preferredReadReplica ?? -1) >= 0);
      const left = deadline - Date.now();
      if (total >= minBytes || hasError || left <= 0 || wanted.length === 0) break;
      const parked = performance.now();
      const woke = await core.waitForAppend(wanted, left);
      waitedMs += performance.now() - parked;
      if (!woke) break;
      results = collect(core, wanted, budget, isolationLevel, replicaId, reads);
    }

    // Incremental responses carry only partitions with news (KIP-227).
    let answered = results;
    if (incremental) {
      answered = results.filter((r) => {
        const s = r.wanted.session!;
        return r.bytes > 0 || r.data.errorCode !== 0 || (r.data.preferredReadReplica ?? -1) >= 0 || s.sentHighWatermark !== Number(r.data.highWatermark) || s.sentStartOffset !== Number(r.data.logStartOffset);
      });
    }
    // Quotas, as Kafka's handleFetchRequest: charged with the bytes this answer would carry; a
    // throttled fetch is answered empty (getThrottledResponse), and its session learns nothing
    // from it: a new one is not kept (no id is sent), an incremental one only moves its epoch.
    if (ctx.fetchQuota !== undefined) {
      let bytes = 0;
      for (const r of answered) bytes += r.bytes;
      const throttle = ctx.fetchQuota.charge(bytes, waitedMs);
      if (throttle > 0) {
        if (incremental) session!.nextEpoch++;
        else if (session !== undefined) sessions.remove(session.id);
        return { throttleTimeMs: throttle, errorCode: 0, sessionId: incremental ? session!.id : INVALID_SESSION, responses: [] };
      }
    }
    if (session !== undefined) {
      for (const r of results) {
        const s = r.wanted.session!;
        s.sentHighWatermark = Number(r.data.highWatermark);
        s.sentStartOffset = Number(r.data.logStartOffset);
      }
      session.nextEpoch = incremental ? session.nextEpoch + 1 : 1;
    }

    const byTopic = new Map<string, FetchResponse['responses'][number]>();
    const responses: FetchResponse['responses'] = [];
    for (const r of answered) {
      if (r.bytes > 0) core.stats.fetched(r.wanted.topic, r.bytes, r.records, follower);
      // Kafka records the throttled partitions' bytes of the response against the leader quota.
      if (r.wanted.leaderThrottled === true) core.replication.leaderThrottledSent(r.bytes);
      let t = byTopic.get(r.wanted.topic + '\u0000' + r.wanted.topicId);
      if (t === undefined) {
        t = { topic: r.wanted.topic, topicId: r.wanted.topicId, partitions: [] };
        byTopic.set(r.wanted.topic + '\u0000' + r.wanted.topicId, t);
        responses.push(t);
      }
      t.partitions.push(r.data);
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: session?.id ?? INVALID_SESSION, responses };
  };
}

/** Kafka's TotalFetchRequestsPerSec per topic: once per request for each known topic it names (partitions come grouped by topic). */
function countFetchRequest(core: BrokerCore, requested: Wanted[]): void {
  let last = '';
  for (const w of requested) {
    if (w.topic === last || w.topic === '') continue;
    last = w.topic;
    if (core.topics.get(w.topic) !== undefined) core.stats.topic(w.topic).fetchRequests++;
  }
}

/** The error for a partition with no log here: unknown, or known in the cluster but not on this broker. */
function missing(core: BrokerCore, w: Wanted): number {
  if (w.topic === '') return KafkaErrorCode.UNKNOWN_TOPIC_ID;
  const t = core.topics.get(w.topic);
  return t !== undefined && w.partition >= 0 && w.partition < t.partitions ? KafkaErrorCode.NOT_LEADER_OR_FOLLOWER : KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}

/** The partitions named in the request, with names resolved from topic ids (v13+). */
function resolve(core: BrokerCore, req: Complete<FetchRequest>, v: number): Wanted[] {
  const out: Wanted[] = [];
  for (const t of req.topics) {
    let name = t.topic ?? '';
    let topicId = t.topicId ?? ZERO_UUID;
    if (v >= 13) {
      name = core.topics.byId(topicId)?.name ?? '';
    } else topicId = core.topics.get(name)?.topicId ?? ZERO_UUID;
    for (const p of t.partitions) {
      out.push({ topic: name, topicId, partition: p.partition, fetchOffset: Number(p.fetchOffset), maxBytes: p.partitionMaxBytes, currentLeaderEpoch: v >= 9 ? p.currentLeaderEpoch ?? -1 : -1 });
    }
  }
  return out;
}
