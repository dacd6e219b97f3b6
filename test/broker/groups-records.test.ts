import { describe, expect, it } from 'vitest';
import { javaStringHashCode, kafkaAbs, partitionForGroup } from '../../src/broker/groups/hash.js';
import {
  decodeGroupMetadataValue, decodeKey, decodeOffsetCommitValue, encodeGroupMetadataKey, encodeGroupMetadataValue, encodeOffsetCommitKey, encodeOffsetCommitValue,
} from '../../src/broker/groups/records.js';

describe('group partition (Kafka: Utils.abs(groupId.hashCode) % partitions)', () => {
  it('matches Java String.hashCode', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('Hello, World!')).toBe(1498789909);
    // UTF-16 code units, as Java: a surrogate pair counts as two chars.
    expect(javaStringHashCode('\u{1F600}')).toBe(0xd83d * 31 + 0xde00);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  it('uses Kafka\'s abs (MIN_VALUE maps to 0)', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
    expect(partitionForGroup('polygenelubricants', 50)).toBe(0);
    expect(partitionForGroup('hello', 50)).toBe(99162322 % 50);
    // "my-group".hashCode() is -1906497762: a negative hash
    expect(javaStringHashCode('my-group')).toBeLessThan(0);
    expect(partitionForGroup('my-group', 50)).toBe(Math.abs(javaStringHashCode('my-group')) % 50);
  });
});

describe('__consumer_offsets record layouts', () => {
  it('offset commit key v1: int16 version, group, topic, int32 partition', () => {
    const key = encodeOffsetCommitKey('g', 'tp', 7);
    expect(key.toString('hex')).toBe('0001' + '0001' + '67' + '0002' + '7470' + '00000007');
    expect(decodeKey(key)).toEqual({ kind: 'offset', group: 'g', topic: 'tp', partition: 7 });
    // v0 keys (older brokers) read the same way.
    expect(decodeKey(Buffer.from('0000000167000274700000000' + '7', 'hex'))).toEqual({ kind: 'offset', group: 'g', topic: 'tp', partition: 7 });
  });

  it('group metadata key v2', () => {
    const key = encodeGroupMetadataKey('grp');
    expect(key.toString('hex')).toBe('0002' + '0003' + Buffer.from('grp').toString('hex'));
    expect(decodeKey(key)).toEqual({ kind: 'group', group: 'grp' });
    expect(decodeKey(Buffer.from('0009', 'hex'))).toBeNull();
  });

  it('offset commit value v3 (no expiry) and v1 (with expiry), as Kafka 3.9 writes them', () => {
    const v3 = encodeOffsetCommitValue({ offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000, expireTimestamp: null });
    expect(v3.toString('hex')).toBe('0003' + '000000000000002a' + '00000005' + '0001' + '6d' + '00000000000003e8');
    expect(decodeOffsetCommitValue(v3)).toEqual({ offset: 42n, leaderEpoch: 5, metadata: 'm', commitTimestamp: 1000, expireTimestamp: null });
    const v1 = encodeOffsetCommitValue({ offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 10, expireTimestamp: 20 });
    expect(v1.toString('hex')).toBe('0001' + '0000000000000001' + '0000' + '000000000000000a' + '0000000000000014');
    expect(decodeOffsetCommitValue(v1)).toEqual({ offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 10, expireTimestamp: 20 });
  });

  it('reads offset commit values v0, v2 and the flexible v4', () => {
    const v0 = Buffer.from('0000' + '0000000000000009' + '0002' + '6162' + '0000000000000064', 'hex');
    expect(decodeOffsetCommitValue(v0)).toEqual({ offset: 9n, leaderEpoch: -1, metadata: 'ab', commitTimestamp: 100, expireTimestamp: null });
    const v2 = Buffer.from('0002' + '0000000000000009' + '0000' + '0000000000000064', 'hex');
    expect(decodeOffsetCommitValue(v2).offset).toBe(9n);
    // v4: offset, leaderEpoch, compact string (len+1), timestamp, empty tagged fields
    const v4 = Buffer.from('0004' + '0000000000000003' + '00000002' + '02' + '78' + '0000000000000005' + '00', 'hex');
    expect(decodeOffsetCommitValue(v4)).toEqual({ offset: 3n, leaderEpoch: 2, metadata: 'x', commitTimestamp: 5, expireTimestamp: null });
    expect(() => decodeOffsetCommitValue(Buffer.from('0003000000', 'hex'))).toThrow();
  });

  it('group metadata value v3 round trip, and v0 read with the session timeout as rebalance timeout', () => {
    const value = {
      protocolType: 'consumer', generation: 3, protocol: 'range', leader: 'm1', currentStateTimestamp: 1234,
      members: [{ memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeout: 300, sessionTimeout: 100, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) }],
    };
    const bytes = encodeGroupMetadataValue(value);
    expect(bytes.readInt16BE(0)).toBe(3);
    expect(decodeGroupMetadataValue(bytes)).toEqual(value);
    const empty = encodeGroupMetadataValue({ protocolType: 'consumer', generation: 4, protocol: null, leader: null, currentStateTimestamp: 5, members: [] });
    expect(empty.toString('hex')).toBe('0003' + '0008' + Buffer.from('consumer').toString('hex') + '00000004' + 'ffff' + 'ffff' + '0000000000000005' + '00000000');
    // v0: protocolType, generation, protocol, leader, members [memberId, clientId, clientHost, sessionTimeout, subscription, assignment]
    const v0 = Buffer.concat([
      Buffer.from('0000' + '0001' + '78' + '00000001' + '0001' + '70' + '0001' + '61' + '00000001', 'hex'),
      Buffer.from('0001' + '61' + '0001' + '63' + '0001' + '68' + '00002710' + '00000000' + '00000001' + '09', 'hex'),
    ]);
    expect(decodeGroupMetadataValue(v0)).toEqual({
      protocolType: 'x', generation: 1, protocol: 'p', leader: 'a', currentStateTimestamp: -1,
      members: [{ memberId: 'a', groupInstanceId: null, clientId: 'c', clientHost: 'h', rebalanceTimeout: 10000, sessionTimeout: 10000, subscription: Buffer.alloc(0), assignment: Buffer.from([9]) }],
    });
  });
});
