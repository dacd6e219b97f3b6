/**
 * What the group handlers share: the broker's coordinator (COORDINATOR_NOT_AVAILABLE when it
 * has none or is shutting down) and how a member's client host is shown (Kafka prints the
 * address as Java's InetAddress does: "/127.0.0.1").
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { RequestContext } from '../../context.js';
import { type GroupCoordinator, groupCoordinatorOf } from '../../groups/index.js';
import { coordinationError } from '../../groups/placement.js';

/**
 * The broker's coordinator, when it may serve group `groupId` now (in a cluster, only the leader
 * of the group's `__consumer_offsets` partition does, once loaded: groups/placement.ts);
 * undefined otherwise, to be answered with `unavailable(ctx, groupId)`.
 */
export function coordinator(ctx: RequestContext, groupId?: string): GroupCoordinator | undefined {
  const c = groupCoordinatorOf(ctx.broker);
  if (!c?.isActive) return undefined;
  if (groupId !== undefined && coordinationError(ctx.broker, groupId, c.loading) !== ErrorCode.NONE) return undefined;
  return c;
}

/** Why `coordinator(ctx, groupId)` gave none: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or COORDINATOR_NOT_AVAILABLE. */
export function unavailable(ctx: RequestContext, groupId?: string): number {
  const c = groupCoordinatorOf(ctx.broker);
  if (!c?.isActive || groupId === undefined) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const code = coordinationError(ctx.broker, groupId, c.loading);
  return code === ErrorCode.NONE ? ErrorCode.COORDINATOR_NOT_AVAILABLE : code;
}

/** `/host` of the connection (`remote` is `host:port`). */
export function clientHost(ctx: RequestContext): string {
  const i = ctx.remote.lastIndexOf(':');
  return `/${i > 0 ? ctx.remote.slice(0, i) : ctx.remote}`;
}
