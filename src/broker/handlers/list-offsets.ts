/**
 * ListOffsets (2): per partition, the offset for a timestamp: -2 earliest (log start offset),
 * -1 latest (high watermark; the last stable offset under read_committed, v2+; the log end for a
 * follower, which names itself with replica_id), -3 the record
 * with the largest timestamp (v7+), otherwise the first record at or after the timestamp. Under
 * read_committed a record found at or after the LSO is not answered, as in Kafka. v0 answers in
 * its old list form. Only the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere, and
 * the leader epoch checks of KIP-320 from v4).
 */
import { KafkaErrorCode, StrandError } from '../../errors.js';
import type { ListOffsetsRequest, ListOffsetsResponse, ListOffsetsResponseListOffsetsPartitionResponse } from '../../protocol/messages/list-offsets.js';
import type { Handler } from '../context.js';

const EARLIEST = -2n;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;
const READ_COMMITTED = 1;

export const handleListOffsets: Handler<ListOffsetsRequest, ListOffsetsResponse> = (req, ctx) => {
  const core = ctx.broker;
  const v = ctx.apiVersion;
  const committed = v >= 2 && req.isolationLevel === READ_COMMITTED;
  const topics: ListOffsetsResponse['topics'] = [];
  for (const t of req.topics) {
    const partitions: ListOffsetsResponseListOffsetsPartitionResponse[] = [];
    topics.push({ name: t.name, partitions });
    for (const p of t.partitions) {
      const out: ListOffsetsResponseListOffsetsPartitionResponse = { partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
      partitions.push(out);
      const log = core.topics.log(t.name, p.partitionIndex);
      const known = core.topics.get(t.name);
      if (log === null) {
        out.errorCode = known !== undefined && p.partitionIndex >= 0 && p.partitionIndex < known.partitions ? KafkaErrorCode.NOT_LEADER_OR_FOLLOWER : KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        continue;
      }
      const leadership = core.replication.leaderCheck(t.name, p.partitionIndex, v >= 4 ? p.currentLeaderEpoch ?? -1 : -1);
      if (leadership !== KafkaErrorCode.NONE) {
        out.errorCode = leadership;
        continue;
      }
      try {
        let found: { offset: number; timestamp: number } | null;
        const hw = Math.min(core.replication.highWatermark(t.name, p.partitionIndex, log), log.endOffset);
        const lastFetchable = req.replicaId >= 0 ? log.endOffset : committed ? Math.min(log.lastStableOffset, hw) : hw;
        if (p.timestamp === EARLIEST) found = { offset: log.startOffset, timestamp: -1 };
        else if (p.timestamp === LATEST) found = { offset: lastFetchable, timestamp: -1 };
        else {
          // The log keeps the largest timestamp per batch; the record carrying it is the first at or after it (KAFKA-16310).
          const max = p.timestamp === MAX_TIMESTAMP ? log.maxTimestamp() : null;
          found = p.timestamp === MAX_TIMESTAMP ? (max === null ? null : log.lookupTime(max.timestamp)) : log.lookupTime(Number(p.timestamp));
          if (found !== null && found.offset >= lastFetchable) found = null;
        }
        if (found !== null) {
          out.offset = BigInt(found.offset);
          out.timestamp = BigInt(found.timestamp);
          out.leaderEpoch = core.replication.leaderEpoch(t.name, p.partitionIndex);
        }
        if (v === 0) out.oldStyleOffsets = found === null ? [] : [BigInt(found.offset)];
      } catch (err) {
        out.errorCode = err instanceof StrandError ? err.kafkaCode : KafkaErrorCode.UNKNOWN_SERVER_ERROR;
      }
    }
  }
  return { throttleTimeMs: 0, topics };
};
