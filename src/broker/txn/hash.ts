/**
 * Which partition of a coordinator topic holds a key: Kafka's
 * `Utils.abs(key.hashCode) % partitions`, with Java's String.hashCode (UTF-16 code units, int32
 * wrap-around) and Kafka's Utils.abs (MIN_VALUE maps to 0). Same key, same partition as on a
 * Kafka broker, for transactional ids (`__transaction_state`) and group ids (`__consumer_offsets`).
 */

export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export function partitionForKey(key: string, partitions: number): number {
  const h = javaStringHashCode(key);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}
