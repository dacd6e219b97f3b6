/**
 * What the admin handlers share: the topic manager behind `ctx.broker.topics`, and turning a
 * thrown error into the per-item error code and message a response carries (handlers never
 * throw for one bad topic, partition or resource).
 */
import { StrandError } from '../../../errors.js';
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { RequestContext } from '../../context.js';
import type { AdminTopics } from '../../topics.js';

/** DescribeConfigs / AlterConfigs resource types (org.apache.kafka.common.config.ConfigResource.Type). */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16, GROUP: 32 } as const;

export interface ItemError {
  errorCode: number;
  errorMessage: string | null;
}

export const NO_ERROR: Readonly<ItemError> = Object.freeze({ errorCode: ErrorCode.NONE, errorMessage: null });

export function itemError(errorCode: number, errorMessage: string): ItemError {
  return { errorCode, errorMessage };
}

/** The error code and message for a failure; unexpected ones are logged and become UNKNOWN_SERVER_ERROR. */
export function errorOf(err: unknown, ctx: RequestContext, what: string): ItemError {
  if (err instanceof StrandError) return { errorCode: err.kafkaCode, errorMessage: err.message };
  ctx.broker.logger.error({ err, api: ctx.apiKey, what, client: ctx.clientId, remote: ctx.remote }, `unexpected failure in admin request (${what})`);
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `unexpected server error: ${(err as Error)?.message ?? String(err)}` };
}

/** `ctx.broker.topics` with the admin operations (a TopicManager). */
export function adminTopics(ctx: RequestContext): AdminTopics {
  const t = ctx.broker.topics as Partial<AdminTopics>;
  if (typeof t.addPartitions !== 'function' || typeof t.alterConfigs !== 'function' || typeof t.logConfig !== 'function') {
    throw new StrandError('the broker\'s topics do not support admin operations', 'ERR_STRAND_INTERNAL');
  }
  return t as AdminTopics;
}

/** Names that occur more than once in `names`. */
export function duplicates(names: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const n of names) (seen.has(n) ? dup : seen).add(n);
  return dup;
}
