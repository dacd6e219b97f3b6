/**
 * Authorization of the data APIs, as Kafka's KafkaApis checks them: Produce needs WRITE on the
 * transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition) and on each
 * topic; a consumer's Fetch READ on each topic, a follower's CLUSTER_ACTION on the cluster;
 * ListOffsets and a client's OffsetForLeaderEpoch DESCRIBE; DeleteRecords DELETE; and
 * DescribeProducers READ. Denied topics get TOPIC_AUTHORIZATION_FAILED per partition; the
 * others go to the handler.
 */
import { KafkaErrorCode, StrandError } from '../../../../errors.js';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../../../../protocol/messages/delete-records.js';
import type { DescribeProducersRequest, DescribeProducersResponse } from '../../../../protocol/messages/describe-producers.js';
import type { FetchRequest, FetchResponse } from '../../../../protocol/messages/fetch.js';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../../../../protocol/messages/list-offsets.js';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../../../../protocol/messages/offset-for-leader-epoch.js';
import type { ProduceRequest, ProduceResponse } from '../../../../protocol/messages/produce.js';
import type { Complete } from '../../../../protocol/types.js';
import type { Handler } from '../../../context.js';
import { accessOf, checkEach, type Guard, Op, split } from './guard.js';

const TOPIC_DENIED = KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED;

/**
 * An acks=0 producer gets no answer to carry the error: Kafka closes its connection instead
 * (KafkaApis.handleProduceRequest), so the client refreshes its metadata. A handler error closes
 * this connection only.
 */
function unanswerable(principal: string, what: string): StrandError {
  return new StrandError(`acks=0 produce refused: ${principal} may not write to ${what}`, 'ERR_STRAND_AUTHORIZATION', KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED);
}

export const guardProduce = (inner: Handler<ProduceRequest, ProduceResponse>): Handler<ProduceRequest, ProduceResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const deniedAs = (code: number) => (t: Complete<ProduceRequest>['topicData'][number]) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: code, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null })),
  });
  if (req.transactionalId !== null && req.transactionalId !== undefined && !a.txn(Op.WRITE, req.transactionalId)) {
    if (req.acks === 0) throw unanswerable(ctx.principal, `transactional id ${req.transactionalId}`);
    return { responses: req.topicData.map(deniedAs(KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)), throttleTimeMs: 0 };
  }
  const [allowed, denied] = split(req.topicData, (t) => a.topic(Op.WRITE, t.name));
  if (denied.length === 0) return inner(req, ctx);
  const res = allowed.length > 0 ? await inner({ ...req, topicData: allowed }, ctx) : null;
  if (req.acks === 0) throw unanswerable(ctx.principal, `topics ${denied.map((t) => t.name).join(', ')}`);
  return { ...(res ?? { throttleTimeMs: 0 }), responses: [...(res?.responses ?? []), ...denied.map(deniedAs(TOPIC_DENIED))] };
};

export const guardFetch = (inner: Handler<FetchRequest, FetchResponse>): Handler<FetchRequest, FetchResponse> => async (req, ctx) => {
  const a = accessOf(ctx);
  if (a === null) return inner(req, ctx);
  const v = ctx.apiVersion;
  const replicaId = v <= 14 ? req.replicaId ?? -1 : req.replicaState?.replicaId ?? -1;
  const nameOf = (t: { topic?: string; topicId?: string }) => (v >= 13 ? ctx.broker.topics.byId(t.topicId ?? '')?.name : t.topic);
  // A follower needs CLUSTER_ACTION; a consumer READ on each topic (an unknown topic id is the handler's to answer).
  const ok = replicaId >= 0
    ? (() => { const c = a.cluster(Op.CLUSTER_ACTION); return () => c; })()
    : (t: { topic?: string; topicId?: string }) => { const n = nameOf(t); return n === undefined || a.topic(Op.READ, n); };
  const [allowed, denied] = split(req.topics, ok);
  // An incremental fetch (KIP-227) names only what changed; the session's other partitions are
  // answered too, so their READ is checked on the way out (an ACL removed mid-session applies).
  const incremental = replicaId < 0 && (req.sessionEpoch ?? -1) > 0;
  if (denied.length === 0 && !incremental) return inner(req, ctx);
  // Answer at once: a long poll must not hold the errors back.
  const res = await inner(denied.length === 0 ? req : { ...req, topics: allowed, maxWaitMs: 0 }, ctx);
  if (res === null) return null;
  const deniedPartition = (partitionIndex: number) => ({ partitionIndex, errorCode: TOPIC_DENIED, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: Buffer.alloc(0) });
  // The session may answer a denied topic too: it is answered once, below.
  const deniedNames = new Set(denied.map((t) => nameOf(t)));
  const responses = !incremental ? res.responses : res.responses
    .filter((t) => !deniedNames.has(nameOf(t)))
    .map((t) => (ok(t) ? t : { ...t, partitions: t.partitions.map((p) => deniedPartition(p.partitionIndex)) }));
  const deniedTopics = denied.map((t) => ({ topic: t.topic ?? nameOf(t) ?? '', topicId: t.topicId ?? '', partitions: t.partitions.map((p) => deniedPartition(p.partition)) }));
  return { ...res, responses: [...responses, ...deniedTopics] };
};

