/**
 * FindCoordinator (10), v0-6: a single broker coordinates every group (and every transactional
 * id); in a cluster a group's coordinator is the leader of its `__consumer_offsets` partition, a
 * transactional id's the leader of its `__transaction_state` partition. v4+ asks for a batch of keys. A group lookup creates
 * `__consumer_offsets` if it does not exist yet, as in Kafka; share-group keys (type 2, v6)
 * get INVALID_REQUEST since strand has no share groups.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse, FindCoordinatorResponseCoordinator } from '../../../protocol/messages/find-coordinator.js';
import type { Handler, RequestContext } from '../../context.js';
import { placeGroup } from '../../groups/placement.js';
import { transactionCoordinatorOf } from '../../txn/index.js';
import { placeTransactionalId } from '../../txn/placement.js';
import { coordinator } from './common.js';

const GROUP = 0;
const TRANSACTION = 1;

function lookup(key: string, keyType: number, ctx: RequestContext): FindCoordinatorResponseCoordinator {
  const b = ctx.broker;
  const fail = (errorCode: number, errorMessage: string): FindCoordinatorResponseCoordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  if (keyType === GROUP) {
    const c = coordinator(ctx);
    if (c === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    const ready = c.prepareCoordinator();
    if (ready.errorCode !== ErrorCode.NONE) return fail(ready.errorCode, ready.message ?? 'The coordinator is not available.');
    // In a cluster: the leader of the group's __consumer_offsets partition (groups/placement.ts).
    const place = placeGroup(b, key);
    if (place !== null) {
      const at = place.leader < 0 ? undefined : b.replication.brokers(ctx.listenerName).find((e) => e.nodeId === place.leader);
      if (at === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
      return { key, nodeId: at.nodeId, host: at.host, port: at.port, errorCode: ErrorCode.NONE, errorMessage: null };
    }
  } else if (keyType !== TRANSACTION) {
    return fail(ErrorCode.INVALID_REQUEST, `Unsupported key type ${keyType}: expected 0 (group) or 1 (transaction)`);
  } else if (b.replication.clustered) {
    // In a cluster: the leader of the id's __transaction_state partition (txn/placement.ts). The
    // first lookup creates the topic, as in Kafka.
    const txn = transactionCoordinatorOf(b);
    if (txn === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    try {
      txn.stateTopic.ensure();
    } catch (err) {
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `__transaction_state is not available yet: ${(err as Error).message}`);
    }
    const place = placeTransactionalId(b, key);
    const at = place === null || place.leader < 0 ? undefined : b.replication.brokers(ctx.listenerName).find((e) => e.nodeId === place.leader);
    if (at === undefined) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    return { key, nodeId: at.nodeId, host: at.host, port: at.port, errorCode: ErrorCode.NONE, errorMessage: null };
  }
  return { key, nodeId: b.nodeId, host: ctx.endpoint.host, port: ctx.endpoint.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const handleFindCoordinator: Handler<FindCoordinatorRequest, FindCoordinatorResponse> = (req, ctx) => {
  if (ctx.apiVersion >= 4) {
    return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((k) => lookup(k, req.keyType, ctx)) };
  }
  const r = lookup(req.key, req.keyType, ctx);
  return { throttleTimeMs: 0, errorCode: r.errorCode, errorMessage: r.errorMessage, nodeId: r.nodeId, host: r.host, port: r.port, coordinators: [] };
};
