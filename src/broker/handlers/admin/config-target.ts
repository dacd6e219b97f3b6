/**
 * What AlterConfigs and IncrementalAlterConfigs check before changing anything: the resource
 * exists and can be changed. Topics can; so can the broker resource, as this broker (its node
 * id) or the cluster-wide default (""), for Kafka's dynamic broker configs (dynamic-config.ts).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import { checkTopicName } from '../../../storage/store.js';
import type { RequestContext } from '../../context.js';
import { type ItemError, itemError, ResourceType } from './common.js';

/** A broker resource: this broker's own dynamic configs, or the cluster-wide default ones. */
export interface BrokerTarget {
  perBroker: boolean;
}

/** 'topic' when the topic exists, a BrokerTarget for this broker or the default, otherwise the answer for this resource. */
export function checkAlterTarget(resourceType: number, resourceName: string, ctx: RequestContext): 'topic' | BrokerTarget | ItemError {
  if (resourceType === ResourceType.TOPIC) {
    checkTopicName(resourceName);
    if (ctx.broker.topics.get(resourceName) === undefined) return itemError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${resourceName}' does not exist.`);
    return 'topic';
  }
  if (resourceType === ResourceType.BROKER) {
    if (resourceName === '') return { perBroker: false };
    // Kafka's ConfigAdminManager.validateResourceNameIsCurrentNodeId.
    if (!/^-?\d+$/.test(resourceName)) return itemError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${resourceName}`);
    if (Number(resourceName) !== ctx.broker.nodeId) return itemError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${ctx.broker.nodeId}, but received ${resourceName}`);
    return { perBroker: true };
  }
  return itemError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}: strand alters topic (2) and broker (4) configs`);
}

export function isItemError(t: 'topic' | BrokerTarget | ItemError): t is ItemError {
  return typeof t === 'object' && 'errorCode' in t;
}
