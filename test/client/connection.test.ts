import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../src/client/connection.js';
import { ConnectionError, KafkaResponseError, RequestTimeoutError, UnsupportedApiError } from '../../src/client/errors.js';
import { encodeApiVersionsFallback, encodeResponseFrame } from '../../src/protocol/frame.js';
import { ApiKey, ApiVersionsApi, CreateTopicsApi, MetadataApi, type MetadataRequest } from '../../src/protocol/messages/index.js';
import { startMockBroker, type MockBroker, type MockRequest } from './mock-broker.js';

const API_LIST = [
  { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 20 },
  { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
];

let mock: MockBroker | null = null;
afterEach(async () => {
  await mock?.close();
  mock = null;
});

/** ApiVersions as a broker that knows v0-v3 answers it; Metadata echoes the first topic name as the cluster id. */
function standard(req: MockRequest): Buffer[] | null {
  const { frame } = req;
  if (frame.apiKey === ApiKey.ApiVersions) {
    if (frame.apiVersion > 3) return encodeApiVersionsFallback(frame.correlationId, API_LIST);
    return encodeResponseFrame(ApiVersionsApi, frame.apiVersion, frame.correlationId, { errorCode: 0, apiKeys: API_LIST });
  }
  if (frame.apiKey === ApiKey.Metadata) {
    const topics = (req.body as MetadataRequest).topics;
    return encodeResponseFrame(MetadataApi, frame.apiVersion, frame.correlationId, { brokers: [], clusterId: topics?.[0]?.name ?? null, controllerId: 0, topics: [] });
  }
  return null;
}

function connect(port: number, extra: { requestTimeoutMs?: number } = {}): Promise<Connection> {
  return Connection.connect({ host: '127.0.0.1', port, ...extra });
}

describe('Connection', () => {
  it('negotiates the highest version both sides support per API, starting with ApiVersions v3', async () => {
    mock = await startMockBroker(standard);
    const conn = await connect(mock.port);
    expect(mock.requests[0]!.frame.apiKey).toBe(ApiKey.ApiVersions);
    expect(mock.requests[0]!.frame.apiVersion).toBe(3);
    expect(mock.requests[0]!.body).toMatchObject({ clientSoftwareName: 'strand' });
    expect(conn.versions.get(ApiKey.Metadata)).toBe(5); // broker max below ours
    expect(conn.versions.get(ApiKey.Produce)).toBe(11); // our max below the broker's
    expect(conn.versions.has(ApiKey.Fetch)).toBe(false);
    expect(() => conn.versionOf(CreateTopicsApi)).toThrow(UnsupportedApiError);
    await expect(conn.send(CreateTopicsApi, { topics: [] })).rejects.toThrow(/does not support CreateTopics/);
    await conn.close();
  });

  it('falls back to ApiVersions v0 when the broker answers v3 with UNSUPPORTED_VERSION', async () => {
    mock = await startMockBroker((req) => {
      const { frame } = req;
      if (frame.apiKey === ApiKey.ApiVersions && frame.apiVersion > 0) return encodeApiVersionsFallback(frame.correlationId, API_LIST);
      return standard(req);
    });
    const conn = await connect(mock.port);
    expect(mock.requests.map((r) => r.frame.apiVersion)).toEqual([3, 0]);
    expect(conn.versions.get(ApiKey.Metadata)).toBe(5);
    await conn.close();
  });

  it('fails with the error code when ApiVersions v0 fails too', async () => {
    mock = await startMockBroker((req) => encodeApiVersionsFallback(req.frame.correlationId, []));
    const err = await connect(mock.port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaResponseError);
    expect((err as KafkaResponseError).errorCode).toBe(35);
    expect(mock.requests.map((r) => r.frame.apiVersion)).toEqual([3, 0]);
  });

  it('pipelines requests and matches in-order responses, even when written a byte at a time', async () => {
    mock = await startMockBroker(async (req) => {
      await new Promise((r) => setTimeout(r, 5));
      return standard(req);
    });
    const conn = await connect(mock.port);
    mock.write = (socket, chunks) => {
      const all = Buffer.concat(chunks);
      for (let i = 0; i < all.length; i++) socket.write(all.subarray(i, i + 1));
    };
    const names = Array.from({ length: 20 }, (_, i) => `topic-${i}`);
    const answers = await Promise.all(names.map((name) => conn.send(MetadataApi, { topics: [{ name }] })));
    expect(answers.map((a) => a.clusterId)).toEqual(names);
    const ids = mock.requests.slice(1).map((r) => r.frame.correlationId);
    expect(new Set(ids).size).toBe(20);
    expect(conn.pending).toBe(0);
    await conn.close();
  });

  it('reads several responses that arrive in one chunk', async () => {
    mock = await startMockBroker(standard);
    const conn = await connect(mock.port);
    const pending: Buffer[] = [];
    mock.write = (socket, chunks) => {
      pending.push(...chunks);
      if (pending.length >= 3 * chunks.length) socket.write(Buffer.concat(pending.splice(0)));
    };
    const answers = await Promise.all(['a', 'b', 'c'].map((name) => conn.send(MetadataApi, { topics: [{ name }] })));
    expect(answers.map((a) => a.clusterId)).toEqual(['a', 'b', 'c']);
    await conn.close();
  });

  it('times a request out, closes the connection and fails the requests behind it', async () => {
    mock = await startMockBroker((req) => (req.frame.apiKey === ApiKey.Metadata ? null : standard(req)));
    const conn = await connect(mock.port, { requestTimeoutMs: 100 });
    const first = conn.send(MetadataApi, { topics: [] }).catch((e: unknown) => e);
    const second = conn.send(MetadataApi, { topics: [] }, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    const e1 = await first;
    expect(e1).toBeInstanceOf(RequestTimeoutError);
    expect((e1 as Error).message).toMatch(/Metadata request to 127\.0\.0\.1:\d+ got no response within 100 ms/);
    const e2 = await second;
    expect(e2).toBeInstanceOf(ConnectionError);
    expect((e2 as Error).message).toContain('timed out');
    expect(conn.closed).toBe(true);
    await expect(conn.send(MetadataApi, { topics: [] })).rejects.toBeInstanceOf(ConnectionError);
  });

  it('fails every request in flight when the broker closes the connection', async () => {
    mock = await startMockBroker((req) => {
      if (req.frame.apiKey === ApiKey.Metadata) {
        if (req.frame.correlationId === 3) req.socket.destroy();
        return null;
      }
      return standard(req);
    });
    const conn = await connect(mock.port);
    let closed = 0;
    conn.onClose(() => closed++);
    const results = await Promise.all([1, 2, 3].map(() => conn.send(MetadataApi, { topics: [] }).catch((e: unknown) => e)));
    for (const r of results) {
      expect(r).toBeInstanceOf(ConnectionError);
      expect((r as Error).message).toMatch(/connection to 127\.0\.0\.1:\d+ lost/);
    }
    expect(closed).toBe(1);
    expect(conn.closed).toBe(true);
  });

  it('closes on a response with an unexpected correlation id', async () => {
    mock = await startMockBroker((req) => {
      if (req.frame.apiKey !== ApiKey.Metadata) return standard(req);
      return encodeResponseFrame(MetadataApi, req.frame.apiVersion, req.frame.correlationId + 7, { brokers: [], controllerId: 0, topics: [] });
    });
    const conn = await connect(mock.port);
    const err = await conn.send(MetadataApi, { topics: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/correlation id 8, expected 1/);
    expect(conn.closed).toBe(true);
  });

  it('fails close() requests in flight, and a send after close', async () => {
    mock = await startMockBroker((req) => (req.frame.apiKey === ApiKey.Metadata ? null : standard(req)));
    const conn = await connect(mock.port);
    const inFlight = conn.send(MetadataApi, { topics: [] }).catch((e: unknown) => e);
    await conn.close();
    expect(await inFlight).toBeInstanceOf(ConnectionError);
    expect(((await inFlight) as Error).message).toContain('closed by the client');
    await expect(conn.send(MetadataApi, { topics: [] })).rejects.toThrow(/closed by the client/);
  });

  it('says which address refused the connection', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise((r) => server.close(r));
    const err = await connect(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).message).toBe(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    expect((err as ConnectionError).syscallCode).toBe('ECONNREFUSED');
  });

  it('refuses an absurd frame size', async () => {
    mock = await startMockBroker((req) => {
      if (req.frame.apiKey !== ApiKey.Metadata) return standard(req);
      const bad = Buffer.alloc(8);
      bad.writeInt32BE(-5, 0);
      return [bad];
    });
    const conn = await connect(mock.port);
    await expect(conn.send(MetadataApi, { topics: [] })).rejects.toThrow(/response frame of -5 bytes/);
  });

  it('reads a multi-megabyte response spread over many reads, and small ones around it, intact', async () => {
    // 30,000 topics make a 3 MB Metadata response: the reader takes it straight into one buffer.
    const topics = Array.from({ length: 30_000 }, (_, i) => ({ errorCode: 0, name: `t${i}-${'x'.repeat(90)}`, isInternal: false, partitions: [] }));
    mock = await startMockBroker((req) => {
      if (req.frame.apiKey === ApiKey.Metadata && (req.body as MetadataRequest).topics?.[0]?.name === 'big') {
        return encodeResponseFrame(MetadataApi, req.frame.apiVersion, req.frame.correlationId, { brokers: [], clusterId: 'BIG', controllerId: 0, topics });
      }
      return standard(req);
    });
    const conn = await connect(mock.port);
    mock.write = (socket, chunks) => {
      const all = Buffer.concat(chunks);
      for (let i = 0; i < all.length; i += 70_001) socket.write(all.subarray(i, i + 70_001));
    };
    const answers = await Promise.all(['a', 'big', 'b', 'big', 'c'].map((name) => conn.send(MetadataApi, { topics: [{ name }] })));
    expect(answers.map((a) => a.clusterId)).toEqual(['a', 'BIG', 'b', 'BIG', 'c']);
    expect(answers[3]!.topics.map((t) => t.name)).toEqual(topics.map((t) => t.name));
    await conn.close();
  });

  it('refuses a response frame too short to hold a correlation id', async () => {
    mock = await startMockBroker((req) => {
      if (req.frame.apiKey !== ApiKey.Metadata) return standard(req);
      return [Buffer.from([0, 0, 0, 2, 0, 0])];
    });
    const conn = await connect(mock.port);
    await expect(conn.send(MetadataApi, { topics: [] })).rejects.toThrow(/response frame of 2 bytes, too short for a correlation id/);
  });

  it('refuses a broker that sends bytes before any request', async () => {
    const server = createServer((socket) => socket.write(Buffer.from([0, 0, 0, 4, 0, 0, 0x30, 0x39])));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const err = await Connection.connect({ host: '127.0.0.1', port, skipNegotiation: true }).then(async (c) => {
        // The bytes may arrive after the connection object exists: then they answer no request.
        return c.send(MetadataApi, { topics: [] }, { version: 1 }).catch((e: unknown) => e);
      }, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).message).toMatch(/sent bytes before any request|answered with correlation id 12345, expected 0/);
    } finally {
      server.close();
    }
  });
});
