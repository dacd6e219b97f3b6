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
 */
import { InvalidRecordError, KafkaErrorCode, StrandError } from '../../errors.js';
import { RECORDS } from '../../format/batch-header.js';
import { upconvertMessageSet } from '../../format/message-set.js';
import { batchSizeAt, stampLogAppendTime } from '../../format/record-batch.js';
import { decompressionLimit } from '../../storage/append-rules.js';
import type { ProduceRequest, ProduceResponse, ProduceResponsePartitionProduceResponse } from '../../protocol/messages/produce.js';
import type { BrokerCore, Handler } from '../context.js';
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
function notLeader(core: BrokerCore, topic: string, index: number, code: number, leaders: Set<number>): ProduceResponsePartitionProduceResponse {
  const out = partitionError(index, code, `this broker (${core.nodeId}) is not the leader of ${topic}-${index}`);
  const view = core.replication.view(topic, index);
  if (view !== undefined && view.leader >= 0) {
    out.currentLeader = { leaderId: view.leader, leaderEpoch: view.leaderEpoch };
    leaders.add(view.leader);
  }
  return out;
}

/** message.timestamp.type of the topic (its override, else log.message.timestamp.type). */
function usesLogAppendTime(core: BrokerCore, topic: string): boolean {
  const type = core.topics.get(topic)?.configs.get('message.timestamp.type') ?? core.config.raw('log.message.timestamp.type');
  return type === 'LogAppendTime';
}

