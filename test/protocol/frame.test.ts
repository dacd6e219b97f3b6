/** Frames and header versions, the API table, error codes and the embedded consumer protocol. */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/protocol/consumer-protocol.js';
import { ErrorCode, errorName } from '../../src/protocol/error-codes.js';
import { ProtocolDecodeError, UnsupportedVersionError } from '../../src/protocol/errors.js';
import {
  decodeRequestBody,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  isFlexible,
  readRequestFrame,
  requestHeaderVersion,
  responseHeaderVersion,
  supportedApiVersions,
  unframe,
} from '../../src/protocol/frame.js';
import * as M from '../../src/protocol/messages/index.js';
import { Writer } from '../../src/protocol/writer.js';
import { layout } from './schema-model.js';

const require = createRequire(import.meta.url);
const frameOf = (chunks: Buffer[]): Buffer => unframe(Buffer.concat(chunks));

describe('header versions', () => {
  test('flexible versions use request header v2 / response header v1, others v1 / v0', () => {
    expect([requestHeaderVersion(0, 8), responseHeaderVersion(0, 8)]).toEqual([1, 0]);
    expect([requestHeaderVersion(0, 9), responseHeaderVersion(0, 9)]).toEqual([2, 1]);
    expect([requestHeaderVersion(1, 11), responseHeaderVersion(1, 11)]).toEqual([1, 0]);
    expect([requestHeaderVersion(1, 12), responseHeaderVersion(1, 12)]).toEqual([2, 1]);
    expect([requestHeaderVersion(60, 0), responseHeaderVersion(60, 0)]).toEqual([2, 1]);
    expect([requestHeaderVersion(17, 1), responseHeaderVersion(17, 1)]).toEqual([1, 0]);
  });

  test('ApiVersions responses always use header v0; its flexible requests use v2', () => {
    expect([requestHeaderVersion(18, 3), responseHeaderVersion(18, 3)]).toEqual([2, 0]);
    expect([requestHeaderVersion(18, 4), responseHeaderVersion(18, 4)]).toEqual([2, 0]);
    expect([requestHeaderVersion(18, 2), responseHeaderVersion(18, 2)]).toEqual([1, 0]);
  });

  test('ControlledShutdown v0 uses request header v0; unknown keys are read as v1', () => {
    expect(requestHeaderVersion(7, 0)).toBe(0);
    expect(requestHeaderVersion(999, 0)).toBe(1);
    expect(isFlexible(999, 50)).toBe(false);
  });

  test('every API in the table agrees with its request and response layouts', () => {
    for (const api of M.API_LIST) {
      for (const msg of [layout(`${api.name}Request`), layout(`${api.name}Response`)]) {
        expect(msg.apiKey, msg.name).toBe(api.apiKey);
        expect(`${api.minVersion}-${api.maxVersion}`, msg.name).toBe(msg.validVersions.includes('-') ? msg.validVersions : `${msg.validVersions}-${msg.validVersions}`);
        expect(api.firstFlexibleVersion, msg.name).toBe(msg.flexibleVersions === 'none' ? null : Number.parseInt(msg.flexibleVersions, 10));
      }
      expect(layout(`${api.name}Request`).listeners).toContain('broker');
      expect(M.API_BY_KEY[api.apiKey]).toBe(api);
    }
    const requestKeys = M.MESSAGE_LAYOUTS.filter((m) => m.type === 'request').map((m) => m.apiKey);
    expect(M.API_LIST.map((a) => a.apiKey)).toEqual(requestKeys);
    expect(M.ApiKey.Produce).toBe(0);
    expect(M.ApiKey.DescribeTopicPartitions).toBe(75);
  });
});

