import { describe, expect, it } from 'vitest';
import { decodeKey } from '../../../src/broker/groups/records.js';
import {
  ConsumerKeyVersion, decodeCurrentAssignmentValue, decodeMemberMetadataValue, decodePartitionMetadataValue, encodeConsumerKey, encodeCurrentAssignmentValue, encodeEpochValue, encodeMemberMetadataValue, encodePartitionMetadataValue,
} from '../../../src/broker/groups/consumer/records.js';

/** The consumer group records of __consumer_offsets, byte for byte as Kafka's generated serdes write them. */
describe('consumer group records', () => {
  it('keys: int16 version, then classic strings', () => {
    expect(encodeConsumerKey(ConsumerKeyVersion.GroupMetadata, 'g').toString('hex')).toBe('0003' + '0001' + '67');
    expect(encodeConsumerKey(ConsumerKeyVersion.CurrentMemberAssignment, 'g', 'm').toString('hex')).toBe('0008' + '0001' + '67' + '0001' + '6d');
    expect(decodeKey(encodeConsumerKey(ConsumerKeyVersion.TargetAssignmentMember, 'grp', 'mem'))).toEqual({ kind: 'consumer-target-member', group: 'grp', member: 'mem' });
    expect(decodeKey(encodeConsumerKey(ConsumerKeyVersion.PartitionMetadata, 'grp'))).toEqual({ kind: 'consumer-partition-metadata', group: 'grp' });
  });

  it('values: int16 version 0, then the flexible struct with an empty tag section', () => {
    expect(encodeEpochValue(5).toString('hex')).toBe('0000' + '00000005' + '00');
    const member = { instanceId: null, rackId: 'r', clientId: 'c', clientHost: '/h', subscribedTopicNames: ['t'], subscribedTopicRegex: null, rebalanceTimeoutMs: 300, serverAssignor: 'uniform', classic: null };
    const bytes = encodeMemberMetadataValue(member);
    // version, InstanceId null (0), RackId "r", ClientId "c", ClientHost "/h", [ "t" ], regex null, 300, "uniform", tags
    expect(bytes.toString('hex')).toBe('0000' + '00' + '0272' + '0263' + '032f68' + '02' + '0274' + '00' + '0000012c' + '08' + Buffer.from('uniform').toString('hex') + '00');
    expect(decodeMemberMetadataValue(bytes)).toEqual(member);
    // A classic member hosted by the group (Kafka 3.8+): ClassicMemberMetadata in tag 0, a
    // nullable struct (presence byte 1), SessionTimeoutMs, SupportedProtocols [Name, Metadata].
    const classic = { ...member, classic: { sessionTimeoutMs: 45_000, protocols: [{ name: 'range', metadata: Buffer.from([0xab]) }] } };
    const classicBytes = encodeMemberMetadataValue(classic);
    expect(classicBytes.toString('hex')).toBe(bytes.subarray(0, bytes.length - 1).toString('hex') + '01' + '00' + '10' + '01' + '0000afc8' + '02' + '06' + Buffer.from('range').toString('hex') + '02' + 'ab' + '00' + '00');
    expect(decodeMemberMetadataValue(classicBytes)).toEqual(classic);
    const topicId = 'AAAAAAAAAAAAAAAAAAAAAQ';
    const current = { memberEpoch: 7, previousMemberEpoch: 6, state: 1, assigned: new Map([[topicId, new Set([0, 2])]]), pendingRevocation: new Map([[topicId, new Set([1])]]) };
    expect(decodeCurrentAssignmentValue(encodeCurrentAssignmentValue(current))).toEqual(current);
    expect(decodePartitionMetadataValue(encodePartitionMetadataValue([{ topicId, topicName: 't', numPartitions: 3 }]))).toEqual({ topics: [{ topicId, topicName: 't', numPartitions: 3 }] });
  });
});
