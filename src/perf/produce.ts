/**
 * The pipelined producer of `strand perf produce`: prebuilt record batches (./batches.ts) sent as
 * Produce requests over several connections per leader, each with several requests in flight.
 *
 * Records are created either as fast as the window allows (`throughput` -1) or on a schedule
 * (`throughput` records/s): a batch is sent once `batchSize` records are due, or `lingerMs` after
 * its first record was due. Latency is measured per record from the moment it was due (or, at
 * full speed, from its send), so a producer that falls behind its schedule sees the delay in its
 * percentiles instead of hiding it (no coordinated omission).
 */
import type { CompressionName } from '../format/batch-header.js';
import { KafkaResponseError } from '../client/errors.js';
import { decodeResponseFrame, encodeRequestFrame } from '../protocol/frame.js';
import { ProduceApi } from '../protocol/messages/index.js';
import { BatchFactory } from './batches.js';
import { type LeaderTarget, type Target } from './cluster.js';
import { LatencyRecorder, type LatencyCurve, type LatencySummary } from './histogram.js';
import { PerfError, WireConnection } from './wire.js';

export type Acks = -1 | 0 | 1;

export interface ProducerSettings {
  numRecords: number;
  recordSize: number;
  /** Records per second, or -1 for as fast as possible. */
  throughput: number;
  acks: Acks;
  /** Records per batch (one batch per Produce request). */
  batchSize: number;
  lingerMs: number;
  compression: CompressionName;
  /** Connections per leader broker. */
  connections: number;
  /** Requests in flight per connection. */
  maxInFlight: number;
  /** Broker-side ack timeout, and how long the producer waits for any progress. */
  timeoutMs: number;
  /** Stamp send times into each batch (end-to-end latency). */
  stamp?: boolean;
  /** Called as records are acknowledged (or written, with acks=0). */
  onProgress?: (done: number) => void;
  /** Deterministic payloads. */
  seed?: number;
}

export interface ProduceResult {
  records: number;
  /** Key and value bytes (records × record size), as kafka-producer-perf-test counts them. */
  bytes: number;
  /** Record batch bytes sent (after compression, with batch and record overhead). */
  wireBytes: number;
  requests: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  wireMBPerSec: number;
  /** Per-record produce latency (empty with acks=0). */
  latency: LatencySummary;
  latencyCurve: LatencyCurve;
}

interface Lane {
  conn: WireConnection;
  leader: LeaderTarget;
  partitions: number[];
  next: number;
}

interface Pending {
  count: number;
  first: number;
  last: number;
}

const now = () => performance.now();

/** Spread each leader's partitions over its connections. */
async function openLanes(target: Target, connections: number): Promise<Lane[]> {
  const lanes: Lane[] = [];
  for (const leader of target.leaders) {
    for (let i = 0; i < connections; i++) {
      let partitions = leader.partitions.filter((_, j) => j % connections === i);
      if (partitions.length === 0) partitions = [leader.partitions[i % leader.partitions.length]!];
      lanes.push({ conn: await WireConnection.open(leader.host, leader.port), leader, partitions, next: i });
    }
  }
  return lanes;
}