export const handleProduce: Handler<ProduceRequest, ProduceResponse> = async (req, ctx) => {
  const core = ctx.broker;
  const acks = req.acks;
  const responses: ProduceResponse['responses'] = [];
  const durable: Array<Promise<unknown>> = [];
  const leaders = new Set<number>();
  for (const topic of req.topicData) {
    const partitionResponses: ProduceResponsePartitionProduceResponse[] = [];
    responses.push({ name: topic.name, partitionResponses });
    const counters = core.topics.get(topic.name) === undefined ? null : core.stats.topic(topic.name);
    if (counters !== null) counters.produceRequests++;
    for (const p of topic.partitionData) {
      if (acks !== 0 && acks !== 1 && acks !== -1) {
        partitionResponses.push(partitionError(p.index, KafkaErrorCode.INVALID_REQUIRED_ACKS, `acks=${acks} is not 0, 1 or -1`));
        continue;
      }
      if (core.topics.get(topic.name)?.internal) {
        // Kafka: only the broker itself appends to __consumer_offsets and __transaction_state.
        partitionResponses.push(partitionError(p.index, KafkaErrorCode.INVALID_TOPIC_EXCEPTION, `cannot append to internal topic ${topic.name}`));
        continue;
      }
      const log = core.topics.log(topic.name, p.index);
      const described = core.topics.get(topic.name);
      if (described === undefined || !(p.index >= 0 && p.index < described.partitions)) {
        partitionResponses.push(partitionError(p.index, KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic.name}-${p.index} does not exist`));
        continue;
      }
      const leadership = core.replication.leaderCheck(topic.name, p.index, -1);
      if (log === null || leadership !== KafkaErrorCode.NONE) {
        partitionResponses.push(notLeader(core, topic.name, p.index, log === null ? KafkaErrorCode.NOT_LEADER_OR_FOLLOWER : leadership, leaders));
        continue;
      }
      const minIsr = acks === -1 ? minInsyncReplicas(core, topic.name) : 1;
      if (acks === -1) {
        const enough = core.replication.checkEnoughReplicas(topic.name, p.index, minIsr);
        if (enough !== KafkaErrorCode.NONE) {
          partitionResponses.push(partitionError(p.index, enough, `${topic.name}-${p.index}: the in-sync replicas are fewer than min.insync.replicas=${minIsr}`));
          continue;
        }
      }
      let records = p.records;
      try {
        // Produce v0-2 carry magic 0/1 message sets: stored as one v2 batch, as Kafka 3.x does.
        if (ctx.apiVersion < 3 && records !== null) records = upconvertMessageSet(records, `${topic.name}-${p.index}`, decompressionLimit(log.config));
        if (records === null || records.length < RECORDS) throw new StrandError(`${topic.name}-${p.index}: no record batch in the request`, 'ERR_STRAND_CORRUPT_BATCH', KafkaErrorCode.CORRUPT_MESSAGE);
        const first = batchSizeAt(records, 0, records.length);
        if (first > log.config.maxMessageBytes) {
          throw new StrandError(`${topic.name}-${p.index}: batch of ${first} bytes exceeds max.message.bytes=${log.config.maxMessageBytes}`, 'ERR_STRAND_RECORD_TOO_LARGE', KafkaErrorCode.MESSAGE_TOO_LARGE);
        }
        // Kafka: produce v3+ carries exactly one batch per partition. (A bad length is reported by the validation in appendBatches.)
        if (first > 0 && first < records.length) throw new StrandError(`${topic.name}-${p.index}: more than one record batch in one partition; produce v3+ allows exactly one`, 'ERR_STRAND_INVALID_RECORD', KafkaErrorCode.INVALID_RECORD);
        checkTransactionalBatch(core, req.transactionalId ?? null, topic.name, p.index, records);
        if (needsSchemaValidation(described.configs)) await validateRecordSchemas(core, topic.name, records);
        const startOffset = log.startOffset;
        const appendTime = usesLogAppendTime(core, topic.name) ? Date.now() : -1;
        if (appendTime >= 0) stampLogAppendTime(records, 0, records.length, appendTime);
        // Validated here (CRC, records); compressed batches are deep-validated, and recompressed
        // to the topic's compression.type, in the worker pool, still applied in request order.
        const appending = log.appendBatches(records);
        const result = appending instanceof Promise ? await appending : appending;
        // A retried idempotent batch is answered with its original offsets; nothing was written.
        if (!result.duplicate) {
          counters!.bytesIn += records.length;
          counters!.messagesIn += result.lastOffset - result.baseOffset + 1;
          core.notifyAppend(topic.name, p.index);
          core.replication.leaderAppended(topic.name, p.index, log);
        }
        const appended = log.durable();
        const response: ProduceResponsePartitionProduceResponse = { index: p.index, errorCode: 0, baseOffset: BigInt(result.baseOffset), logAppendTimeMs: BigInt(appendTime), logStartOffset: BigInt(startOffset), recordErrors: [], errorMessage: null };
        partitionResponses.push(response);
        if (acks === -1) {
          const where = `${topic.name}-${p.index}`;
          const replicated = core.replication.waitForIsr(topic.name, p.index, result.lastOffset + 1, minIsr, req.timeoutMs).then((code) => {
            if (code === KafkaErrorCode.NONE || response.errorCode !== KafkaErrorCode.NONE) return;
            response.errorCode = code;
            response.errorMessage = code === KafkaErrorCode.REQUEST_TIMED_OUT
              ? `${where}: the in-sync replicas did not all have offset ${result.lastOffset} within ${req.timeoutMs} ms`
              : code === KafkaErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
                ? `${where}: written, but the in-sync replicas fell below min.insync.replicas=${minIsr}`
                : `${where}: leadership moved before the in-sync replicas had the records`;
          });
          durable.push(appended.catch((err: Error) => {
            response.errorCode = err instanceof StrandError ? err.kafkaCode : KafkaErrorCode.KAFKA_STORAGE_ERROR;
            response.errorMessage = err.message;
          }), replicated);
        } else {
          // Capture names only: a closure over `p` would keep the request's bytes alive until the
          // next flush (up to flush.ms), promoted to the old generation on the way.
          const where = `${topic.name}-${p.index}`;
          appended.catch((err: Error) => core.logger.error({ partition: where, err: err.message }, 'flush failed after acks=0/1 produce'));
        }
      } catch (err) {
        const code = err instanceof StrandError ? err.kafkaCode : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
        if (!(err instanceof StrandError)) core.logger.error({ topic: topic.name, partition: p.index, err }, 'produce failed');
        // Kafka answers a batch its validator refused with the partition's log start offset (ReplicaManager.processFailedRecord).
        const refused = err instanceof InvalidRecordError;
        if (counters !== null) counters.failedProduceRequests++;
        partitionResponses.push(partitionError(p.index, code, (err as Error).message, recordErrorsOf(err), refused ? log.startOffset : -1));
      }
    }
  }
  if (durable.length > 0) await Promise.all(durable);
  if (acks === 0) return null;
  // KIP-951: the endpoints of the leaders named in current_leader, so the client need not ask Metadata first.
  const nodeEndpoints = leaders.size === 0 ? [] : core.replication.brokers(ctx.listenerName).filter((b) => leaders.has(b.nodeId)).map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
  return { responses, throttleTimeMs: 0, nodeEndpoints };
};
