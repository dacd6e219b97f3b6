import { describe, expect, it } from 'vitest';
import { KafkaErrorCode } from '../../src/errors.js';
import { initialPartitionState, reconcilePartition } from '../../src/cluster/partition-change.js';
import { assignByPlacement, parsePlacement, PlacementError, placementRoles } from '../../src/cluster/placement.js';
import type { PartitionState } from '../../src/cluster/types.js';

const EAST2_WEST1_OBSERVER = parsePlacement('{"version":1,"replicas":[{"count":2,"constraints":{"rack":"east"}}],"observers":[{"count":1,"constraints":{"rack":"west"}}]}');
const EAST2_WEST1 = parsePlacement('{"version":1,"replicas":[{"count":2,"constraints":{"rack":"east"}},{"count":1,"constraints":{"rack":"west"}}]}');
const brokers = [{ nodeId: 1, rack: 'east' }, { nodeId: 2, rack: 'east' }, { nodeId: 3, rack: 'west' }, { nodeId: 4, rack: 'west' }];
const racks = new Map(brokers.map((b) => [b.nodeId, b.rack]));

function state(overrides: Partial<PartitionState>): PartitionState {
  return { topic: 't', partition: 0, replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 4, partitionEpoch: 9, controllerEpoch: 2, observers: [3], ...overrides };
}

describe('replica placement with observers (confluent.placement.constraints)', () => {
  it('parses Confluent\'s JSON and names what is wrong', () => {
    expect(EAST2_WEST1_OBSERVER).toEqual({ replicas: [{ count: 2, rack: 'east' }], observers: [{ count: 1, rack: 'west' }] });
    const refused = (v: string): string => {
      try {
        parsePlacement(v);
      } catch (err) {
        expect(err).toBeInstanceOf(PlacementError);
        expect((err as PlacementError).kafkaCode).toBe(KafkaErrorCode.INVALID_CONFIG);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused('{')).toBe('confluent.placement.constraints is not JSON: {');
    expect(refused('{"version":3,"replicas":[]}')).toBe('confluent.placement.constraints: "version" must be 1 or 2');
    expect(refused('{"version":1,"observers":[{"count":1,"constraints":{"rack":"w"}}]}')).toBe('confluent.placement.constraints: "replicas" must name at least one group (observers alone cannot lead)');
    expect(refused('{"version":1,"replicas":[{"count":0,"constraints":{"rack":"e"}}]}')).toBe('confluent.placement.constraints: replicas[0].count must be an integer >= 1');
    expect(refused('{"version":1,"replicas":[{"count":1,"constraints":{}}]}')).toBe('confluent.placement.constraints: replicas[0].constraints.rack must be a rack name');
  });

  it('assigns each group in its rack, turning one broker further per partition, observers last', () => {
    expect(assignByPlacement(EAST2_WEST1_OBSERVER, 4, brokers, 0)).toEqual([
      { replicas: [1, 2, 3], observers: [3] },
      { replicas: [2, 1, 4], observers: [4] },
      { replicas: [1, 2, 3], observers: [3] },
      { replicas: [2, 1, 4], observers: [4] },
    ]);
    expect(() => assignByPlacement(EAST2_WEST1_OBSERVER, 1, brokers.filter((b) => b.rack === 'east'), 0)).toThrow(new PlacementError('confluent.placement.constraints needs 1 broker(s) in rack west, 0 live broker(s) are there', KafkaErrorCode.INVALID_REPLICATION_FACTOR));
  });

  it('a new partition\'s observers start outside the ISR; an observer is never elected, not even uncleanly', () => {
    expect(initialPartitionState('t', 0, [1, 2, 3], 2, [3])).toEqual({ topic: 't', partition: 0, replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0, controllerEpoch: 2, observers: [3] });
    const next = reconcilePartition(state({}), new Set([3]), true, 3);
    expect(next).toEqual(state({ leader: -1, leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 3 }));
  });

  it('promotes an observer when the placement makes it a replica: same replicas, no observers, the ISR grows later through its leader', () => {
    expect(placementRoles(state({}), EAST2_WEST1, racks, 3)).toEqual({ state: state({ observers: [], partitionEpoch: 10, controllerEpoch: 3 }) });
    expect(placementRoles(state({}), EAST2_WEST1_OBSERVER, racks, 3)).toEqual({ state: null });
  });

  it('demotes a leading replica to observer: leadership moves to an in-sync replica (epoch + 1), the observer leaves the ISR', () => {
    const leading = state({ replicas: [3, 1, 2], isr: [3, 1, 2], leader: 3, observers: [] });
    expect(placementRoles(leading, EAST2_WEST1_OBSERVER, racks, 3)).toEqual({ state: state({ replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 5, partitionEpoch: 10, controllerEpoch: 3, observers: [3] }) });
    // With no synchronous replica in sync, the change waits rather than leave the partition leaderless.
    expect(placementRoles(state({ replicas: [3, 1, 2], isr: [3], leader: 3, observers: [] }), EAST2_WEST1_OBSERVER, racks, 3)).toEqual({ state: null, reason: 'the leader 3 would become an observer and no synchronous replica is in sync' });
  });

  it('waits when the replicas cannot meet the placement without moving, or a replica\'s rack is unknown', () => {
    expect(placementRoles(state({ replicas: [1, 2], isr: [1, 2], observers: [] }), EAST2_WEST1_OBSERVER, racks, 3)).toEqual({ state: null, reason: '2 replicas, the placement asks for 3' });
    expect(placementRoles(state({ replicas: [1, 3, 4], isr: [1, 3], observers: [4] }), EAST2_WEST1_OBSERVER, racks, 3)).toEqual({ state: null, reason: 'not enough replicas in rack east' });
    expect(placementRoles(state({}), EAST2_WEST1, new Map([[1, 'east'], [2, 'east']]), 3)).toEqual({ state: null, reason: 'the racks of broker(s) 3 are not known while they are down' });
  });
});
