/**
 * Client quota entities and keys as Kafka names them (kafka-configs --entity-type users /
 * clients / ips; DescribeClientQuotas and AlterClientQuotas): an entity is a user, a client id,
 * a user and a client id, or an IP; a null name is the entity type's `<default>`.
 */
export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';
export const CONTROLLER_MUTATION_RATE = 'controller_mutation_rate';
export const CONNECTION_CREATION_RATE = 'connection_creation_rate';

/** The keys each kind of entity takes, and whether the value must be a whole number (Kafka's LONG and INT keys). */
export const CLIENT_KEYS: ReadonlyMap<string, { whole: boolean }> = new Map([
  [PRODUCER_BYTE_RATE, { whole: true }],
  [CONSUMER_BYTE_RATE, { whole: true }],
  [REQUEST_PERCENTAGE, { whole: false }],
  [CONTROLLER_MUTATION_RATE, { whole: false }],
]);
export const IP_KEYS: ReadonlyMap<string, { whole: boolean }> = new Map([[CONNECTION_CREATION_RATE, { whole: true }]]);

/** One entity: its user, client id and IP parts (undefined: not part of it; null: `<default>`). */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
  ip?: string | null;
}

/** A stable key of an entity, e.g. `user=alice/client-id=<default>`. */
export function entityKey(e: QuotaEntity): string {
  const parts: string[] = [];
  if (e.user !== undefined) parts.push(`${USER}=${e.user === null ? '<default>' : encodeURIComponent(e.user)}`);
  if (e.clientId !== undefined) parts.push(`${CLIENT_ID}=${e.clientId === null ? '<default>' : encodeURIComponent(e.clientId)}`);
  if (e.ip !== undefined) parts.push(`${IP}=${e.ip === null ? '<default>' : e.ip}`);
  return parts.join('/');
}

/** The entity as the protocol lists it: user first, then client id (as Kafka's ClientQuotaEntity orders them), or ip. */
export function entityParts(e: QuotaEntity): Array<{ entityType: string; entityName: string | null }> {
  const out: Array<{ entityType: string; entityName: string | null }> = [];
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId });
  if (e.ip !== undefined) out.push({ entityType: IP, entityName: e.ip });
  return out;
}

/** Kafka's words for the entity (`user alice, client-id <default>`), for messages. */
export function describeEntity(e: QuotaEntity): string {
  return entityParts(e).map((p) => `${p.entityType} ${p.entityName ?? '<default>'}`).join(', ') || 'no entity';
}

/**
 * The entities whose quota applies to a connection of `user` with `clientId`, in Kafka's order
 * of precedence (the first that sets a key wins, key by key), each with the user and client id
 * its rate is counted under: a quota of /users/alice is shared by all of alice's clients, one
 * of /clients/<default> is counted per client id (Kafka's DefaultQuotaCallback metric tags).
 */
export function precedence(user: string, clientId: string): Array<{ key: string; sensor: string }> {
  const both = `${encodeURIComponent(user)}|${encodeURIComponent(clientId)}`;
  const u = `${encodeURIComponent(user)}|`;
  const c = `|${encodeURIComponent(clientId)}`;
  return [
    { key: entityKey({ user, clientId }), sensor: both },
    { key: entityKey({ user, clientId: null }), sensor: both },
    { key: entityKey({ user }), sensor: u },
    { key: entityKey({ user: null, clientId }), sensor: both },
    { key: entityKey({ user: null, clientId: null }), sensor: both },
    { key: entityKey({ user: null }), sensor: u },
    { key: entityKey({ clientId }), sensor: c },
    { key: entityKey({ clientId: null }), sensor: c },
  ];
}
