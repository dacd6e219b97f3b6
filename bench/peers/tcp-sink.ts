/**
 * Baseline: a loopback TCP sink that speaks just enough Kafka for the load generator, and does no
 * work a broker does (no validation, no log, no fsync). It answers each Produce frame with a
 * minimal valid Produce response (every partition: no error, base offset 0), each Fetch with the
 * same prebuilt record batches (base offsets rewritten per response, bytes shared), and ApiVersions,
 * Metadata (every topic exists, with --partitions partitions, led by this node) and ListOffsets.
 * Fed by `strand perf`, it shows what the machine, Node's sockets and the load generator can do,
 * so every broker figure is also a fraction of that.
 *
 * Usage: node --import tsx bench/peers/tcp-sink.ts [partitions]   (prints `@@ready host:port`)
 */
import { createServer, type Socket } from 'node:net';
import { readInto } from '../../src/broker/socket-reads.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import {
  ApiKey, ApiVersionsApi, FetchApi, ListOffsetsApi, MetadataApi, ProduceApi, encodeApiVersionsFallback, encodeResponseFrame,
  readRequestFrame, supportedApiVersions, type Complete, type FetchRequest, type ListOffsetsRequest, type MetadataRequest, type ProduceRequest,
} from '../../src/protocol/index.js';
import { READY } from './procs.js';

const PARTITIONS = Number(process.argv[2] ?? '1');
const TOPIC_ID = 'c3RyYW5kLXRjcC1zaW5rAA';
const KEYS = new Set<number>([ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets]);
const VERSIONS = supportedApiVersions(KEYS);
const RECORDS_PER_BATCH = 1000;
const SERVED_BATCHES = 64; // 64 batches of 1,000 100-byte records: ~7 MB per partition per fetch at most

// Prebuilt batches served by Fetch: 100-byte records, as the load generator writes them.
const value = Buffer.alloc(100, 'x');
const template = encodeBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ value })));
const tail = template.subarray(8);

let port = 0;

function produceResponse(req: Complete<ProduceRequest>, version: number, correlationId: number): Buffer[] | null {
  if (req.acks === 0) return null;
  return encodeResponseFrame(ProduceApi, version, correlationId, {
    throttleTimeMs: 0,
    responses: req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null })),
    })),
  });
}

function fetchResponse(req: Complete<FetchRequest>, version: number, correlationId: number): Buffer[] {
  // Each partition gets the prebuilt batches that fit its limit, at its fetch offset.
  const placeholders = new Map<Buffer, Buffer[]>();
  const responses = req.topics.map((t) => ({
    topic: t.topic, topicId: t.topicId,
    partitions: t.partitions.map((p) => {
      const n = Math.max(1, Math.min(SERVED_BATCHES, Math.floor(p.partitionMaxBytes / template.length)));
      const chunks: Buffer[] = [];
      let offset = Number(p.fetchOffset);
      for (let i = 0; i < n; i++) {
        const head = Buffer.allocUnsafe(8);
        head.writeBigInt64BE(BigInt(offset));
        offset += RECORDS_PER_BATCH;
        chunks.push(head, tail);
      }
      const placeholder = Buffer.allocUnsafe(n * template.length);
      placeholders.set(placeholder, chunks);
      return { partitionIndex: p.partition, errorCode: 0, highWatermark: BigInt(offset), lastStableOffset: BigInt(offset), logStartOffset: 0n, abortedTransactions: null, preferredReadReplica: -1, records: placeholder };
    }),
  }));
  const frame = encodeResponseFrame(FetchApi, version, correlationId, { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses });
  return frame.flatMap((c) => placeholders.get(c) ?? [c]);
}

function answer(frame: Buffer): Buffer[] | null {
  const f = readRequestFrame(frame);
  const v = f.apiVersion;
  if (f.apiKey === ApiKey.ApiVersions) {
    if (!f.supported) return encodeApiVersionsFallback(f.correlationId, VERSIONS);
    return encodeResponseFrame(ApiVersionsApi, v, f.correlationId, { errorCode: 0, apiKeys: VERSIONS, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false });
  }
  if (!f.supported || !KEYS.has(f.apiKey)) throw new Error(`the sink does not serve API ${f.apiKey} v${v}`);
  if (f.apiKey === ApiKey.Produce) return produceResponse(ProduceApi.decodeRequest(f.body, v), v, f.correlationId);
  if (f.apiKey === ApiKey.Fetch) return fetchResponse(FetchApi.decodeRequest(f.body, v), v, f.correlationId);
  if (f.apiKey === ApiKey.Metadata) {
    const req: Complete<MetadataRequest> = MetadataApi.decodeRequest(f.body, v);
    const partitions = Array.from({ length: PARTITIONS }, (_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }));
    return encodeResponseFrame(MetadataApi, v, f.correlationId, {
      throttleTimeMs: 0, brokers: [{ nodeId: 0, host: '127.0.0.1', port, rack: null }], clusterId: 'tcp-sink', controllerId: 0,
      topics: (req.topics ?? []).map((t) => ({ errorCode: 0, name: t.name ?? 'sink', topicId: TOPIC_ID, isInternal: false, partitions, topicAuthorizedOperations: -2147483648 })),
      clusterAuthorizedOperations: -2147483648,
    });
  }
  const req: Complete<ListOffsetsRequest> = ListOffsetsApi.decodeRequest(f.body, v);
  return encodeResponseFrame(ListOffsetsApi, v, f.correlationId, {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, oldStyleOffsets: [], timestamp: -1n, offset: p.timestamp === -2n ? 0n : 1n << 40n, leaderEpoch: 0 })),
    })),
  });
}

// Read as the broker reads (src/broker/socket-reads.ts: the broker's own buffers, a large frame
// straight into its own), so the baseline does not pay for allocations the broker avoids.
function serve(accepted: Socket): void {
  let socket: Socket;
  const reader = new FrameReader({
    maxFrameBytes: 0x7fffffff,
    onFrame: (frame) => {
      let out: Buffer[] | null;
      try {
        out = answer(frame);
      } catch (err) {
        console.error((err as Error).message);
        socket.destroy();
        return;
      }
      if (out === null) return;
      socket.cork();
      for (const c of out) socket.write(c);
      socket.uncork();
    },
    onFail: (err) => {
      console.error(err.message);
      socket.destroy();
    },
  });
  socket = readInto(accepted, reader);
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
}

const server = createServer({ pauseOnConnect: true }, serve);
server.listen(0, '127.0.0.1', () => {
  port = (server.address() as { port: number }).port;
  process.stdout.write(`${READY}127.0.0.1:${port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
// The benchmark that started us holds our stdin open; if it dies without stopping us, exit.
process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
