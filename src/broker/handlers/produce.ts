/**
 * Produce (0). v3+ carry v2 record batches; each partition's `records` is a view of the request
 * frame: it is validated in place (framing, CRC-32C, records), its offsets are assigned by
 * rewriting baseOffset in place, and it is copied once into the log. No per-record objects.
 * v0-2 carry legacy message sets, up-converted to one v2 batch first (message-set.ts).
 *
 * acks=0: no response. acks=1: answered after the append. acks=-1: refused with
 * NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas, else answered when the
 * high watermark passes the batch (every ISR member has it; at once on a single node) and the
 * topic's flush policy is satisfied (immediately, or after the group fsync when the topic asks
 * for fsync). Only the partition's leader appends; others answer NOT_LEADER_OR_FOLLOWER with the
 * leader they know (KIP-951, v10+).
 *
 * Transactional batches must come from the producer's current epoch and go to a partition of
 * its ongoing transaction; clients never write control batches (see txn/produce-check.ts).
 *
 * The common request (acks 0 or 1, batches the log appends at once) is answered synchronously:
 * no promise, closure or per-partition string of its own. Partitions are still handled one after
 * the other, in request order: when one has to wait (schema validation, the worker pool, acks=-1)
 * the rest of the request continues after it.
 */
import { InvalidRecordError, KafkaErrorCode, StrandError } from '../../errors.js';
import { RECORDS } from '../../format/batch-header.js';
import { upconvertMessageSet } from '../../format/message-set.js';
import { batchSizeAt, stampLogAppendTime } from '../../format/record-batch.js';
import { decompressionLimit } from '../../storage/append-rules.js';
import type { ProduceRequest, ProduceRequestPartitionProduceData, ProduceRequestTopicProduceData, ProduceResponse, ProduceResponsePartitionProduceResponse } from '../../protocol/messages/produce.js';
import type { Complete } from '../../protocol/types.js';
import type { AppendResult, Log } from '../../storage/log.js';
import type { TopicCounters } from '../stats.js';
import type { BrokerCore, Handler, RequestContext, TopicDescription } from '../context.js';
import { needsSchemaValidation, validateRecordSchemas } from '../schema-validation.js';
import { checkTransactionalBatch } from '../txn/produce-check.js';

function partitionError(index: number, code: number, message: string | null, recordErrors: ProduceResponsePartitionProduceResponse['recordErrors'] = [], logStartOffset = -1): ProduceResponsePartitionProduceResponse {
  return { index, errorCode: code, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: BigInt(logStartOffset), recordErrors, errorMessage: message };
}

/** Kafka's record_errors (produce v8+): every record an INVALID_RECORD refused, when the rule concerns records one by one. */
function recordErrorsOf(err: unknown): ProduceResponsePartitionProduceResponse['recordErrors'] {
  if (!(err instanceof InvalidRecordError)) return [];
  return err.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }));
}

/** min.insync.replicas of the topic (its override, else the broker's). */
function minInsyncReplicas(core: BrokerCore, topic: string): number {
  const v = core.topics.get(topic)?.configs.get('min.insync.replicas') ?? core.config.raw('min.insync.replicas');
  return v === undefined ? 1 : Number(v);
}

/** The partition exists in the cluster, but this broker does not lead it: NOT_LEADER_OR_FOLLOWER with the leader it knows (KIP-951). */
function notLeader(core: BrokerCore, topic: string, index: number, code: number, run: Run): ProduceResponsePartitionProduceResponse {
  const out = partitionError(index, code, `this broker (${core.nodeId}) is not the leader of ${topic}-${index}`);
  const view = core.replication.view(topic, index);
  if (view !== undefined && view.leader >= 0) {
    out.currentLeader = { leaderId: view.leader, leaderEpoch: view.leaderEpoch };
    (run.leaders ??= new Set()).add(view.leader);
  }
  return out;
}

/** message.timestamp.type of the topic (its override, else log.message.timestamp.type). */
function usesLogAppendTime(core: BrokerCore, described: TopicDescription | undefined): boolean {
  const type = described?.configs.get('message.timestamp.type') ?? core.config.raw('log.message.timestamp.type');
  return type === 'LogAppendTime';
}

/** One produce request on its way: what its partitions answered so far, and what it waits for. */
interface Run {
  readonly core: BrokerCore;
  readonly ctx: RequestContext;
  readonly req: Complete<ProduceRequest>;
  readonly responses: ProduceResponse['responses'];
  /** acks=-1: the partitions' waits for the in-sync replicas and the flush policy. */
  durable: Array<Promise<unknown>> | null;
  /** KIP-951: leaders named in current_leader. */
  leaders: Set<number> | null;
}

/** What a partition's handling needs of its topic, looked up once per topic. */
interface TopicState {
  readonly name: string;
  described: TopicDescription | undefined;
  readonly counters: TopicCounters | null;
  readonly out: ProduceResponsePartitionProduceResponse[];
  /** message.timestamp.type is LogAppendTime (looked up on first use). */
  logAppendTime: boolean | undefined;
}

