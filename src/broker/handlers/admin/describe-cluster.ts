/**
 * DescribeCluster (60), v0-1: the live brokers and the controller (a single broker is both). Asking a
 * broker for the controllers' endpoints (endpoint type 2) gets UNSUPPORTED_ENDPOINT_TYPE, as
 * from Kafka's brokers.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../../protocol/messages/describe-cluster.js';
import { CLUSTER_OPERATIONS, OPERATIONS_NOT_REQUESTED } from '../../authorized-operations.js';
import type { Handler } from '../../context.js';

const BROKERS = 1;
const CONTROLLERS = 2;

export const handleDescribeCluster: Handler<DescribeClusterRequest, DescribeClusterResponse> = (req, ctx) => {
  const b = ctx.broker;
  const base: DescribeClusterResponse = {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType: req.endpointType,
    clusterId: b.clusterId,
    controllerId: b.replication.controllerId(),
    brokers: b.replication.clustered
      ? b.replication.brokers(ctx.listenerName).map((e) => ({ brokerId: e.nodeId, host: e.host, port: e.port, rack: e.rack }))
      : [{ brokerId: b.nodeId, host: ctx.endpoint.host, port: ctx.endpoint.port, rack: null }],
    // Without an authorizer, every operation on the cluster (authorized-operations.ts).
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : OPERATIONS_NOT_REQUESTED,
  };
  if (req.endpointType === BROKERS) return base;
  const message = req.endpointType === CONTROLLERS
    ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
    : `Unknown endpoint type ${req.endpointType}: expected 1 (brokers)`;
  // Kafka answers a wrong endpoint type before looking at the operations: they stay at the default.
  return {
    ...base, errorCode: req.endpointType === CONTROLLERS ? ErrorCode.UNSUPPORTED_ENDPOINT_TYPE : ErrorCode.INVALID_REQUEST, errorMessage: message, controllerId: -1, brokers: [],
    clusterAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
  };
};
