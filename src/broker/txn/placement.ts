/** Which broker coordinates a transactional id: the leader of its `__transaction_state` partition in a cluster (../coordinator-placement.ts). */
import { type CoordinatorPlacement, coordinationErrorFor, placeKey } from '../coordinator-placement.js';
import type { BrokerCore } from '../context.js';
import { TRANSACTION_STATE_TOPIC } from './state-topic.js';

/** Where transactional id `transactionalId` lives in a cluster; null on a single broker. */
export function placeTransactionalId(core: BrokerCore, transactionalId: string): CoordinatorPlacement | null {
  return placeKey(core, TRANSACTION_STATE_TOPIC, transactionalId);
}

/** 0 when this broker may serve `transactionalId` now; else NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE. */
export function txnCoordinationError(core: BrokerCore, transactionalId: string, loading: ReadonlySet<number>): number {
  return coordinationErrorFor(core, TRANSACTION_STATE_TOPIC, transactionalId, loading);
}
