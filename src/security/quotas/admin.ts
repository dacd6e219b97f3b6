/**
 * DescribeClientQuotas filtering and AlterClientQuotas validation, with Kafka's rules and
 * messages (KRaft's ClientQuotasImage.describe and ClientQuotaControlManager): entity types
 * user, client-id and ip; an ip never combined with the others; each type at most once; keys
 * known for the entity's kind; LONG and INT keys whole numbers. Every failure is
 * INVALID_REQUEST, as Kafka answers.
 */
import { isIP } from 'node:net';
import { KafkaErrorCode, StrandError } from '../../errors.js';
import { CLIENT_ID, CLIENT_KEYS, IP, IP_KEYS, type QuotaEntity, USER } from './entity.js';
import type { QuotaRecord } from './store.js';

export class InvalidQuotaRequestError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_INVALID_QUOTA', KafkaErrorCode.INVALID_REQUEST);
  }
}

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

export interface FilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

type Part = 'user' | 'clientId' | 'ip';
const PART: Readonly<Record<string, Part>> = { [USER]: 'user', [CLIENT_ID]: 'clientId', [IP]: 'ip' };

/** The entities matching a DescribeClientQuotas filter; throws InvalidQuotaRequestError for a bad filter. */
export function describeMatching(records: Iterable<QuotaRecord>, components: readonly FilterComponent[], strict: boolean): QuotaRecord[] {
  const seen = new Set<string>();
  for (const c of components) {
    if (PART[c.entityType] === undefined) throw new InvalidQuotaRequestError(`Custom entity type ${c.entityType} not supported`);
    if (seen.has(c.entityType)) throw new InvalidQuotaRequestError(`Entity type ${c.entityType} cannot appear more than once in the filter.`);
    seen.add(c.entityType);
    if (c.matchType === MATCH_EXACT && c.match === null) throw new InvalidQuotaRequestError(`Entity type ${c.entityType}: an exact match needs a name to match.`);
    if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_SPECIFIED) throw new InvalidQuotaRequestError(`Unknown match type ${c.matchType}`);
  }
  if (seen.has(IP) && (seen.has(USER) || seen.has(CLIENT_ID))) throw new InvalidQuotaRequestError('Invalid entity filter component combination, IP filter component should not be used with user or clientId filter component.');
  const out: QuotaRecord[] = [];
  for (const r of records) {
    const ok = components.every((c) => {
      const name = r.entity[PART[c.entityType]!];
      if (name === undefined) return false;
      if (c.matchType === MATCH_EXACT) return name === c.match;
      if (c.matchType === MATCH_DEFAULT) return name === null;
      return name !== null;
    });
    if (!ok) continue;
    if (strict) {
      const parts = (['user', 'clientId', 'ip'] as const).filter((p) => r.entity[p] !== undefined).length;
      if (parts !== components.length) continue;
    }
    out.push(r);
  }
  return out;
}

/** An AlterClientQuotas entity in the protocol's form, checked and turned into a QuotaEntity. */
export function entityOf(parts: ReadonlyArray<{ entityType: string; entityName: string | null }>): QuotaEntity {
  if (parts.length === 0) throw new InvalidQuotaRequestError('Invalid empty client quota entity');
  const entity: QuotaEntity = {};
  for (const p of parts) {
    const part = PART[p.entityType];
    if (part === undefined) throw new InvalidQuotaRequestError(`Unhandled client quota entity type: ${p.entityType}`);
    if (entity[part] !== undefined) throw new InvalidQuotaRequestError(`Duplicate ${p.entityType} entity type in the client quota entity`);
    entity[part] = p.entityName;
  }
  if (entity.ip !== undefined) {
    if (entity.user !== undefined || entity.clientId !== undefined) throw new InvalidQuotaRequestError('Invalid quota entity combination, IP entity should not be combined with User or ClientId entity.');
    if (entity.ip !== null && isIP(entity.ip) === 0) throw new InvalidQuotaRequestError(`${entity.ip} is not a valid IP or resolvable host.`);
  }
  return entity;
}

/** The changes of one AlterClientQuotas entry (value null: remove), checked against the entity's kind. */
export function opsOf(entity: QuotaEntity, ops: ReadonlyArray<{ key: string; value: number; remove: boolean }>): Map<string, number | null> {
  const keys = entity.ip !== undefined ? IP_KEYS : CLIENT_KEYS;
  const out = new Map<string, number | null>();
  for (const op of ops) {
    const spec = keys.get(op.key);
    if (spec === undefined) throw new InvalidQuotaRequestError(`Invalid configuration key ${op.key}`);
    if (out.has(op.key)) throw new InvalidQuotaRequestError(`Duplicate quota key ${op.key} in one entry`);
    if (op.remove) {
      out.set(op.key, null);
      continue;
    }
    if (!Number.isFinite(op.value) || op.value <= 0) throw new InvalidQuotaRequestError(`Invalid value ${op.value} for configuration key ${op.key}: a quota must be a positive number`);
    if (spec.whole && !Number.isInteger(op.value)) throw new InvalidQuotaRequestError(`Configuration ${op.key} must be a Long value`);
    out.set(op.key, op.value);
  }
  return out;
}
