/**
 * The authorizer settings under Kafka's names: `authorizer.class.name` (Kafka's two ACL
 * authorizers, or `strand`, all meaning strand's authorizer; empty: none, the ACL APIs answer
 * SECURITY_DISABLED), `super.users` (`User:alice;User:bob`) and
 * `allow.everyone.if.no.acl.found` (default false). A value strand cannot honour stops the
 * start with a message naming it.
 */
import { SecurityConfigError } from '../errors.js';
import type { SettingsSource } from '../settings.js';
import type { DecisionPolicy } from './decide.js';

export const AUTHORIZER_CLASSES: ReadonlySet<string> = new Set([
  'kafka.security.authorizer.AclAuthorizer',
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'strand',
]);

/** The policy of the configured authorizer, or null when none is configured. */
export function authorizerPolicy(src: SettingsSource): DecisionPolicy | null {
  const cls = (src.raw('authorizer.class.name') ?? '').trim();
  if (cls === '') return null;
  if (!AUTHORIZER_CLASSES.has(cls)) {
    throw new SecurityConfigError(`refusing to start: authorizer.class.name=${cls} is not an authorizer strand has (use ${[...AUTHORIZER_CLASSES].join(', ')}, all meaning strand's ACL authorizer)`);
  }
  const superUsers = new Set<string>();
  for (const entry of (src.raw('super.users') ?? '').split(';')) {
    const p = entry.trim();
    if (p === '') continue;
    // KafkaPrincipal.fromString: "<type>:<name>".
    if (p.indexOf(':') <= 0) throw new SecurityConfigError(`refusing to start: super.users entry ${JSON.stringify(p)} is not a principal (expected <type>:<name>, e.g. User:alice)`);
    superUsers.add(p);
  }
  const allowEveryone = (src.raw('allow.everyone.if.no.acl.found') ?? 'false').trim().toLowerCase();
  if (allowEveryone !== 'true' && allowEveryone !== 'false') throw new SecurityConfigError(`refusing to start: allow.everyone.if.no.acl.found=${allowEveryone} (expected true or false)`);
  return { superUsers, allowEveryoneIfNoAclFound: allowEveryone === 'true' };
}
