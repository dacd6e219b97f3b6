/**
 * Java's String.hashCode and Kafka's Utils.abs, for the places where strand must pick the same
 * partition or slot a Kafka broker picks: a group's `__consumer_offsets` partition and a
 * transactional id's `__transaction_state` partition (`Utils.abs(key.hashCode) % partitions`),
 * and the spreading of partitions over replica fetchers.
 */

/** java.lang.String#hashCode: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** org.apache.kafka.common.utils.Utils#abs: MIN_VALUE maps to 0, not to itself as Java's Math.abs does. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** Kafka's `Utils.abs(key.hashCode) % partitions`: the same key, the same partition as on a Kafka broker. */
export function partitionForKey(key: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(key)) % partitions;
}
