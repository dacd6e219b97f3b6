/** Which broker coordinates a group: the leader of its `__consumer_offsets` partition in a cluster (../coordinator-placement.ts). */
import { type CoordinatorPlacement, coordinationErrorFor, placeKey } from '../coordinator-placement.js';
import type { BrokerCore } from '../context.js';
import { OFFSETS_TOPIC } from './offsets-topic.js';

/** Where group `groupId` lives in a cluster; null on a single broker. */
export function placeGroup(core: BrokerCore, groupId: string): CoordinatorPlacement | null {
  return placeKey(core, OFFSETS_TOPIC, groupId);
}

/** 0 when this broker may serve group `groupId` now; else NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE. */
export function coordinationError(core: BrokerCore, groupId: string, loading: ReadonlySet<number>): number {
  return coordinationErrorFor(core, OFFSETS_TOPIC, groupId, loading);
}
