/**
 * The fetch loop of `strand perf consume`: one Fetch request in flight per connection, for the
 * partitions that connection owns, with large per-partition limits. Record batches are not
 * decoded: the loop walks their headers to count records and advance offsets, sends the next
 * Fetch, and only then checks each batch's CRC-32C (as a Kafka consumer does with check.crcs),
 * so the check overlaps the broker's work on the next response.
 */
import { KafkaResponseError } from '../client/errors.js';
import { BATCH_LENGTH, CRC, ATTRIBUTES, LAST_OFFSET_DELTA, LOG_OVERHEAD, RECORD_COUNT, RECORDS, readInt64 } from '../format/batch-header.js';
import { crc32c } from '../io/index.js';
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js';
import { FetchApi } from '../protocol/messages/index.js';
import type { LeaderTarget, Target } from './cluster.js';
import { LatencyRecorder, type LatencyCurve, type LatencySummary } from './histogram.js';
import { PerfError, WireConnection } from './wire.js';

export interface ConsumerSettings {
  /** Stop after this many records. */
  numRecords: number;
  /** First offset per partition. */
  startOffsets: ReadonlyMap<number, number>;
  /** Per-partition bytes per fetch (max.partition.fetch.bytes). */
  fetchSize: number;
  /** Bytes per fetch response (fetch.max.bytes). */
  fetchMaxBytes: number;
  /** Long-poll wait (fetch.max.wait.ms). */
  maxWaitMs: number;
  /** Connections per leader broker. */
  connections: number;
  checkCrcs: boolean;
  /** Give up when no new record arrives for this long. */
  timeoutMs: number;
  onProgress?: (done: number) => void;
  /** Called for each whole batch (end-to-end latency), with the time the response arrived. */
  onBatch?: (records: Buffer, pos: number, size: number, count: number, arrived: number) => void;
}

export interface ConsumeResult {
  records: number;
  /** Record batch bytes fetched (what the broker sent; wire size). */
  bytes: number;
  /** Fetch responses received. */
  fetches: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Round trip of each Fetch request. */
  fetchLatency: LatencySummary;
  fetchLatencyCurve: LatencyCurve;
}

interface Lane {
  conn: WireConnection;
  leader: LeaderTarget;
  offsets: Map<number, number>;
}

const now = () => performance.now();

export async function runConsumer(target: Target, s: ConsumerSettings): Promise<ConsumeResult> {
  const lanes: Lane[] = [];
  const connections = Math.max(1, s.connections);
  for (const leader of target.leaders) {
    for (let i = 0; i < connections && i < leader.partitions.length; i++) {
      const offsets = new Map<number, number>();
      leader.partitions.forEach((p, j) => {
        if (j % connections === i) offsets.set(p, s.startOffsets.get(p) ?? 0);
      });
      // Each response is done with when its callback returns (the CRCs are checked in it too).
      lanes.push({ conn: await WireConnection.open(leader.host, leader.port, { reuseFrames: true }), leader, offsets });
    }
  }
  const latency = new LatencyRecorder();
  const total = s.numRecords;
  let done = 0;
  let bytes = 0;
  let fetches = 0;
  let lastProgress = now();
  let failure: Error | null = null;
  let finish!: () => void;
  let abort!: (err: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    abort = reject;
  });
  const fail = (err: Error) => {
    if (failure !== null) return;
    failure = err;
    abort(err);
  };

  const fetch = (lane: Lane) => {
    if (failure !== null || done >= total) return;
    const version = lane.leader.fetchVersion;
    const frame = encodeRequestFrame(FetchApi, version, lane.conn.correlationId(), 'strand-perf', {
      replicaId: -1, maxWaitMs: s.maxWaitMs, minBytes: 1, maxBytes: s.fetchMaxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{
        topic: target.topic, topicId: target.topicId,
        partitions: [...lane.offsets].map(([partition, offset]) => ({ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: s.fetchSize })),
      }],
      forgottenTopicsData: [], rackId: '',
    });
    const sent = now();
    lane.conn.send(frame, (res, err) => {
      if (err !== null || res === null) return fail(err ?? new PerfError('no response'));
      const arrived = now();
      fetches++;
      latency.record((arrived - sent) * 1000);
      let body;
      try {
        body = decodeResponseFrame(FetchApi, version, res).body;
      } catch (e) {
        return fail(e as Error);
      }
      if (body.errorCode !== 0) return fail(new KafkaResponseError(body.errorCode, { api: 'Fetch' }));
      // Walk batch headers: count, advance offsets; remember the batches to check afterwards.
      const check: Array<[Buffer, number, number]> = [];
      let got = 0;
      for (const t of body.responses) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0) return fail(new KafkaResponseError(p.errorCode, { api: 'Fetch', topic: target.topic, partition: p.partitionIndex }));
          const records = p.records;
          if (records === null || records.length === 0) continue;
          let offset = lane.offsets.get(p.partitionIndex);
          if (offset === undefined) continue;
          let pos = 0;
          while (pos + RECORDS <= records.length) {
            const size = records.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
            if (pos + size > records.length) break; // a partial batch at the end
            const base = readInt64(records, pos);
            const last = base + records.readInt32BE(pos + LAST_OFFSET_DELTA);
            if (last >= offset) {
              let count = base >= offset ? records.readInt32BE(pos + RECORD_COUNT) : last - offset + 1;
              if (done + got + count > total) count = total - done - got;
              if (count > 0) {
                got += count;
                bytes += size;
                if (s.checkCrcs) check.push([records, pos, size]);
                s.onBatch?.(records, pos, size, count, arrived);
              }
              offset = last + 1;
            }
            pos += size;
            if (done + got >= total) break;
          }
          lane.offsets.set(p.partitionIndex, offset);
        }
      }
      done += got;
      if (got > 0) {
        lastProgress = arrived;
        s.onProgress?.(done);
      }
      if (done >= total) finish();
      else fetch(lane);
      for (const [buf, pos, size] of check) {
        const want = buf.readUInt32BE(pos + CRC);
        const have = crc32c(buf.subarray(pos + ATTRIBUTES, pos + size));
        if (want !== have) return fail(new PerfError(`corrupt batch at offset ${readInt64(buf, pos)}: CRC-32C 0x${have.toString(16)} does not match 0x${want.toString(16)}`));
      }
    });
  };

  const start = now();
  const watchdog = setInterval(() => {
    if (failure === null && now() - lastProgress > s.timeoutMs) {
      fail(new PerfError(`consumed ${done} of ${total} records; no new record for ${s.timeoutMs} ms`));
    }
  }, Math.min(1000, s.timeoutMs));
  try {
    if (total <= 0) finish();
    else for (const lane of lanes) fetch(lane);
    await finished;
  } finally {
    clearInterval(watchdog);
    for (const l of lanes) l.conn.close();
  }
  const seconds = (now() - start) / 1000;
  return {
    records: done, bytes, fetches, seconds,
    recordsPerSec: done / seconds, mbPerSec: bytes / seconds / 1e6,
    fetchLatency: latency.summary(), fetchLatencyCurve: latency.curve(),
  };
}
