/**
 * What the group handlers share: the broker's coordinator (COORDINATOR_NOT_AVAILABLE when it
 * has none or is shutting down) and how a member's client host is shown (Kafka prints the
 * address as Java's InetAddress does: "/127.0.0.1").
 */
import type { RequestContext } from '../../context.js';
import { type GroupCoordinator, groupCoordinatorOf } from '../../groups/index.js';

export function coordinator(ctx: RequestContext): GroupCoordinator | undefined {
  const c = groupCoordinatorOf(ctx.broker);
  return c?.isActive ? c : undefined;
}

/** `/host` of the connection (`remote` is `host:port`). */
export function clientHost(ctx: RequestContext): string {
  const i = ctx.remote.lastIndexOf(':');
  return `/${i > 0 ? ctx.remote.slice(0, i) : ctx.remote}`;
}
