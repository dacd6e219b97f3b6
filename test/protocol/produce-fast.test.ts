/**
 * The Produce fast path (src/protocol/produce-fast.ts) against the generated codec, the
 * reference: the same request read from the same frame, the same response bytes, for every
 * version the broker serves with v2 batches (3-11); and null, so the generated codec takes over,
 * for every shape the fast path leaves to it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { encodeRequestFrame, encodeResponseFrame, readRequestFrame, unframe } from '../../src/protocol/frame.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js';
import { encodeProduceResponseFrame, readProduceFrame } from '../../src/protocol/produce-fast.js';

const VERSIONS = [3, 4, 5, 6, 7, 8, 9, 10, 11];

const requestFrame = (version: number, body: ProduceRequest, clientId: string | null = 'client-1', correlationId = 7): Buffer =>
  unframe(Buffer.concat(encodeRequestFrame(ProduceApi, version, correlationId, clientId, body)));

/** What the general path reads from `frame`: header fields and the decoded body. */
function generic(frame: Buffer) {
  const req = readRequestFrame(frame);
  const body = ProduceApi.decodeRequest(req.body, req.apiVersion);
  req.body.complete();
  return { apiVersion: req.apiVersion, correlationId: req.correlationId, clientId: req.clientId, body };
}

const records = (n: number, fill: number) => Buffer.alloc(n, fill);

const REQUESTS: Array<[string, ProduceRequest]> = [
  ['one partition', { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'perf', partitionData: [{ index: 0, records: records(300, 1) }] }] }],
  ['transactional, acks=-1, two topics', {
    transactionalId: 'txn-é', acks: -1, timeoutMs: 5_000,
    topicData: [
      { name: 'a', partitionData: [{ index: 0, records: records(61, 2) }, { index: 3, records: records(200, 3) }] },
      { name: 'tópico', partitionData: [{ index: 1, records: records(128, 4) }] },
    ],
  }],
  ['null and empty records, acks=0', { transactionalId: null, acks: 0, timeoutMs: 0, topicData: [{ name: 't', partitionData: [{ index: 0, records: null }, { index: 1, records: Buffer.alloc(0) }] }] }],
  ['no topics', { transactionalId: null, acks: 1, timeoutMs: 1, topicData: [] }],
];

describe('readProduceFrame', () => {
  for (const version of VERSIONS) {
    test(`v${version}: reads what the generated codec reads, records as views of the frame`, () => {
      for (const [, body] of REQUESTS) {
        for (const clientId of ['client-1', null, '']) {
          const frame = requestFrame(version, body, clientId);
          const fast = readProduceFrame(frame);
          expect(fast).toEqual(generic(frame));
          for (const t of fast!.body.topicData) {
            for (const p of t.partitionData) if (p.records !== null && p.records.length > 0) expect(p.records.buffer).toBe(frame.buffer);
          }
        }
      }
    });
  }

  test('leaves every truncated or overlong frame to the generated codec', () => {
    for (const version of VERSIONS) {
      const frame = requestFrame(version, REQUESTS[1]![1]);
      for (let cut = 0; cut < frame.length; cut++) {
        const part = frame.subarray(0, cut);
        expect(readProduceFrame(part)).toBeNull();
        expect(() => generic(part)).toThrow();
      }
      // Bytes after the body: the generated codec ignores them (as Kafka's parser does), so the fast reader leaves such a frame to it.
      const longer = Buffer.concat([frame, Buffer.from([0])]);
      expect(readProduceFrame(longer)).toBeNull();
      expect(generic(longer).body).toEqual(generic(frame).body);
    }
  });

  test('leaves v0-2, other APIs and tagged fields it does not know to the generated codec', () => {
    const legacy = requestFrame(2, REQUESTS[0]![1]);
    expect(readProduceFrame(legacy)).toBeNull();
    const fetchLike = Buffer.from(requestFrame(9, REQUESTS[0]![1]));
    fetchLike.writeInt16BE(1, 0);
    expect(readProduceFrame(fetchLike)).toBeNull();
    // A v9 request whose partition carries an unknown tagged field (tag 5, 2 bytes).
    const tagged: ProduceRequest = { transactionalId: null, acks: 1, timeoutMs: 10, topicData: [{ name: 'x', partitionData: [{ index: 0, records: records(70, 9), _unknownTaggedFields: [{ tag: 5, data: Buffer.from([1, 2]) }] }] }] };
    const frame = requestFrame(9, tagged);
    expect(readProduceFrame(frame)).toBeNull();
    expect(generic(frame).body.topicData[0]!.partitionData[0]!._unknownTaggedFields).toEqual([{ tag: 5, data: Buffer.from([1, 2]) }]);
  });
});

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const partition = fc.record({
  index: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  errorCode: fc.integer({ min: -1, max: 120 }),
  baseOffset: int64,
  logAppendTimeMs: int64,
  logStartOffset: int64,
  recordErrors: fc.constant([]),
  errorMessage: fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: null }),
});
const response = fc.record({
  responses: fc.array(fc.record({ name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 70 }), partitionResponses: fc.array(partition, { maxLength: 4 }) }), { maxLength: 4 }),
  throttleTimeMs: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  nodeEndpoints: fc.constant([]),
});

describe('encodeProduceResponseFrame', () => {
  test('writes the bytes of the generated encoder, for every version', () => {
    fc.assert(fc.property(response, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (res: ProduceResponse, correlationId) => {
      for (const version of VERSIONS) {
        const fast = encodeProduceResponseFrame(version, correlationId, res);
        expect(fast).toHaveLength(1);
        expect(fast![0]!.equals(Buffer.concat(encodeResponseFrame(ProduceApi, version, correlationId, res)))).toBe(true);
      }
    }), { numRuns: 300 });
  });

  test('a default current_leader is no tagged field, as in the generated encoder', () => {
    const res: ProduceResponse = { responses: [{ name: 'p', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 5n, currentLeader: { leaderId: -1, leaderEpoch: -1 } }] }] };
    for (const version of VERSIONS) expect(encodeProduceResponseFrame(version, 1, res)![0]).toEqual(Buffer.concat(encodeResponseFrame(ProduceApi, version, 1, res)));
  });

  test('leaves record errors, leader hints, node endpoints and unknown tagged fields to the generated encoder', () => {
    const ok = { index: 0, errorCode: 0, baseOffset: 0n };
    const shapes: ProduceResponse[] = [
      { responses: [{ name: 'p', partitionResponses: [{ ...ok, errorCode: 87, recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'no key' }] }] }] },
      { responses: [{ name: 'p', partitionResponses: [{ ...ok, errorCode: 6, currentLeader: { leaderId: 2, leaderEpoch: 4 } }] }] },
      { responses: [], nodeEndpoints: [{ nodeId: 2, host: 'h', port: 9092, rack: null }] },
      { responses: [{ name: 'p', partitionResponses: [ok], _unknownTaggedFields: [{ tag: 3, data: Buffer.from([1]) }] }] },
      { responses: [{ name: 'p', partitionResponses: [{ ...ok, _unknownTaggedFields: [{ tag: 3, data: Buffer.from([1]) }] }] }] },
      { responses: [], _unknownTaggedFields: [{ tag: 3, data: Buffer.from([1]) }] },
    ];
    for (const res of shapes) for (const version of VERSIONS) expect(encodeProduceResponseFrame(version, 1, res)).toBeNull();
    expect(encodeProduceResponseFrame(2, 1, { responses: [] })).toBeNull();
  });
});
