/**
 * The authorized-operations bit fields of Metadata, DescribeCluster and DescribeGroups (KIP-430).
 * strand has no authorizer, so, as Kafka without one, every principal may perform every
 * operation that applies to the resource: Kafka 3.9's AclEntry.supportedOperations(resourceType)
 * turned into a bit field by Utils.to32BitField (bit n set for AclOperation code n).
 */

/** org.apache.kafka.common.acl.AclOperation codes. */
export const AclOperation = {
  READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9, DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12,
} as const;

const bits = (ops: readonly number[]): number => ops.reduce((field, op) => field | (1 << op), 0);
const A = AclOperation;

/** READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS: 3576. */
export const TOPIC_OPERATIONS = bits([A.READ, A.WRITE, A.CREATE, A.DELETE, A.ALTER, A.DESCRIBE, A.DESCRIBE_CONFIGS, A.ALTER_CONFIGS]);

/**
 * READ DESCRIBE DELETE: 328. (Kafka 4.0 adds DESCRIBE_CONFIGS and ALTER_CONFIGS with its group
 * configs; 3.9 and strand have none.)
 */
export const GROUP_OPERATIONS = bits([A.READ, A.DESCRIBE, A.DELETE]);

/** CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE: 8096 (the token operations belong to USER resources). */
export const CLUSTER_OPERATIONS = bits([A.CREATE, A.ALTER, A.DESCRIBE, A.CLUSTER_ACTION, A.DESCRIBE_CONFIGS, A.ALTER_CONFIGS, A.IDEMPOTENT_WRITE]);

/** The schemas' default, Integer.MIN_VALUE: "not asked for". */
export const OPERATIONS_NOT_REQUESTED = -2147483648;
