/**
 * What AlterConfigs and IncrementalAlterConfigs check before changing anything: the resource
 * exists and can be changed. Topics can; strand's broker settings are static (server.properties,
 * STRAND_* variables, --override), so a broker resource accepts an empty change set only.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import { checkTopicName } from '../../../storage/store.js';
import type { RequestContext } from '../../context.js';
import { type ItemError, itemError, NO_ERROR, ResourceType } from './common.js';

/** 'topic' when the topic exists, otherwise the answer for this resource (NO_ERROR for a no-op). */
export function checkAlterTarget(resourceType: number, resourceName: string, keys: readonly string[], ctx: RequestContext): 'topic' | ItemError {
  if (resourceType === ResourceType.TOPIC) {
    checkTopicName(resourceName);
    if (ctx.broker.topics.get(resourceName) === undefined) return itemError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resourceName}' does not exist.`);
    return 'topic';
  }
  if (resourceType === ResourceType.BROKER) {
    if (resourceName !== '' && resourceName !== String(ctx.broker.nodeId)) {
      return itemError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.broker.nodeId} or empty string, but received ${resourceName}`);
    }
    if (keys.length === 0) return NO_ERROR;
    return itemError(ErrorCode.INVALID_REQUEST, `Cannot update these configs dynamically: ${keys.join(', ')}. strand's broker settings are static: set them in server.properties, a STRAND_* variable or --override, and restart`);
  }
  return itemError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}: strand alters topic (2) configs`);
}