const NO_TIME = -1n;

/** Durability promises already watched for a failed flush (one log line per flush, not per request). */
const watched = new WeakSet<Promise<void>>();

export const handleProduce: Handler<ProduceRequest, ProduceResponse> = (req, ctx) => {
  const run: Run = { core: ctx.broker, ctx, req, responses: [], durable: null, leaders: null };
  return proceed(run, 0, 0, null);
};

/** Handle the partitions from topic `t`, partition `p` on; `topic`: that topic's state when it was started already. */
function proceed(run: Run, t: number, p: number, topic: TopicState | null): ProduceResponse | null | Promise<ProduceResponse | null> {
  const topics = run.req.topicData;
  for (; t < topics.length; t++, p = 0, topic = null) {
    const data = topics[t]!;
    if (topic === null) topic = startTopic(run, data);
    const partitions = data.partitionData;
    for (; p < partitions.length; p++) {
      const waiting = producePartition(run, topic, partitions[p]!);
      if (waiting !== undefined) {
        const tt = t;
        const pp = p + 1;
        const state = topic;
        return waiting.then(() => {
          // The topic may have changed meanwhile (deleted, partitions added): as each partition found it.
          state.described = run.core.topics.get(state.name);
          return proceed(run, tt, pp, state);
        });
      }
    }
  }
  return run.durable === null ? answer(run) : Promise.all(run.durable).then(() => answer(run));
}

function startTopic(run: Run, data: Complete<ProduceRequestTopicProduceData>): TopicState {
  const core = run.core;
  const described = core.topics.get(data.name);
  const counters = described === undefined ? null : core.stats.topic(data.name);
  if (counters !== null) counters.produceRequests++;
  const out: ProduceResponsePartitionProduceResponse[] = [];
  run.responses.push({ name: data.name, partitionResponses: out });
  return { name: data.name, described, counters, out, logAppendTime: undefined };
}

function answer(run: Run): ProduceResponse | null {
  if (run.req.acks === 0) return null;
  const leaders = run.leaders;
  // KIP-951: the endpoints of the leaders named in current_leader, so the client need not ask Metadata first.
  const nodeEndpoints = leaders === null ? [] : run.core.replication.brokers(run.ctx.listenerName).filter((b) => leaders.has(b.nodeId)).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
  return { responses: run.responses, throttleTimeMs: 0, nodeEndpoints };
}

/** One partition: answered (pushed to `topic.out`) before it returns, or once the promise it returns settles. */
function producePartition(run: Run, topic: TopicState, p: Complete<ProduceRequestPartitionProduceData>): Promise<void> | undefined {
  const { core, ctx } = run;
  const acks = run.req.acks;
  const name = topic.name;
  const out = topic.out;
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    out.push(partitionError(p.index, KafkaErrorCode.INVALID_REQUIRED_ACKS, `acks=${acks} is not 0, 1 or -1`));
    return undefined;
  }
  const described = topic.described;
  if (described?.internal) {
    // Kafka: only the broker itself appends to __consumer_offsets and __transaction_state.
    out.push(partitionError(p.index, KafkaErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${name}`));
    return undefined;
  }
  const log = core.topics.log(name, p.index);
  if (described === undefined || !(p.index >= 0 && p.index < described.partitions)) {
    out.push(partitionError(p.index, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${name}-${p.index} does not exist`));
    return undefined;
  }
  const leadership = core.replication.leaderCheck(name, p.index, -1);
  if (log === null || leadership !== KafkaErrorCode.NONE) {
    out.push(notLeader(core, name, p.index, log === null ? KafkaErrorCode.NOT_LEADER_OR_FOLLOWER : leadership, run));
    return undefined;
  }
  const minIsr = acks === -1 ? minInsyncReplicas(core, name) : 1;
  if (acks === -1) {
    const enough = core.replication.checkEnoughReplicas(name, p.index, minIsr);
    if (enough !== KafkaErrorCode.NONE) {
      out.push(partitionError(p.index, enough, `${name}-${p.index}: the in-sync replicas are fewer than min.insync.replicas=${minIsr}`));
      return undefined;
    }
  }
  let records = p.records;
  try {
    // Produce v0-2 carry magic 0/1 message sets: stored as one v2 batch, as Kafka 3.x does.
    if (ctx.apiVersion < 3 && records !== null) records = upconvertMessageSet(records, `${name}-${p.index}`, decompressionLimit(log.config));
    if (records === null || records.length < RECORDS) throw new StrandError(`${name}-${p.index}: no record batch in the request`, 'ERR_STRAND_CORRUPT_BATCH', KafkaErrorCode.CORRUPT_MESSAGE);
    const first = batchSizeAt(records, 0, records.length);
    if (first > log.config.maxMessageBytes) {
      throw new StrandError(`${name}-${p.index}: batch of ${first} bytes exceeds max.message.bytes=${log.config.maxMessageBytes}`, 'ERR_STRAND_RECORD_TOO_LARGE', KafkaErrorCode.MESSAGE_TOO_LARGE);
    }
    // Kafka: produce v3+ carries exactly one batch per partition. (A bad length is reported by the validation in appendBatches.)
    if (first > 0 && first < records.length) throw new StrandError(`${name}-${p.index}: more than one record batch in one partition; produce v3+ allows exactly one`, 'ERR_STRAND_INVALID_RECORD', KafkaErrorCode.INVALID_RECORD);
    checkTransactionalBatch(core, run.req.transactionalId ?? null, name, p.index, records);
    if (needsSchemaValidation(described.configs)) {
      const batch = records;
      return validateRecordSchemas(core, name, batch).then(
        () => append(run, topic, p.index, log, batch, minIsr),
        (err: unknown) => refused(run, topic, p.index, log, err),
      );
    }
  } catch (err) {
    refused(run, topic, p.index, log, err);
    return undefined;
  }
  return append(run, topic, p.index, log, records, minIsr);
}

