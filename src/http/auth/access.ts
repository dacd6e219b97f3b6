/**
 * What an authenticated admin HTTP principal may do. With an authorizer configured
 * (`authorizer.class.name`), the console's and the REST layers' actions are the Kafka APIs'
 * and are decided by the same ACLs: Describe a topic to see it, Read to browse its messages,
 * Create (on the cluster or the topic) to create it, Delete to delete it, Describe a group to see
 * its offsets. The principals of `http.super.users` may do anything. Without an authorizer,
 * reading is open to every authenticated principal and changing is for `http.super.users` (else
 * `super.users`), or for everyone when neither names anyone (Kafka without an authorizer allows
 * every operation).
 */
import type { FastifyRequest } from 'fastify';
import { aclManagerOf } from '../../broker/handlers/security/enforce/guard.js';
import { AclOperation } from '../../security/acl/types.js';
import { ANONYMOUS } from '../../security/connection-auth.js';
import type { HttpBroker } from '../server.js';
import type { HttpAuthSettings } from './settings.js';

const UNAUTHENTICATED: HttpAuthSettings = { method: 'NONE', superUsers: new Set(), metricsProtected: false };

const READS: ReadonlySet<number> = new Set([AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS]);

/** The client's IP as Kafka's ACL host compares it (an IPv4 address without the IPv6-mapped prefix). */
export function aclHost(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export function decide(settings: HttpAuthSettings, broker: HttpBroker, principal: string, ip: string, op: number, type: number, name: string): boolean {
  if (settings.superUsers.has(principal)) return true;
  const acls = aclManagerOf(broker);
  if (acls !== undefined) return acls.authorizer.authorize(principal, aclHost(ip), op, type, name);
  return READS.has(op) || settings.superUsers.size === 0;
}

/**
 * Whether the request's principal may do `op` (AclOperation) on the resource (ResourceType,
 * name). For every HTTP layer: the REST Proxy and Schema Registry call it as the console does.
 */
export function authorizeHttp(req: FastifyRequest, broker: HttpBroker, op: number, type: number, name: string): boolean {
  // A layer served by an app of its own (tests, embedding) has no admin listener settings: no authentication.
  return decide(req.server.httpAuth ?? UNAUTHENTICATED, broker, req.principal ?? ANONYMOUS, req.ip, op, type, name);
}

/** A 403 for what `authorizeHttp` refused, naming the principal and the operation, as Kafka's messages do. */
export function forbidden(req: FastifyRequest, what: string): Error {
  return Object.assign(new Error(`${req.principal} is not authorized to ${what}`), { statusCode: 403 });
}
