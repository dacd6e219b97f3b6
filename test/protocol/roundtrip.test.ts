/**
 * Every generated codec, every version: random complete values are encoded by the generated
 * code, compared byte for byte with an independent reference encoder (schema-model.ts, reading
 * the message layouts the generated modules export), and decoded back to the same value. Plus hand-built edge values: all defaults, nulls, empty
 * arrays, tagged fields, unknown tagged fields.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import * as M from '../../src/protocol/messages/index.js';
import { Reader } from '../../src/protocol/reader.js';
import { Writer } from '../../src/protocol/writer.js';
import { codecLayouts, layout, Ref, Spec } from './schema-model.js';

type Enc = (w: Writer, v: unknown, version: number) => void;
type Dec = (r: Reader, version: number) => unknown;
const codecs = M as unknown as Record<string, Enc | Dec>;

function codecFor(name: string): { enc: Enc; dec: Dec } {
  const enc = codecs[`encode${name}`] as Enc | undefined;
  const dec = codecs[`decode${name}`] as Dec | undefined;
  if (!enc || !dec) throw new Error(`no generated codec for ${name}`);
  return { enc, dec };
}

function encode(enc: Enc, value: unknown, version: number): Buffer {
  const w = new Writer(16);
  enc(w, value, version);
  return w.toBuffer();
}

function decode(dec: Dec, bytes: Buffer, version: number): unknown {
  const r = new Reader(bytes);
  const value = dec(r, version);
  r.complete();
  expect(r.remaining).toBe(0);
  return value;
}

const cases = codecLayouts().flatMap((msg) => new Spec(msg).versions.map((v) => [msg.name, v] as const));

describe('generated codecs', () => {
  test('cover every broker API, both headers and the consumer protocol', () => {
    const names = new Set(cases.map(([n]) => n));
    expect(names.size).toBe(72 * 2 + 2 + 2);
    for (const n of names) codecFor(n);
  });

  test.each(cases)('%s v%i: random values match the reference encoder and round-trip', (name, version) => {
    const spec = new Spec(layout(name));
    const { enc, dec } = codecFor(name);
    fc.assert(
      fc.property(spec.structArb(spec.msg.fields, version), (value) => {
        const bytes = encode(enc, value, version);
        const ref = new Ref();
        spec.encode(spec.msg.fields, value, version, ref);
        expect(bytes.toString('hex')).toBe(Buffer.from(ref.bytes).toString('hex'));
        expect(decode(dec, bytes, version)).toEqual(value);
      }),
      { numRuns: 12 },
    );
  });

  test.each(cases)('%s v%i: the all-defaults value round-trips', (name, version) => {
    const spec = new Spec(layout(name));
    const { enc, dec } = codecFor(name);
    const value = spec.defaultStruct(spec.msg.fields);
    const bytes = encode(enc, value, version);
    const ref = new Ref();
    spec.encode(spec.msg.fields, value, version, ref);
    expect(bytes).toEqual(Buffer.from(ref.bytes));
    expect(decode(dec, bytes, version)).toEqual(value);
  });
});

describe('optional fields', () => {
  test('an encoder fills omitted fields with their schema defaults', () => {
    const w = new Writer();
    M.encodeFetchRequest(w, { maxWaitMs: 500, minBytes: 1, topics: [] }, 11);
    const r = new Reader(w.toBuffer());
    const back = M.decodeFetchRequest(r, 11);
    r.complete();
    expect(back).toMatchObject({ replicaId: -1, maxBytes: 0x7fffffff, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [] });
  });

  test('null in a version where the field is not nullable is an encode error', () => {
    // JoinGroup GroupInstanceId exists from v5 and is nullable there; ProtocolType is never nullable.
    const w = new Writer();
    expect(() =>
      M.encodeJoinGroupRequest(w, { groupId: 'g', sessionTimeoutMs: 1, memberId: '', protocolType: null as unknown as string, protocols: [] }, 5),
    ).toThrow();
    // SyncGroup ProtocolType is nullable from v5 only and absent before.
    const w2 = new Writer();
    M.encodeMetadataRequest(w2, { topics: null }, 1);
    expect(() => M.encodeMetadataRequest(new Writer(), { topics: null }, 0)).toThrow(/cannot be null at version 0/);
  });
});

describe('tagged fields', () => {
  test('written only when different from the default, in tag order', () => {
    // FetchResponse v12+ partition: DivergingEpoch (tag 0), CurrentLeader (tag 1), SnapshotId (tag 2).
    const partition = { partitionIndex: 0, errorCode: 0, highWatermark: 10n, records: null };
    const plain = encode(codecFor('FetchResponse').enc, { responses: [{ topic: 't', partitions: [partition] }] }, 12);
    const withTags = encode(
      codecFor('FetchResponse').enc,
      { responses: [{ topic: 't', partitions: [{ ...partition, currentLeader: { leaderId: 2, leaderEpoch: 7 }, snapshotId: { endOffset: -1n, epoch: -1 } }] }] },
      12,
    );
    // Only CurrentLeader differs from its default: one tagged field of 4+4+1 bytes (+tag, +size).
    expect(withTags.length - plain.length).toBe(1 + 1 + 9);
    const back = decode(codecFor('FetchResponse').dec, withTags, 12) as M.FetchResponse;
    expect(back.responses[0]!.partitions[0]!.currentLeader).toEqual({ leaderId: 2, leaderEpoch: 7 });
    expect(back.responses[0]!.partitions[0]!.divergingEpoch).toEqual({ epoch: -1, endOffset: -1n });
  });

  test('unknown tags are kept on decode and written back in ascending tag order', () => {
    // ApiVersionsResponse v3 knows tags 0..3 at the top level; send tags 1 (known), 5 and 9 (unknown).
    const w = new Writer();
    w.int16(0); // errorCode
    w.uvarint(1); // apiKeys: empty compact array
    w.int32(0); // throttleTimeMs
    w.uvarint(3); // three tagged fields
    w.uvarint(1); // FinalizedFeaturesEpoch
    w.uvarint(8);
    w.int64(42n);
    w.uvarint(5);
    w.uvarint(2);
    w.int16(0x0102);
    w.uvarint(9);
    w.uvarint(1);
    w.int8(7);
    const bytes = w.toBuffer();
    const back = decode(codecFor('ApiVersionsResponse').dec, bytes, 3) as M.ApiVersionsResponse;
    expect(back.finalizedFeaturesEpoch).toBe(42n);
    expect(back._unknownTaggedFields).toEqual([
      { tag: 5, data: Buffer.from([1, 2]) },
      { tag: 9, data: Buffer.from([7]) },
    ]);
    expect(encode(codecFor('ApiVersionsResponse').enc, back, 3)).toEqual(bytes);
    // An unknown tag below a known one is interleaved in order.
    const back2 = { ...back, _unknownTaggedFields: [{ tag: 0, data: Buffer.from([0xaa]) }, ...back._unknownTaggedFields!] };
    const again = encode(codecFor('ApiVersionsResponse').enc, back2, 3);
    // count 4; tag 0 (size 1, aa); tag 1 (size 8, 42); tag 5; tag 9.
    expect(again.subarray(7, 7 + 4).toString('hex')).toBe('040001aa');
    expect(again.subarray(11, 11 + 2)).toEqual(Buffer.from([1, 8]));
    expect(again.subarray(21)).toEqual(Buffer.from([5, 2, 1, 2, 9, 1, 7]));
  });

  test('a known tag in a version that does not define it is kept as unknown', () => {
    // FetchResponse NodeEndpoints is tag 0 at the top level only from v16.
    const w = new Writer();
    w.int32(0); // throttle
    w.int16(0); // error
    w.int32(0); // session
    w.uvarint(1); // responses: []
    w.uvarint(1);
    w.uvarint(0);
    w.uvarint(1);
    w.uvarint(1); // empty compact array as the field body
    const back = decode(codecFor('FetchResponse').dec, w.toBuffer(), 12) as M.FetchResponse;
    expect(back.nodeEndpoints).toEqual([]);
    expect(back._unknownTaggedFields).toEqual([{ tag: 0, data: Buffer.from([1]) }]);
  });
});
