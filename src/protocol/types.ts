/**
 * Shared types and runtime helpers of the generated codecs (src/protocol/messages).
 *
 * Generated interfaces mark a field optional when some version lacks it, when it is tagged, or
 * when the schema gives it a default: an encoder substitutes the default for an omitted field.
 * Decoders always fill every field, so what they return is `Complete<T>`: the same shape with
 * every field required (except `_unknownTaggedFields`, present only when the peer sent tags
 * this codec does not know).
 */
import type { RawTaggedField, Reader } from './reader.js';
import type { Writer } from './writer.js';
import { ProtocolEncodeError } from './errors.js';

type Leaf = Buffer | string | number | bigint | boolean | null | undefined;

/** T with every field (recursively) required, as decoders return it. */
export type Complete<T> = T extends Leaf
  ? T
  : T extends readonly (infer E)[]
    ? Complete<E>[]
    : { [K in keyof T as K extends '_unknownTaggedFields' ? never : K]-?: Complete<T[K]> } & { _unknownTaggedFields?: RawTaggedField[] };

/** The shared empty Buffer used as the default of `bytes` fields. Never write into it. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** Thrown by encoders for null in a version where the field is not nullable. */
export function nullField(field: string, version: number): never {
  throw new ProtocolEncodeError(`${field} cannot be null at version ${version}`);
}

/** One API: its versions and the codecs of its request and response bodies. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiCodec<Req = any, Res = any> {
  readonly name: string;
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First version using the flexible (KIP-482) encoding, or null if none does. */
  readonly firstFlexibleVersion: number | null;
  /** The highest version is still experimental in Kafka 3.9 and is not advertised by default. */
  readonly latestVersionUnstable: boolean;
  decodeRequest(r: Reader, version: number): Complete<Req>;
  encodeRequest(w: Writer, v: Req, version: number): void;
  decodeResponse(r: Reader, version: number): Complete<Res>;
  encodeResponse(w: Writer, v: Res, version: number): void;
}
