/**
 * Which `__consumer_offsets` partition holds a group: Kafka's
 * `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions` (src/java-hash.ts), so a group
 * lives in the same partition as on a Kafka broker.
 */
import { partitionForKey } from '../../java-hash.js';

export { javaStringHashCode, kafkaAbs } from '../../java-hash.js';

export function partitionForGroup(groupId: string, partitions: number): number {
  return partitionForKey(groupId, partitions);
}