describe('request frames', () => {
  test('a flexible ApiVersions v3 request (as librdkafka sends first) round-trips', () => {
    const body = { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' };
    const frame = frameOf(encodeRequestFrame(M.ApiVersionsApi, 3, 1, 'rdkafka', body));
    // Header v2: ClientId stays a classic int16 string, then an empty tagged-field section.
    expect(frame.subarray(8, 10).readInt16BE(0)).toBe(7);
    expect(frame[17]).toBe(0);
    const f = readRequestFrame(frame);
    expect(f).toMatchObject({ apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'rdkafka', headerVersion: 2, supported: true });
    expect(decodeRequestBody(f)).toEqual(body);
  });

  test('an unsupported version still yields the header, then UnsupportedVersionError', () => {
    const w = new Writer();
    w.int16(18);
    w.int16(9);
    w.int32(42);
    w.nullableString('future-client');
    w.uvarint(0);
    w.int8(123);
    const f = readRequestFrame(w.toBuffer());
    expect(f).toMatchObject({ apiKey: 18, apiVersion: 9, correlationId: 42, clientId: 'future-client', supported: false });
    expect(() => decodeRequestBody(f)).toThrow(UnsupportedVersionError);
    const e = (() => {
      try {
        decodeRequestBody(f);
      } catch (err) {
        return err as UnsupportedVersionError;
      }
    })()!;
    expect(e.kafkaCode).toBe(35);
  });

  test('an unknown API key yields the header and api undefined', () => {
    const w = new Writer();
    w.int16(4); // LeaderAndIsr: zkBroker only, not served
    w.int16(0);
    w.int32(7);
    w.nullableString(null);
    const f = readRequestFrame(w.toBuffer());
    expect(f).toMatchObject({ apiKey: 4, correlationId: 7, clientId: null, api: undefined, supported: false });
  });

  test('a malformed body is a ProtocolDecodeError with Kafka code INVALID_REQUEST', () => {
    const frame = frameOf(encodeRequestFrame(M.MetadataApi, 1, 1, 'c', { topics: [{ name: 'abc' }] }));
    const f = readRequestFrame(frame.subarray(0, frame.length - 2));
    expect(() => decodeRequestBody(f)).toThrow(ProtocolDecodeError);
    try {
      decodeRequestBody(readRequestFrame(frame.subarray(0, frame.length - 2)));
    } catch (e) {
      expect((e as ProtocolDecodeError).kafkaCode).toBe(42);
    }
  });

  test('typed decoding through an API codec', () => {
    const frame = frameOf(encodeRequestFrame(M.ProduceApi, 7, 9, 'p', { acks: 1, timeoutMs: 100, topicData: [{ name: 't', partitionData: [{ index: 0, records: Buffer.from('batch') }] }] }));
    const f = readRequestFrame(frame);
    const req = M.ProduceApi.decodeRequest(f.body, f.apiVersion);
    f.body.complete();
    expect(req.transactionalId).toBeNull();
    const records = req.topicData[0]!.partitionData[0]!.records!;
    expect(records.toString()).toBe('batch');
    expect(records.buffer).toBe(frame.buffer); // a view of the frame
  });

  test('unframe checks the size prefix', () => {
    expect(() => unframe(Buffer.from([0, 0, 0, 5, 1]))).toThrow(ProtocolDecodeError);
    expect(() => unframe(Buffer.from([0, 0]))).toThrow(ProtocolDecodeError);
  });
});

describe('response frames', () => {
  test('round trip through decodeResponseFrame, flexible and classic', () => {
    for (const v of [4, 12, 16]) {
      const body: M.FetchResponse = {
        throttleTimeMs: 0,
        responses: [{ topic: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partitionIndex: 3, errorCode: 0, highWatermark: 5n, records: Buffer.alloc(700, 1) }] }],
      };
      const frame = frameOf(encodeResponseFrame(M.FetchApi, v, 77, body));
      const back = decodeResponseFrame(M.FetchApi, v, frame);
      expect(back.correlationId).toBe(77);
      expect(back.body.responses[0]!.partitions[0]!.records).toEqual(Buffer.alloc(700, 1));
    }
  });

  test('the size prefix counts header and body', () => {
    const chunks = encodeResponseFrame(M.HeartbeatApi, 4, 5, { throttleTimeMs: 0, errorCode: 0 });
    const all = Buffer.concat(chunks);
    // size, correlation id, header tags (v1), throttle, error, body tags
    expect(all.toString('hex')).toBe('0000000c' + '00000005' + '00' + '00000000' + '0000' + '00');
  });

  test('supportedApiVersions lowers unstable maxima and can be limited to some keys', () => {
    const all = supportedApiVersions();
    expect(all.find((a) => a.apiKey === 0)).toEqual({ apiKey: 0, minVersion: 0, maxVersion: 11 });
    for (const api of M.API_LIST.filter((a) => a.latestVersionUnstable && a.maxVersion > a.minVersion)) {
      expect(all.find((a) => a.apiKey === api.apiKey)!.maxVersion).toBe(api.maxVersion - 1);
    }
    expect(supportedApiVersions(new Set([0, 1, 18])).map((a) => a.apiKey)).toEqual([0, 1, 18]);
  });
});

