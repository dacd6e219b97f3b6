/**
 * The Produce request's hot path on the wire, beside the generated codec (messages/produce.ts),
 * which stays the reference: a frame reader that decodes the header and body straight from the
 * frame, and a response encoder that sizes the answer first and writes it into one Buffer.
 *
 * Both handle the shapes a producer sends and gets every time (v3+, no tagged fields it does not
 * know, no KIP-951 leader hints, no record errors) and answer null for anything else, so the
 * caller uses the generated codec, which then also reports a malformed frame exactly as it
 * always did. Records stay views of the frame: nothing per record, nothing copied.
 * test/protocol/produce-fast.test.ts compares both, byte for byte, with the generated codec for
 * every version.
 */
import type { ProduceRequest, ProduceRequestPartitionProduceData, ProduceRequestTopicProduceData, ProduceResponse } from './messages/produce.js';
import type { Complete } from './types.js';

/** Produce v9 is the first flexible version (compact types, tagged fields, request header v2). */
const FIRST_FLEXIBLE = 9;
const EMPTY = Buffer.alloc(0);

/** A Produce frame read by `readProduceFrame`. */
export interface ProduceFrame {
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  body: Complete<ProduceRequest>;
}

/**
 * Where the reader is in the frame. One frame is read at a time (the reader never yields), so
 * one cursor object serves every call and spares an allocation per request.
 */
const cur = { at: 0 };

/** An unsigned varint at the cursor (up to 5 bytes), or -1 when it is truncated or too long. */
function uvarint(buf: Buffer, end: number): number {
  let at = cur.at;
  if (at < end && buf[at]! < 0x80) {
    cur.at = at + 1;
    return buf[at]!;
  }
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (at >= end) return -1;
    const x = buf[at++]!;
    result += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) {
      cur.at = at;
      return result;
    }
    shift += 7;
  }
  return -1;
}

/**
 * The last string decoded at one place of the frame (the client id, a topic name), with its
 * bytes: a producer sends the same few names in every request, and comparing a few bytes costs
 * less than decoding them into a new string each time.
 */
class NameCache {
  /** Up to SLOTS names, replaced round-robin. */
  private readonly bytes: Buffer[] = [];
  private readonly values: string[] = [];
  private next = 0;

  /** The `len` UTF-8 bytes at the cursor as a string (len -1: null), or undefined past the end. */
  read(buf: Buffer, end: number, len: number): string | null | undefined {
    if (len === -1) return null;
    const at = cur.at;
    if (len < 0 || len > end - at) return undefined;
    cur.at = at + len;
    const bytes = this.bytes;
    for (let k = 0; k < bytes.length; k++) {
      const known = bytes[k]!;
      if (known.length !== len) continue;
      let i = 0;
      while (i < len && known[i] === buf[at + i]) i++;
      if (i === len) return this.values[k]!;
    }
    const value = buf.toString('utf8', at, at + len);
    if (len <= 255) {
      const k = this.next;
      this.next = (k + 1) % SLOTS;
      bytes[k] = Buffer.from(buf.subarray(at, at + len));
      this.values[k] = value;
    }
    return value;
  }
}

const SLOTS = 8;
const clientIds = new NameCache();
const transactionalIds = new NameCache();
const topicNames = new NameCache();

/**
 * Reads a whole Produce request frame (without its size prefix): header and body. Returns null
 * when it is not a v3+ Produce frame in the common shape (see the top of this file) or cannot
 * be read; the caller then decodes it with the generated codec.
 */
