/**
 * The transaction coordinator of a broker. `startTransactionCoordinator` loads it when the
 * broker starts and ties it to the broker; handlers find it with
 * `transactionCoordinatorOf(ctx.broker)`; `stopTransactionCoordinator` stops its timers and
 * waits for transitions in progress before the logs close.
 */
import type { BrokerCore } from '../context.js';
import { TransactionCoordinator } from './coordinator.js';

const coordinators = new WeakMap<BrokerCore, TransactionCoordinator>();

export async function startTransactionCoordinator(core: BrokerCore): Promise<TransactionCoordinator> {
  const coordinator = await TransactionCoordinator.start(core);
  coordinators.set(core, coordinator);
  return coordinator;
}

export async function stopTransactionCoordinator(core: BrokerCore): Promise<void> {
  await coordinators.get(core)?.shutdown();
}

/** The broker's coordinator, or undefined if it has none (answer COORDINATOR_NOT_AVAILABLE). */
export function transactionCoordinatorOf(core: BrokerCore): TransactionCoordinator | undefined {
  return coordinators.get(core);
}

export { TransactionCoordinator } from './coordinator.js';
export { COORDINATOR_EPOCH, type MarkerListener, txnFaults } from './markers.js';
export { TRANSACTION_STATE_TOPIC } from './state-topic.js';