describe('error codes', () => {
  test('names and codes are unique and cover -1..127', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.length).toBe(129);
    for (let c = -1; c <= 127; c++) expect(errorName(c), String(c)).toBeDefined();
    expect(errorName(3)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(errorName(999)).toBeUndefined();
  });

  test('agree with the codes kafkajs knows', () => {
    const source = require('node:fs').readFileSync(require.resolve('kafkajs/src/protocol/error.js'), 'utf8') as string;
    const entries = [...source.matchAll(/type: '([A-Z_]+)',\s*code: (-?\d+)/g)].map((m) => [m[1]!, Number(m[2])] as const);
    expect(entries.length).toBe(90); // kafkajs 2.2's table (package-lock.json pins it)
    const renamed: Record<string, string> = { UNKNOWN: 'UNKNOWN_SERVER_ERROR', NOT_LEADER_FOR_PARTITION: 'NOT_LEADER_OR_FOLLOWER', GROUP_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS', GROUP_COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE', NOT_COORDINATOR_FOR_GROUP: 'NOT_COORDINATOR', OFFSET_METADATA_TOO_LARGE: 'OFFSET_METADATA_TOO_LARGE' };
    for (const [type, code] of entries.filter(([, c]) => c >= -1)) {
      const name = errorName(code);
      expect(name, `${type} ${code}`).toBeDefined();
      if (name !== type) expect(renamed[type], `${type} (${code}) is ${name} here`).toBe(name);
    }
  });
});

describe('consumer protocol', () => {
  const AssignerProtocol = require('kafkajs/src/consumer/assignerProtocol.js') as {
    MemberMetadata: { encode(o: unknown): Buffer; decode(b: Buffer): { version: number; topics: string[]; userData: Buffer } };
    MemberAssignment: { encode(o: unknown): Buffer; decode(b: Buffer): { version: number; assignment: Record<string, number[]>; userData: Buffer } };
  };

  test('subscriptions written by kafkajs are read, and ours are read by kafkajs', () => {
    const theirs = AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['a', 'b'], userData: Buffer.from('u') });
    const { version, subscription } = decodeSubscription(theirs);
    expect(version).toBe(0);
    expect(subscription).toMatchObject({ topics: ['a', 'b'], ownedPartitions: [], generationId: -1, rackId: null });
    expect(subscription.userData!.toString()).toBe('u');
    const ours = encodeSubscription({ topics: ['a', 'b'], userData: Buffer.from('u') }, 0);
    expect(ours).toEqual(theirs);
    expect(AssignerProtocol.MemberMetadata.decode(encodeSubscription({ topics: ['x'] }, 3)).topics).toEqual(['x']);
  });

  test('assignments written by kafkajs are read, and ours are read by kafkajs', () => {
    const theirs = AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: { a: [0, 2], b: [1] }, userData: Buffer.alloc(0) });
    const { assignment } = decodeAssignment(theirs);
    expect(assignment.assignedPartitions).toEqual([
      { topic: 'a', partitions: [0, 2] },
      { topic: 'b', partitions: [1] },
    ]);
    const ours = encodeAssignment({ assignedPartitions: [{ topic: 'a', partitions: [0, 2] }], userData: null });
    expect(AssignerProtocol.MemberAssignment.decode(ours)).toMatchObject({ version: 3, assignment: { a: [0, 2] } });
  });

  test('a newer version is read with the newest known layout; garbage is a decode error', () => {
    const w = new Writer();
    w.int16(9);
    const v3 = encodeSubscription({ topics: ['t'], ownedPartitions: [], generationId: 4, rackId: 'r' }, 3);
    const future = Buffer.concat([w.toBuffer(), v3.subarray(2), Buffer.from('trailing fields')]);
    expect(decodeSubscription(future)).toMatchObject({ version: 3, subscription: { topics: ['t'], generationId: 4, rackId: 'r' } });
    expect(() => decodeSubscription(Buffer.from([0, 0, 0x7f]))).toThrow(ProtocolDecodeError);
    expect(() => decodeAssignment(Buffer.from([0xff, 0xff]))).toThrow(ProtocolDecodeError);
  });
});