export function readProduceFrame(frame: Buffer): ProduceFrame | null {
  const end = frame.length;
  if (end < 10 || frame.readInt16BE(0) !== 0) return null;
  const version = frame.readInt16BE(2);
  if (version < 3 || version > 11) return null;
  const flexible = version >= FIRST_FLEXIBLE;
  const correlationId = frame.readInt32BE(4);
  cur.at = 10;
  // The client id is a classic nullable string in every header version.
  const clientId = clientIds.read(frame, end, frame.readInt16BE(8));
  if (clientId === undefined) return null;
  if (flexible && !noTaggedFields(frame, end)) return null;
  let transactionalId: string | null | undefined;
  if (flexible) {
    const n = uvarint(frame, end);
    transactionalId = n < 0 ? undefined : transactionalIds.read(frame, end, n - 1);
  } else {
    const n = int16(frame, end);
    transactionalId = n === null ? undefined : transactionalIds.read(frame, end, n);
  }
  if (transactionalId === undefined || cur.at + 6 > end) return null;
  const acks = frame.readInt16BE(cur.at);
  const timeoutMs = frame.readInt32BE(cur.at + 2);
  cur.at += 6;
  const topicCount = arrayLength(frame, end, flexible);
  if (topicCount < 0) return null;
  const topicData: Complete<ProduceRequestTopicProduceData>[] = new Array(topicCount);
  for (let t = 0; t < topicCount; t++) {
    let name: string | null | undefined;
    if (flexible) {
      const n = uvarint(frame, end);
      name = n < 1 ? undefined : topicNames.read(frame, end, n - 1);
    } else {
      const n = int16(frame, end);
      name = n === null || n < 0 ? undefined : topicNames.read(frame, end, n);
    }
    if (name === undefined || name === null) return null;
    const partitionCount = arrayLength(frame, end, flexible);
    if (partitionCount < 0) return null;
    const partitionData: Complete<ProduceRequestPartitionProduceData>[] = new Array(partitionCount);
    for (let p = 0; p < partitionCount; p++) {
      const index = int32(frame, end);
      if (index === null) return null;
      const len = flexible ? uvarint(frame, end) - 1 : int32(frame, end);
      const at = cur.at;
      if (len === null || len < -1 || len > end - at) return null;
      const records = len === -1 ? null : len === 0 ? EMPTY : frame.subarray(at, at + len);
      if (len > 0) cur.at = at + len;
      if (flexible && !noTaggedFields(frame, end)) return null;
      partitionData[p] = { index, records };
    }
    if (flexible && !noTaggedFields(frame, end)) return null;
    topicData[t] = { name, partitionData };
  }
  if (flexible && !noTaggedFields(frame, end)) return null;
  if (cur.at !== end) return null;
  return { apiVersion: version, correlationId, clientId, body: { transactionalId, acks, timeoutMs, topicData } };
}

/** Reads an empty tagged-field section (a 0 count); false for anything else. */
function noTaggedFields(buf: Buffer, end: number): boolean {
  const at = cur.at;
  if (at >= end || buf[at] !== 0) return false;
  cur.at = at + 1;
  return true;
}

function int16(buf: Buffer, end: number): number | null {
  const at = cur.at;
  if (at + 2 > end) return null;
  cur.at = at + 2;
  return buf.readInt16BE(at);
}

function int32(buf: Buffer, end: number): number | null {
  const at = cur.at;
  if (at + 4 > end) return null;
  cur.at = at + 4;
  return buf.readInt32BE(at);
}

/** An array's element count (null arrays are refused: -1), capped by the bytes left as the generated reader does. */
function arrayLength(buf: Buffer, end: number, flexible: boolean): number {
  const n = flexible ? uvarint(buf, end) - 1 : int32(buf, end);
  return n === null || n < 0 || n > end - cur.at ? -1 : n;
}

function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeUvarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** The UTF-8 length of `s`, computed in JS for the ASCII names and messages of the hot path. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return s.length;
}

/** A nullable string's size on the wire (classic: int16 length; compact: uvarint length + 1). */
function stringSize(s: string | null, flexible: boolean): number {
  const len = s === null ? -1 : utf8Length(s);
  if (!flexible) return 2 + Math.max(len, 0);
  return uvarintSize(len + 1) + Math.max(len, 0);
}

function writeString(buf: Buffer, pos: number, s: string | null, flexible: boolean): number {
  if (s === null) {
    if (flexible) buf[pos++] = 0;
    else pos = buf.writeInt16BE(-1, pos);
    return pos;
  }
  const len = utf8Length(s);
  pos = flexible ? writeUvarint(buf, pos, len + 1) : buf.writeInt16BE(len, pos);
  if (len !== s.length) return pos + buf.write(s, pos, len, 'utf8');
  for (let i = 0; i < len; i++) buf[pos + i] = s.charCodeAt(i);
  return pos + len;
}

