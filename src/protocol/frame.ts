/**
 * Request and response frames: the int32 size prefix, the header version rule, and the
 * glue between a frame and the generated body codecs.
 *
 * Header versions (KIP-482): a flexible API version uses request header v2 and response
 * header v1, otherwise request header v1 and response header v0. Two exceptions: an
 * ApiVersions response always uses response header v0 (the client cannot yet know whether
 * the broker speaks flexible headers), and ControlledShutdown v0 uses request header v0.
 * ClientId stays a classic int16-length string in every header version, so the header of
 * any request, even of an unknown API or version, can be read far enough to answer it.
 *
 * Frames handed to `readRequestFrame` / `decodeResponseFrame` exclude the 4-byte size
 * prefix; frames produced by `encode*Frame` include it, as a list of chunks for one writev.
 */
import { KafkaErrorCode } from '../errors.js';
import { ProtocolDecodeError, UnsupportedVersionError } from './errors.js';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  type RequestHeader,
} from './messages/headers.js';
import { API_BY_KEY, API_LIST, ApiKey, ApiVersionsApi, type ApiVersionsResponseApiVersion } from './messages/index.js';
import { Reader } from './reader.js';
import type { ApiCodec, Complete } from './types.js';
import { Writer } from './writer.js';

/** Whether `apiVersion` of `apiKey` uses the flexible encoding (false for unknown keys). */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const api = API_BY_KEY[apiKey];
  return api !== undefined && api.firstFlexibleVersion !== null && apiVersion >= api.firstFlexibleVersion;
}

/** Request header version for a request of `apiKey` at `apiVersion`. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (apiKey === 7 && apiVersion === 0) return 0;
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/** Response header version for a response of `apiKey` at `apiVersion`. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/** A request frame whose header has been read. */
export interface RequestFrame {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly header: Complete<RequestHeader>;
  readonly headerVersion: 0 | 1 | 2;
  /** The API's codecs, or undefined for a key this broker does not serve. */
  readonly api: ApiCodec | undefined;
  /** Whether `api` exists and supports `apiVersion`. */
  readonly supported: boolean;
  /** Positioned at the first byte of the body. */
  readonly body: Reader;
}

/**
 * Reads the header of a request frame (the bytes after the size prefix). Throws a
 * ProtocolDecodeError if even the header cannot be read: the connection must then be closed.
 */
export function readRequestFrame(frame: Buffer): RequestFrame {
  const r = new Reader(frame);
  if (frame.length < 8) {
    r.fail('request frame shorter than its header');
    r.complete();
  }
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const header = decodeRequestHeader(r, headerVersion);
  r.complete();
  const api = API_BY_KEY[apiKey];
  return {
    apiKey,
    apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
    header,
    headerVersion,
    api,
    supported: api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion,
    body: r,
  };
}

/**
 * Decodes the body of a request frame with its API's codec and checks it. Throws
 * UnsupportedVersionError for an unknown key or version and ProtocolDecodeError for a
 * malformed body. For typed access call the API's own codec instead, e.g.
 * `ProduceApi.decodeRequest(frame.body, frame.apiVersion)` and then `frame.body.complete()`.
 */
export function decodeRequestBody(frame: RequestFrame): unknown {
  if (!frame.supported || frame.api === undefined) throw new UnsupportedVersionError(frame.apiKey, frame.apiVersion);
  const body: unknown = frame.api.decodeRequest(frame.body, frame.apiVersion);
  frame.body.complete();
  return body;
}

/** Initial capacity of a frame writer; grows by chunks, never by copying. */
const FRAME_CAPACITY = 512;

/**
 * Encodes a whole response frame: size prefix, response header, body. Returns chunks for one
 * corked writev; record data in the body is referenced, not copied.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function encodeResponseFrame<Res>(api: ApiCodec<any, Res>, apiVersion: number, correlationId: number, body: Res): Buffer[] {
  const w = new Writer(FRAME_CAPACITY);
  const size = w.reserveInt32();
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(api.apiKey, apiVersion));
  api.encodeResponse(w, body, apiVersion);
  w.patchInt32(size, w.size - 4);
  return w.finish();
}

/** Encodes a whole request frame (for clients: tests, replica fetchers, tools). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function encodeRequestFrame<Req>(api: ApiCodec<Req, any>, apiVersion: number, correlationId: number, clientId: string | null, body: Req): Buffer[] {
  const w = new Writer(FRAME_CAPACITY);
  const size = w.reserveInt32();
  encodeRequestHeader(
    w,
    { requestApiKey: api.apiKey, requestApiVersion: apiVersion, correlationId, clientId },
    requestHeaderVersion(api.apiKey, apiVersion),
  );
  api.encodeRequest(w, body, apiVersion);
  w.patchInt32(size, w.size - 4);
  return w.finish();
}

/** Decodes a response frame (the bytes after the size prefix) of a request sent at `apiVersion`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function decodeResponseFrame<Res>(api: ApiCodec<any, Res>, apiVersion: number, frame: Buffer): { correlationId: number; body: Complete<Res> } {
  const r = new Reader(frame);
  const header = decodeResponseHeader(r, responseHeaderVersion(api.apiKey, apiVersion));
  const body = api.decodeResponse(r, apiVersion);
  r.complete(KafkaErrorCode.CORRUPT_MESSAGE);
  return { correlationId: header.correlationId, body };
}

/**
 * The versions to advertise in an ApiVersions response: every API in the table, with a
 * maximum lowered by one where Kafka 3.9 marks the latest version unstable. Pass `keys` to
 * advertise only the APIs the broker implements.
 */
export function supportedApiVersions(keys?: ReadonlySet<number>): ApiVersionsResponseApiVersion[] {
  const out: ApiVersionsResponseApiVersion[] = [];
  for (const api of API_LIST) {
    if (keys !== undefined && !keys.has(api.apiKey)) continue;
    const max = api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion;
    if (max < api.minVersion) continue;
    out.push({ apiKey: api.apiKey, minVersion: api.minVersion, maxVersion: max });
  }
  return out;
}

/**
 * The answer to an ApiVersions request of a version this broker does not know (KIP-511):
 * error UNSUPPORTED_VERSION in the v0 body layout, still listing the supported versions, so
 * the client retries with one of them.
 */
export function encodeApiVersionsFallback(correlationId: number, apiKeys: ApiVersionsResponseApiVersion[] = supportedApiVersions()): Buffer[] {
  return encodeResponseFrame(ApiVersionsApi, 0, correlationId, { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, apiKeys });
}

/** Throws unless `frame` is a valid size-prefixed frame; returns the frame without its prefix. */
export function unframe(buf: Buffer): Buffer {
  if (buf.length < 4) throw new ProtocolDecodeError('frame shorter than its size prefix', 0);
  const size = buf.readInt32BE(0);
  if (size < 0 || size !== buf.length - 4) throw new ProtocolDecodeError(`frame size ${size} does not match ${buf.length - 4} bytes`, 0);
  return buf.subarray(4);
}
