/**
 * DescribeCluster (60), v0-1: this node is the whole cluster and its controller. Asking a
 * broker for the controllers' endpoints (endpoint type 2) gets UNSUPPORTED_ENDPOINT_TYPE, as
 * from Kafka's brokers.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../../../protocol/messages/describe-cluster.js';
import type { Handler } from '../../context.js';

const BROKERS = 1;
const CONTROLLERS = 2;
/** With no authorizer, every operation on the cluster: CREATE(5) ALTER(7) DESCRIBE(8) CLUSTER_ACTION(9) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11) IDEMPOTENT_WRITE(12) CREATE_TOKENS(13) DESCRIBE_TOKENS(14). */
export const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12, 13, 14].reduce((bits, op) => bits | (1 << op), 0);
const NOT_REQUESTED = -2147483648;

export const handleDescribeCluster: Handler<DescribeClusterRequest, DescribeClusterResponse> = (req, ctx) => {
  const b = ctx.broker;
  const base: DescribeClusterResponse = {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType: req.endpointType,
    clusterId: b.clusterId,
    controllerId: b.nodeId,
    brokers: [{ brokerId: b.nodeId, host: b.advertisedHost, port: b.advertisedPort, rack: null }],
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : NOT_REQUESTED,
  };
  if (req.endpointType === BROKERS) return base;
  const message = req.endpointType === CONTROLLERS
    ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER'
    : `Unknown endpoint type ${req.endpointType}: expected 1 (brokers)`;
  return { ...base, errorCode: req.endpointType === CONTROLLERS ? ErrorCode.UNSUPPORTED_ENDPOINT_TYPE : ErrorCode.INVALID_REQUEST, errorMessage: message, controllerId: -1, brokers: [] };
};