export async function runProducer(target: Target, s: ProducerSettings): Promise<ProduceResult> {
  if (s.numRecords <= 0) throw new PerfError('--num-records must be at least 1');
  const factory = new BatchFactory({ recordSize: s.recordSize, compression: s.compression, seed: s.seed });
  const latency = new LatencyRecorder();
  const lanes = await openLanes(target, Math.max(1, s.connections));
  const total = s.numRecords;
  const rate = s.throughput;
  const throttled = rate > 0;
  const msPerRecord = throttled ? 1000 / rate : 0;
  const ready: Pending[] = [];
  let readyHead = 0;
  let scheduled = 0; // records put into batches
  let done = 0; // records acknowledged
  let requests = 0;
  let wireBytes = 0;
  let inFlightTotal = 0;
  let rotate = 0;
  let failure: Error | null = null;
  let lastProgress = now();
  let timer: NodeJS.Timeout | null = null;
  let finish!: () => void;
  let abort!: (err: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    abort = reject;
  });
  const inFlight = new Map<Lane, number>();
  for (const l of lanes) inFlight.set(l, 0);

  const fail = (err: Error) => {
    if (failure !== null) return;
    failure = err;
    abort(err);
  };

  const completed = (count: number) => {
    done += count;
    lastProgress = now();
    s.onProgress?.(done);
    if (done >= total) finish();
  };

  const send = (lane: Lane, p: Pending) => {
    const partition = lane.partitions[lane.next++ % lane.partitions.length]!;
    const batch = s.stamp ? factory.stamped(p.count, p.first, p.last) : factory.batch(p.count);
    const version = lane.leader.produceVersion;
    const frame = encodeRequestFrame(ProduceApi, version, lane.conn.correlationId(), 'strand-perf', {
      transactionalId: null, acks: s.acks, timeoutMs: s.timeoutMs,
      topicData: [{ name: target.topic, partitionData: [{ index: partition, records: batch }] }],
    });
    requests++;
    wireBytes += batch.length;
    if (s.acks === 0) {
      lane.conn.send(frame, null, () => factory.release(batch));
      completed(p.count);
      return;
    }
    inFlight.set(lane, inFlight.get(lane)! + 1);
    inFlightTotal++;
    lane.conn.send(frame, (res, err) => {
      const t = now();
      inFlight.set(lane, inFlight.get(lane)! - 1);
      inFlightTotal--;
      // Answered: the broker has read every byte, so the batch may be stamped and sent again.
      factory.release(batch);
      if (err !== null || res === null) return fail(err ?? new PerfError('no response'));
      let body;
      try {
        body = decodeResponseFrame(ProduceApi, version, res).body;
      } catch (e) {
        return fail(e as Error);
      }
      for (const topic of body.responses) {
        for (const pr of topic.partitionResponses) {
          if (pr.errorCode !== 0) return fail(new KafkaResponseError(pr.errorCode, { api: 'Produce', topic: topic.name, partition: pr.index }, pr.errorMessage ?? null));
        }
      }
      latency.recordSpread(p.first, p.last, t, p.count);
      completed(p.count);
      pump();
    });
  };

  /** Fill every connection's window, one request per connection per round. */
  const pump = () => {
    if (failure !== null) return;
    if (throttled) collect(now());
    let progress = true;
    while (progress) {
      progress = false;
      for (let k = 0; k < lanes.length; k++) {
        const lane = lanes[(rotate + k) % lanes.length]!;
        if (lane.conn.congested || (s.acks !== 0 && inFlight.get(lane)! >= s.maxInFlight)) continue;
        let p: Pending | undefined;
        if (throttled) {
          if (readyHead < ready.length) p = ready[readyHead++];
        } else if (scheduled < total) {
          const count = Math.min(s.batchSize, total - scheduled);
          scheduled += count;
          const t = now();
          p = { count, first: t, last: t };
        }
        if (p === undefined) break;
        send(lane, p);
        progress = true;
      }
      rotate++;
      if (readyHead > 1024 && readyHead * 2 > ready.length) {
        ready.splice(0, readyHead);
        readyHead = 0;
      }
    }
    // acks=0: wait for the socket to drain before writing more.
    if (s.acks === 0 && (throttled ? readyHead < ready.length : scheduled < total)) {
      const congested = lanes.find((l) => l.conn.congested);
      if (congested !== undefined) void congested.conn.drained().then(pump);
    }
  };

  const start = now();
  /**
   * Throttled mode: turn the records due by `t` into batches: every full one, and the partial one
   * once its first record has waited lingerMs. Called from the timer and from every response
   * (pump), so a batch leaves when it is full even when the timer, which fires on whole
   * milliseconds of the event loop's clock, would be up to a millisecond late.
   */
  const collect = (t: number) => {
    const due = Math.min(total, Math.floor((t - start) / msPerRecord) + 1);
    while (due - scheduled >= s.batchSize) {
      ready.push({ count: s.batchSize, first: start + scheduled * msPerRecord, last: start + (scheduled + s.batchSize - 1) * msPerRecord });
      scheduled += s.batchSize;
    }
    if (due > scheduled && (due === total || t - (start + scheduled * msPerRecord) >= s.lingerMs)) {
      ready.push({ count: due - scheduled, first: start + scheduled * msPerRecord, last: start + (due - 1) * msPerRecord });
      scheduled = due;
    }
  };
  /** Throttled mode: send the records due by now, then sleep until the next batch is due. */
  const tick = () => {
    timer = null;
    if (failure !== null) return;
    pump();
    if (scheduled < total) {
      const full = start + (scheduled + s.batchSize - 1) * msPerRecord;
      const lingered = start + scheduled * msPerRecord + s.lingerMs;
      const last = start + (total - 1) * msPerRecord;
      timer = setTimeout(tick, Math.max(0, Math.min(full, lingered, last) - now()));
    }
  };

  const watchdog = setInterval(() => {
    if (failure === null && now() - lastProgress > s.timeoutMs) {
      fail(new PerfError(`no acknowledgement for ${s.timeoutMs} ms (${done} of ${total} records acknowledged, ${inFlightTotal} requests in flight)`));
    }
  }, Math.min(1000, s.timeoutMs));
  try {
    if (throttled) tick();
    else pump();
    await finished;
    if (s.acks === 0) await Promise.all(lanes.map((l) => l.conn.flushed()));
  } finally {
    clearInterval(watchdog);
    if (timer !== null) clearTimeout(timer);
    for (const l of lanes) l.conn.close();
  }
  const seconds = (now() - start) / 1000;
  const bytes = factory.payloadBytes(total);
  return {
    records: total, bytes, wireBytes, requests, seconds,
    recordsPerSec: total / seconds, mbPerSec: bytes / seconds / 1e6, wireMBPerSec: wireBytes / seconds / 1e6,
    latency: latency.summary(), latencyCurve: latency.curve(),
  };
}
