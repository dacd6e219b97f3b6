import { describe, expect, it } from 'vitest';
import { expiredConsumerOffsets } from '../../../src/broker/groups/consumer/expiry.js';
import { ConsumerGroup, ConsumerMember } from '../../../src/broker/groups/consumer/group.js';

describe('consumer group offset expiry', () => {
  it('offsets of subscribed topics stay; others expire after the retention, or at their own expire time; offsets of partitions gone go at once', () => {
    const g = new ConsumerGroup('g', 0);
    const m = new ConsumerMember('m');
    m.subscribedTopicNames = ['a'];
    g.putMember(m);
    const at = (commitTimestamp: number, expireTimestamp: number | null = null) => ({ offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp, expireTimestamp });
    g.offsets.setOffset('a', 0, at(0));
    g.offsets.setOffset('b', 0, at(0));
    g.offsets.setOffset('b', 1, at(900));
    g.offsets.setOffset('c', 0, at(900, 950));
    g.offsets.setOffset('gone', 0, at(990));
    const exists = (t: string) => t !== 'gone';
    expect(expiredConsumerOffsets(g, 1000, 1000, exists)).toEqual([{ topic: 'b', partition: 0 }, { topic: 'c', partition: 0 }, { topic: 'gone', partition: 0 }]);
    g.removeMember('m');
    expect(expiredConsumerOffsets(g, 1000, 1000, exists).map((o) => `${o.topic}-${o.partition}`)).toEqual(['a-0', 'b-0', 'c-0', 'gone-0']);
  });
});
