/**
 * What an authorization check needs of a request: the broker's ACL manager (absent when no
 * authorizer is configured, and then every check passes, as Kafka without an authorizer), the
 * principal and the client's address. `Guard`s wrap a handler: they answer what the principal
 * may not do with Kafka's `*_AUTHORIZATION_FAILED` codes and hand the rest to the handler.
 */
import type { AclManager } from '../../../../security/acl/index.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../../../security/acl/index.js';
import type { Complete } from '../../../../protocol/types.js';
import type { BrokerCore, Handler, RequestContext } from '../../../context.js';

const managers = new WeakMap<BrokerCore, AclManager>();

export function setAclManager(core: BrokerCore, manager: AclManager): void {
  managers.set(core, manager);
}

export function aclManagerOf(core: BrokerCore): AclManager | undefined {
  return managers.get(core);
}

/** A handler wrapped with its authorization checks. */
export type Guard = (inner: Handler) => Handler;

/** The client's IP as Kafka's ACL host compares it (an IPv4 address without the IPv6-mapped prefix). */
export function hostOf(remote: string): string {
  let host = remote.slice(0, remote.lastIndexOf(':'));
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

export class Access {
  readonly host: string;

  constructor(readonly manager: AclManager, readonly ctx: RequestContext) {
    this.host = hostOf(ctx.remote);
  }

  can(op: number, type: number, name: string): boolean {
    return this.manager.authorizer.authorize(this.ctx.principal, this.host, op, type, name);
  }

  topic(op: number, name: string): boolean {
    return this.can(op, ResourceType.TOPIC, name);
  }

  group(op: number, name: string): boolean {
    return this.can(op, ResourceType.GROUP, name);
  }

  txn(op: number, name: string): boolean {
    return this.can(op, ResourceType.TRANSACTIONAL_ID, name);
  }

  cluster(op: number): boolean {
    return this.can(op, ResourceType.CLUSTER, CLUSTER_NAME);
  }

  /** Bit field of the operations allowed on a resource (KIP-430's authorized operations). */
  operations(type: number, name: string): number {
    return this.manager.authorizer.operations(this.ctx.principal, this.host, type, name);
  }

  anyTopic(op: number): boolean {
    return this.manager.authorizer.authorizeByResourceType(this.ctx.principal, this.host, op, ResourceType.TOPIC);
  }
}

/** The request's Access, or null when the broker has no authorizer. */
export function accessOf(ctx: RequestContext): Access | null {
  const m = managers.get(ctx.broker);
  return m === undefined ? null : new Access(m, ctx);
}

export const Op = AclOperation;

/** Split `items` by `ok`. */
export function split<T>(items: readonly T[], ok: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const i of items) (ok(i) ? yes : no).push(i);
  return [yes, no];
}

/** An API checked once for the whole request: `refuse` is its whole answer when `ok` says no. */
export function checkWhole<Req, Res>(ok: (a: Access, req: Complete<Req>) => boolean, refuse: (req: Complete<Req>) => Res): Guard {
  return (inner: Handler<Req, Res>): Handler<Req, Res> => (req, ctx) => {
    const a = accessOf(ctx);
    return a === null || ok(a, req) ? inner(req, ctx) : refuse(req);
  };
}

/** What `checkEach` needs of a request whose items (topics, groups, transactional ids...) are checked one by one. */
export interface EachItem<Req, Res, T> {
  readonly items: readonly T[];
  ok(item: T): boolean;
  /** The request with only the allowed items. */
  narrow(allowed: T[]): Complete<Req>;
  /** The answer when no item is allowed; without it the handler is asked anyway, for its errors about the request as a whole. */
  empty?: () => Res;
  /** The handler's answer with the refused items' answers after its own. */
  refused(res: Res, denied: T[]): Res;
}

/**
 * Kafka's per-item authorization (KafkaApis splits each request into authorized and unauthorized
 * items): the handler answers the allowed items, the refused ones are answered after them, and
 * the request goes to the handler untouched when nothing is refused.
 */
export async function checkEach<Req, Res, T>(inner: Handler<Req, Res>, req: Complete<Req>, ctx: RequestContext, each: EachItem<Req, Res, T>): Promise<Res | null> {
  const [allowed, denied] = split(each.items, (item) => each.ok(item));
  if (denied.length === 0) return inner(req, ctx);
  const res = allowed.length > 0 || each.empty === undefined ? await inner(each.narrow(allowed), ctx) : each.empty();
  return res === null ? null : each.refused(res, denied);
}

/** Every partition of `topics` answered `errorCode` (the OffsetCommit-shaped answers). */
export function partitionsRefused(topics: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number }> }>, errorCode: number): Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }> {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
}
