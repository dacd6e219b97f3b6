/**
 * Kafka UUIDs (topic ids, cluster ids): 16 random bytes shown as 22 characters of unpadded
 * base64url. Like Kafka's Uuid.randomUuid, never the zero UUID, never the reserved
 * metadata-topic id (1), and never one whose text starts with '-' (it would read as a flag).
 */
import { randomBytes } from 'node:crypto';

export function randomUuidBytes(): Buffer {
  for (;;) {
    const b = randomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40; // version 4
    b[8] = (b[8]! & 0x3f) | 0x80; // IETF variant
    if (b.toString('base64url').startsWith('-')) continue;
    return b;
  }
}

export function uuidText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function uuidBytes(text: string): Buffer | null {
  if (text.length !== 22 || !/^[A-Za-z0-9_-]{22}$/.test(text)) return null;
  const b = Buffer.from(text, 'base64url');
  return b.length === 16 ? b : null;
}

export function randomKafkaUuid(): string {
  return uuidText(randomUuidBytes());
}
