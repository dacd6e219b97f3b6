/**
 * Hardening settings, each over a real socket: socket.request.max.bytes closes only the
 * connection that sends a larger frame; connection.failed.authentication.delay.ms holds back the
 * answer to a failed SASL authentication, then closes the connection.
 */
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { ApiVersionsApi, CreateTopicsApi, FetchApi, ProduceApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { encodeBatch } from '../../src/format/record-batch.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { RawClient } from '../helpers/raw-client.js';
import { tmpDir } from '../helpers/tmp.js';
import { PLAIN_JAAS } from './sasl-helpers.js';

const apiVersions = (c: RawClient) => c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });

describe('hardening', () => {
  it('socket.request.max.bytes: a frame above it closes that connection only', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'socket.request.max.bytes': '1024' } });
    const other = await RawClient.open(broker.bootstrap);
    expect((await apiVersions(other)).errorCode).toBe(0);
    const c = await RawClient.open(broker.bootstrap);
    // A size prefix of 1025: closed on the prefix alone, before any body is sent or buffered.
    const size = Buffer.alloc(4);
    size.writeInt32BE(1025);
    c.write(size);
    expect(await c.closedByBroker(10_000)).toBe(true);
    // The other connection is untouched.
    expect((await apiVersions(other)).errorCode).toBe(0);
    other.close();
    await broker.stop();
  });

  it('max.request.partition.size.limit: a Produce or Fetch naming more partitions closes its connection', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'max.request.partition.size.limit': '3' } });
    const records = encodeBatch([{ value: Buffer.from('v') }]);
    const produce = (n: number) => ({ transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'a', partitionData: Array.from({ length: n - 1 }, (_, index) => ({ index, records })) }, { name: 'b', partitionData: [{ index: 0, records }] }] });
    const c = await RawClient.open(broker.bootstrap);
    expect((await c.request(ProduceApi, 9, produce(3))).responses.map((r) => r.partitionResponses.length)).toEqual([2, 1]);
    c.write(encodeRequestFrame(ProduceApi, 9, 99, 'raw-test', produce(4)));
    expect(await c.closedByBroker(10_000)).toBe(true);
    const f = await RawClient.open(broker.bootstrap);
    const partition = (p: number) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 });
    const fetch = (n: number) => ({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'a', partitions: Array.from({ length: n }, (_, p) => partition(p)) }], forgottenTopicsData: [], rackId: '' });
    expect((await f.request(FetchApi, 12, fetch(3))).responses[0]!.partitions.length).toBe(3);
    f.write(encodeRequestFrame(FetchApi, 12, 99, 'raw-test', fetch(4)));
    expect(await f.closedByBroker(10_000)).toBe(true);
    await broker.stop();
  });

  it('queued.max.request.bytes: while requests read on one connection hold the broker-wide bound, another connection is not read', async () => {
    const broker = await startBroker({ dataDir: tmpDir(), config: { 'queued.max.request.bytes': '1' } });
    const admin = await RawClient.open(broker.bootstrap);
    await admin.request(CreateTopicsApi, 5, { topics: [{ name: 'idle', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    admin.close();
    const a = await RawClient.open(broker.bootstrap);
    const b = await RawClient.open(broker.bootstrap);
    // A long poll on an empty partition: read, unanswered for max_wait_ms, holding the bound.
    const fetch = { replicaId: -1, maxWaitMs: 1500, minBytes: 1, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'idle', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 }] }], forgottenTopicsData: [], rackId: '' };
    const sent = Date.now();
    const polled = a.request(FetchApi, 12, fetch);
    await new Promise((r) => setTimeout(r, 200));
    // The other connection's request is read only once the long poll is answered (1500 ms
    // after the broker read it, so no earlier than 1500 ms after it was sent).
    await apiVersions(b);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1500 - 2);
    expect((await polled).responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0);
    a.close();
    b.close();
    await broker.stop();
  });

  it('connection.failed.authentication.delay.ms: the failed SaslAuthenticate is answered after the delay, then the connection closes', async () => {
    const delayMs = 700;
    const broker = await startBroker({
      dataDir: tmpDir(),
      config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': PLAIN_JAAS, 'connection.failed.authentication.delay.ms': String(delayMs) },
    });
    const c = await RawClient.open(broker.bootstrap);
    expect((await c.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const sent = Date.now();
    const res = await c.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from('\0alice\0wrong-password') });
    const waited = Date.now() - sent;
    expect(res.errorCode).toBe(58); // SASL_AUTHENTICATION_FAILED
    expect(waited).toBeGreaterThanOrEqual(delayMs - 5);
    expect(await c.closedByBroker(10_000)).toBe(true);
    // The right password is answered at once (no delay on success).
    const ok = await RawClient.open(broker.bootstrap);
    await ok.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
    expect((await ok.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from('\0alice\0alice-secret') })).errorCode).toBe(0);
    ok.close();
    await broker.stop();
  });
});
