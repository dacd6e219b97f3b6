/**
 * The group coordinator of a broker. `startGroupCoordinator` loads it when the broker starts
 * and ties it to the broker; the group handlers find it with `groupCoordinatorOf(ctx.broker)`;
 * `stopGroupCoordinator` answers what is parked and stops its timers when the broker stops.
 */
import type { BrokerCore } from '../context.js';
import { GroupCoordinator } from './coordinator.js';

const coordinators = new WeakMap<BrokerCore, GroupCoordinator>();

export async function startGroupCoordinator(core: BrokerCore): Promise<GroupCoordinator> {
  const coordinator = await GroupCoordinator.start(core);
  coordinators.set(core, coordinator);
  return coordinator;
}

export function stopGroupCoordinator(core: BrokerCore): void {
  coordinators.get(core)?.shutdown();
}

/** The broker's coordinator, or undefined if it has none (answer COORDINATOR_NOT_AVAILABLE). */
export function groupCoordinatorOf(core: BrokerCore): GroupCoordinator | undefined {
  return coordinators.get(core);
}

export { GroupCoordinator } from './coordinator.js';
export { OFFSETS_TOPIC } from './offsets-topic.js';
export { partitionForGroup } from './hash.js';
