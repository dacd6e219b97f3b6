/**
 * Which `__consumer_offsets` partition holds a group: Kafka's
 * `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`, with Java's String.hashCode
 * (UTF-16 code units, 32-bit wrap-around) and Kafka's Utils.abs (MIN_VALUE maps to 0, not to
 * itself as Math.abs does in Java). Same group, same partition as on a Kafka broker.
 */

/** java.lang.String#hashCode: s[0]*31^(n-1) + ... + s[n-1], in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** org.apache.kafka.common.utils.Utils#abs. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionForGroup(groupId: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitions;
}