/** A request with topics by `name` and a per-partition answer: denied topics answered `code` without the handler. */
function perTopic<Req, Res>(
  op: number,
  topicsOf: (req: Complete<Req>) => Array<{ name: string; partitions: number[] }>,
  withTopics: (req: Complete<Req>, keep: ReadonlySet<string>) => Complete<Req>,
  answer: (res: Res, denied: Array<{ name: string; partitions: number[] }>) => Res,
  empty: () => Res,
): Guard {
  return (inner: Handler<Req, Res>): Handler<Req, Res> => (req, ctx) => {
    const a = accessOf(ctx);
    if (a === null) return inner(req, ctx);
    return checkEach(inner, req, ctx, {
      items: topicsOf(req),
      ok: (t) => a.topic(op, t.name),
      narrow: (allowed) => withTopics(req, new Set(allowed.map((t) => t.name))),
      empty,
      refused: answer,
    });
  };
}

export const guardListOffsets: Guard = perTopic<ListOffsetsRequest, ListOffsetsResponse>(
  Op.DESCRIBE,
  (req) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
  (req, keep) => ({ ...req, topics: req.topics.filter((t) => keep.has(t.name)) }),
  (res, denied) => ({ ...res, topics: [...res.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: TOPIC_DENIED, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 })) }))] }),
  () => ({ throttleTimeMs: 0, topics: [] }),
);

const epochDenied = (res: OffsetForLeaderEpochResponse, denied: Array<{ name: string; partitions: number[] }>): OffsetForLeaderEpochResponse => ({
  ...res, topics: [...res.topics, ...denied.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => ({ errorCode: TOPIC_DENIED, partition: p, leaderEpoch: -1, endOffset: -1n })) }))],
});

/** A follower (replica id >= 0) needs CLUSTER_ACTION, a client DESCRIBE on each topic (Kafka's handleOffsetForLeaderEpochRequest). */
export const guardOffsetForLeaderEpoch = (inner: Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>): Handler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> => {
  const asClient = perTopic<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(
    Op.DESCRIBE,
    (req) => req.topics.map((t) => ({ name: t.topic, partitions: t.partitions.map((p) => p.partition) })),
    (req, keep) => ({ ...req, topics: req.topics.filter((t) => keep.has(t.topic)) }),
    epochDenied,
    () => ({ throttleTimeMs: 0, topics: [] }),
  )(inner);
  return (req, ctx) => {
    const a = accessOf(ctx);
    if (a === null || (req.replicaId ?? -1) < 0) return asClient(req, ctx);
    if (a.cluster(Op.CLUSTER_ACTION)) return inner(req, ctx);
    return epochDenied({ throttleTimeMs: 0, topics: [] }, req.topics.map((t) => ({ name: t.topic, partitions: t.partitions.map((p) => p.partition) })));
  };
};

export const guardDeleteRecords: Guard = perTopic<DeleteRecordsRequest, DeleteRecordsResponse>(
  Op.DELETE,
  (req) => req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })),
  (req, keep) => ({ ...req, topics: req.topics.filter((t) => keep.has(t.name)) }),
  (res, denied) => ({ ...res, topics: [...res.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, lowWatermark: -1n, errorCode: TOPIC_DENIED })) }))] }),
  () => ({ throttleTimeMs: 0, topics: [] }),
);

export const guardDescribeProducers: Guard = perTopic<DescribeProducersRequest, DescribeProducersResponse>(
  Op.READ,
  (req) => req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes })),
  (req, keep) => ({ ...req, topics: req.topics.filter((t) => keep.has(t.name)) }),
  (res, denied) => ({ ...res, topics: [...res.topics, ...denied.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p, errorCode: TOPIC_DENIED, errorMessage: null, activeProducers: [] })) }))] }),
  () => ({ throttleTimeMs: 0, topics: [] }),
);
