/** Multi-broker mode: membership, controller election and partition state through etcd. */
export { assignReplicas, rackAlternatedBrokers, topicStartIndex } from './assignment.js';
export { type ClusterConfig, DEFAULT_SESSION_TIMEOUT_MS, leaseTtlSeconds, parseClusterUrl } from './config.js';
export { ControllerTerm } from './election.js';
export * from './errors.js';
export { ClusterKeys } from './keys.js';
export { ClusterMember } from './member.js';
export { initialPartitionState, reconcilePartition } from './partition-change.js';
export * from './types.js';