const TWO_32 = 2 ** 32;

/** An int64 (offsets and timestamps fit in a double's 53 bits; others take the BigInt route). */
function writeInt64(buf: Buffer, pos: number, v: bigint): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) return buf.writeBigInt64BE(v, pos);
  const hi = Math.floor(n / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(n - hi * TWO_32, pos + 4);
  return pos + 8;
}

/**
 * The whole response frame (size prefix, response header, body) of `res` at `version`, as one
 * Buffer in a list for the connection's writev; null when `res` is not in the common shape
 * (see the top of this file): encode it with the generated codec.
 */
export function encodeProduceResponseFrame(version: number, correlationId: number, res: ProduceResponse): Buffer[] | null {
  if (version < 3 || version > 11 || res._unknownTaggedFields !== undefined || (res.nodeEndpoints !== undefined && res.nodeEndpoints.length > 0)) return null;
  const flexible = version >= FIRST_FLEXIBLE;
  const responses = res.responses;
  // Size first: header (size prefix, correlation id, tagged fields when flexible), then the body.
  let size = 8 + (flexible ? 1 : 0) + (flexible ? uvarintSize(responses.length + 1) : 4);
  for (let t = 0; t < responses.length; t++) {
    const topic = responses[t]!;
    if (topic._unknownTaggedFields !== undefined) return null;
    const partitions = topic.partitionResponses;
    size += stringSize(topic.name, flexible) + (flexible ? uvarintSize(partitions.length + 1) + 1 : 4);
    for (let p = 0; p < partitions.length; p++) {
      const r = partitions[p]!;
      if (r._unknownTaggedFields !== undefined || (r.recordErrors !== undefined && r.recordErrors.length > 0)) return null;
      if (r.currentLeader !== undefined && ((r.currentLeader.leaderId ?? -1) !== -1 || (r.currentLeader.leaderEpoch ?? -1) !== -1)) return null;
      size += 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0);
      if (version >= 8) size += (flexible ? 1 : 4) + stringSize(r.errorMessage ?? null, flexible);
      if (flexible) size += 1;
    }
  }
  size += 4 + (flexible ? 1 : 0); // throttle_time_ms, tagged fields
  const buf = Buffer.allocUnsafe(size);
  let pos = buf.writeInt32BE(size - 4, 0);
  pos = buf.writeInt32BE(correlationId, pos);
  if (flexible) buf[pos++] = 0;
  pos = flexible ? writeUvarint(buf, pos, responses.length + 1) : buf.writeInt32BE(responses.length, pos);
  for (let t = 0; t < responses.length; t++) {
    const topic = responses[t]!;
    const partitions = topic.partitionResponses;
    pos = writeString(buf, pos, topic.name, flexible);
    pos = flexible ? writeUvarint(buf, pos, partitions.length + 1) : buf.writeInt32BE(partitions.length, pos);
    for (let p = 0; p < partitions.length; p++) {
      const r = partitions[p]!;
      pos = buf.writeInt32BE(r.index, pos);
      pos = buf.writeInt16BE(r.errorCode, pos);
      pos = writeInt64(buf, pos, r.baseOffset);
      pos = writeInt64(buf, pos, r.logAppendTimeMs ?? -1n);
      if (version >= 5) pos = writeInt64(buf, pos, r.logStartOffset ?? -1n);
      if (version >= 8) {
        if (flexible) buf[pos++] = 1; // record_errors: empty
        else pos = buf.writeInt32BE(0, pos);
        pos = writeString(buf, pos, r.errorMessage ?? null, flexible);
      }
      if (flexible) buf[pos++] = 0;
    }
    if (flexible) buf[pos++] = 0;
  }
  pos = buf.writeInt32BE(res.throttleTimeMs ?? 0, pos);
  if (flexible) buf[pos++] = 0;
  return [buf];
}
