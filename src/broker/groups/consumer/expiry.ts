/**
 * Which committed offsets of a consumer-protocol group have expired, as Kafka's
 * ConsumerGroup.offsetExpirationCondition and OffsetMetadataManager.cleanupExpiredOffsets
 * decide: offsets of topics some member subscribes to never expire; the others
 * `offsets.retention.minutes` after their commit (or at the expire time a commit carried).
 * strand also drops offsets of partitions that no longer exist (Kafka removes those when the
 * topic is deleted).
 */
import type { ConsumerGroup } from './group.js';

export function expiredConsumerOffsets(group: ConsumerGroup, now: number, retentionMs: number, exists: (topic: string, partition: number) => boolean): Array<{ topic: string; partition: number }> {
  const subscribed = group.subscribedTopicNames();
  const out: Array<{ topic: string; partition: number }> = [];
  for (const { topic, partition, value } of group.offsets.allOffsets()) {
    if (!exists(topic, partition)) {
      out.push({ topic, partition });
      continue;
    }
    if (subscribed.has(topic)) continue;
    const expired = value.expireTimestamp !== null ? now >= value.expireTimestamp : now - value.commitTimestamp >= retentionMs;
    if (expired) out.push({ topic, partition });
  }
  return out;
}
