/**
 * Confluent's wire format: magic byte 0, the schema id (4 bytes, big-endian), then for Protobuf
 * the message indexes (a zigzag varint count and zigzag varint indexes; the single byte 0 for
 * the first message of the file), then the encoded value.
 */
import { InvalidArgumentError } from '../errors.js';

export const MAGIC_BYTE = 0;

export function frame(id: number, payload: Uint8Array, messageIndexes: readonly number[] | null = null): Buffer {
  const header = Buffer.alloc(5);
  header[0] = MAGIC_BYTE;
  header.writeInt32BE(id, 1);
  if (messageIndexes === null) return Buffer.concat([header, payload]);
  const idx = messageIndexes.length === 1 && messageIndexes[0] === 0 ? [0] : [messageIndexes.length, ...messageIndexes];
  return Buffer.concat([header, Buffer.from(idx.flatMap((n) => zigzagVarint(n))), payload]);
}

export function unframe(bytes: Buffer, protobuf = false): { id: number; messageIndexes: number[] | null; payload: Buffer } {
  if (bytes.length < 5 || bytes[0] !== MAGIC_BYTE) throw new InvalidArgumentError('not in Confluent wire format: unknown magic byte');
  const id = bytes.readInt32BE(1);
  if (!protobuf) return { id, messageIndexes: null, payload: bytes.subarray(5) };
  let pos = 5;
  const read = (): number => {
    let shift = 0;
    let n = 0;
    for (;;) {
      if (pos >= bytes.length) throw new InvalidArgumentError('not in Confluent wire format: message indexes cut short');
      const b = bytes[pos++]!;
      n |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return (n >>> 1) ^ -(n & 1);
  };
  const count = read();
  const messageIndexes = count === 0 ? [0] : Array.from({ length: count }, read);
  return { id, messageIndexes, payload: bytes.subarray(pos) };
}

function zigzagVarint(n: number): number[] {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (z > 0x7f) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return out;
}
