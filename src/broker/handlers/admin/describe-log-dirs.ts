/**
 * DescribeLogDirs (35), v0-4: the one data directory (absolute path) with the size of every
 * partition log in it (or of those asked for), and v4+ the volume's total and free bytes. In a
 * cluster each broker answers for the replicas it holds (only they have logs here), as Kafka's
 * brokers do; the offset lag is Kafka's for a current log: how far the log end is below the high
 * watermark (ReplicaManager.getLogEndOffsetLag), which a replica never is.
 */
import { statfsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse, DescribeLogDirsResponseDescribeLogDirsTopic } from '../../../protocol/messages/describe-log-dirs.js';
import type { Handler } from '../../context.js';

export const handleDescribeLogDirs: Handler<DescribeLogDirsRequest, DescribeLogDirsResponse> = (req, ctx) => {
  const b = ctx.broker;
  const wanted: Array<{ topic: string; partitions: number[] }> = req.topics !== null
    ? req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions }))
    : b.topics.list().map((t) => ({ topic: t.name, partitions: Array.from({ length: t.partitions }, (_, i) => i) }));
  const byTopic = new Map<string, DescribeLogDirsResponseDescribeLogDirsTopic>();
  for (const w of wanted) {
    for (const p of w.partitions) {
      const log = b.topics.log(w.topic, p);
      if (log === null) continue; // Kafka leaves out partitions it does not host
      let entry = byTopic.get(w.topic);
      if (entry === undefined) byTopic.set(w.topic, (entry = { name: w.topic, partitions: [] }));
      if (entry.partitions.some((x) => x.partitionIndex === p)) continue;
      entry.partitions.push({ partitionIndex: p, partitionSize: BigInt(log.size), offsetLag: BigInt(Math.max(0, log.highWatermark - log.endOffset)), isFutureKey: false });
    }
  }
  let totalBytes = -1n;
  let usableBytes = -1n;
  try {
    const fs = statfsSync(b.store.dir, { bigint: true });
    totalBytes = fs.blocks * fs.bsize;
    usableBytes = fs.bavail * fs.bsize;
  } catch {
    // unknown: -1
  }
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    results: [{ errorCode: ErrorCode.NONE, logDir: resolve(b.store.dir), topics: [...byTopic.values()], totalBytes, usableBytes }],
  };
};
