/**
 * Compatibility levels as Confluent defines them: BACKWARD (the new schema reads data written
 * with the previous one), FORWARD (the previous schema reads data written with the new one),
 * FULL (both); the plain levels compare with the latest live version only, the *_TRANSITIVE ones
 * with every live version; NONE checks nothing.
 */
import type { CompatibilityLevel, ParsedSchema } from './types.js';

/** Problems found, in the order of `previous` (oldest first); empty when compatible. */
export function checkCompatibility(level: CompatibilityLevel, candidate: ParsedSchema, previous: readonly ParsedSchema[]): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const out: string[] = [];
  for (const prev of against) {
    if (backward) out.push(...candidate.canRead(prev));
    if (forward) out.push(...prev.canRead(candidate));
  }
  return out;
}
