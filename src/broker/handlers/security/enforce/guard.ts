/**
 * What an authorization check needs of a request: the broker's ACL manager (absent when no
 * authorizer is configured, and then every check passes, as Kafka without an authorizer), the
 * principal and the client's address. `Guard`s wrap a handler: they answer what the principal
 * may not do with Kafka's `*_AUTHORIZATION_FAILED` codes and hand the rest to the handler.
 */
import type { AclManager } from '../../../../security/acl/index.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../../../security/acl/index.js';
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
