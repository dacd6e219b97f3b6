/**
 * Zigzag varints as used inside Kafka records (`ByteUtils.writeVarint` / `writeVarlong`).
 * These are signed; the unsigned varints of flexible protocol messages live in `src/protocol`.
 *
 * Readers take a position and return the value; the new position is left in `cursor.pos`
 * so the hot loops allocate nothing per call.
 */

/** A read position shared across calls, so decoders return plain numbers. */
export interface Cursor {
  pos: number;
}

/** Bytes needed to write `value` (a 32-bit signed int) as a zigzag varint. */
export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

/** Bytes needed to write `value` (a safe integer) as a zigzag varlong. */
export function sizeOfVarlong(value: number): number {
  // zigzag in float arithmetic: exact for |value| < 2^52.
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    bytes++;
  }
  return bytes;
}

/** Write a zigzag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Write a zigzag varlong (safe-integer range) at `pos`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, pos, value);
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Read a zigzag varint at `cursor.pos`, advancing it. Returns NaN when the varint runs past
 * `end` or is longer than 5 bytes, so callers check once instead of catching.
 */
export function readVarint(buf: Uint8Array, cursor: Cursor, end: number): number {
  let pos = cursor.pos;
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end || shift > 28) {
      cursor.pos = pos;
      return NaN;
    }
    const b = buf[pos++]!;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  cursor.pos = pos;
  return (result >>> 1) ^ -(result & 1);
}

/** Read a zigzag varlong (must fit a safe integer) at `cursor.pos`. NaN when malformed. */
export function readVarlong(buf: Uint8Array, cursor: Cursor, end: number): number {
  let pos = cursor.pos;
  let result = 0;
  let mul = 1;
  for (;;) {
    if (pos >= end || mul > 2 ** 56) {
      cursor.pos = pos;
      return NaN;
    }
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  cursor.pos = pos;
  // un-zigzag in float arithmetic (exact below 2^53)
  return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
}