/** Append a checked batch and answer the partition (now, or when the worker pool is done with it). */
function append(run: Run, topic: TopicState, index: number, log: Log, records: Buffer, minIsr: number): Promise<void> | undefined {
  try {
    const startOffset = log.startOffset;
    const appendTime = (topic.logAppendTime ??= usesLogAppendTime(run.core, topic.described)) ? Date.now() : -1;
    if (appendTime >= 0) stampLogAppendTime(records, 0, records.length, appendTime);
    // Validated here (CRC, records); compressed batches are deep-validated, and recompressed
    // to the topic's compression.type, in the worker pool, still applied in request order.
    const appending = log.appendBatches(records);
    if (appending instanceof Promise) {
      return appending
        .then((result) => appended(run, topic, index, log, records.length, result, startOffset, appendTime, minIsr))
        .catch((err: unknown) => refused(run, topic, index, log, err));
    }
    appended(run, topic, index, log, records.length, appending, startOffset, appendTime, minIsr);
  } catch (err) {
    refused(run, topic, index, log, err);
  }
  return undefined;
}

function appended(run: Run, topic: TopicState, index: number, log: Log, bytes: number, result: AppendResult, startOffset: number, appendTime: number, minIsr: number): void {
  const core = run.core;
  const name = topic.name;
  // A retried idempotent batch is answered with its original offsets; nothing was written.
  if (!result.duplicate) {
    topic.counters!.bytesIn += bytes;
    topic.counters!.messagesIn += result.lastOffset - result.baseOffset + 1;
    core.notifyAppend(name, index);
    core.replication.leaderAppended(name, index, log);
  }
  const durable = log.durable();
  const response: ProduceResponsePartitionProduceResponse = { index, errorCode: 0, baseOffset: BigInt(result.baseOffset), logAppendTimeMs: appendTime < 0 ? NO_TIME : BigInt(appendTime), logStartOffset: BigInt(startOffset), recordErrors: [], errorMessage: null };
  topic.out.push(response);
  if (run.req.acks === -1) {
    const where = `${name}-${index}`;
    const timeoutMs = run.req.timeoutMs;
    const replicated = core.replication.waitForIsr(name, index, result.lastOffset + 1, minIsr, timeoutMs).then((code) => {
      if (code === KafkaErrorCode.NONE || response.errorCode !== KafkaErrorCode.NONE) return;
      response.errorCode = code;
      response.errorMessage = code === KafkaErrorCode.REQUEST_TIMED_OUT
        ? `${where}: the in-sync replicas did not all have offset ${result.lastOffset} within ${timeoutMs} ms`
        : code === KafkaErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
          ? `${where}: written, but the in-sync replicas fell below min.insync.replicas=${minIsr}`
          : `${where}: leadership moved before the in-sync replicas had the records`;
    });
    (run.durable ??= []).push(durable.catch((err: Error) => {
      response.errorCode = err instanceof StrandError ? err.kafkaCode : KafkaErrorCode.KAFKA_STORAGE_ERROR;
      response.errorMessage = err.message;
    }), replicated);
  } else if (!watched.has(durable)) {
    // Appends waiting for the same flush share its promise: its failure is logged once, for the
    // partition. Only names are captured: a closure over the request would keep its bytes alive
    // until the flush (up to flush.ms), promoted to the old generation on the way.
    watched.add(durable);
    const where = `${name}-${index}`;
    durable.catch((err: Error) => core.logger.error({ partition: where, err: err.message }, 'flush failed after acks=0/1 produce'));
  }
}

/** The partition's batch was refused, or its append failed. */
function refused(run: Run, topic: TopicState, index: number, log: Log, err: unknown): void {
  const code = err instanceof StrandError ? err.kafkaCode : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
  if (!(err instanceof StrandError)) run.core.logger.error({ topic: topic.name, partition: index, err }, 'produce failed');
  // Kafka answers a batch its validator refused with the partition's log start offset (ReplicaManager.processFailedRecord).
  const invalid = err instanceof InvalidRecordError;
  if (topic.counters !== null) topic.counters.failedProduceRequests++;
  topic.out.push(partitionError(index, code, (err as Error).message, recordErrorsOf(err), invalid ? log.startOffset : -1));
}
