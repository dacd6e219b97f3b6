/** Shared by the ACL interop tests: their broker, kafkajs clients of SASL/PLAIN users, ACL entries, and the Kafka error name of a failed kafkajs call. */
import { AclOperationTypes as Op, AclPermissionTypes as Perm, AclResourceTypes as Res, type AclEntry, type Admin, Kafka, logLevel, ResourcePatternTypes as Pat } from 'kafkajs';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { PLAIN_JAAS } from '../security/sasl-helpers.js';

/** A kafkajs client of `user` over SASL/PLAIN to `bootstrap`, retrying `retries` times. */
export function saslClient(bootstrap: string, user: string, password: string, retries = 0): Kafka {
  return new Kafka({ clientId: `acl-${user}`, brokers: [bootstrap], sasl: { mechanism: 'plain', username: user, password }, logLevel: logLevel.NOTHING, retry: { retries, initialRetryTime: 20 } });
}

/**
 * A broker with one SASL_PLAINTEXT listener (PLAIN users of PLAIN_JAAS), an authorizer and
 * User:admin as its super user, and admin's connected kafkajs admin client; `config` adds
 * settings or overrides these.
 */
export async function startAclBroker(config: Record<string, string>): Promise<{ broker: RunningBroker; admin: Admin }> {
  const broker = await startBroker({
    config: {
      listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.jaas.config': PLAIN_JAAS,
      'authorizer.class.name': 'strand',
      'super.users': 'User:admin',
      'group.initial.rebalance.delay.ms': '0',
      ...config,
    },
  });
  const admin = saslClient(broker.listeners[0]!.bootstrap, 'admin', 'admin-secret').admin();
  try {
    await admin.connect();
  } catch (err) {
    await broker.stop();
    throw err;
  }
  return { broker, admin };
}

/** An ALLOW entry for User:alice on a literal resource, from any host. */
export function allowAlice(resourceType: Res, resourceName: string, operation: Op, more: Partial<AclEntry> = {}): AclEntry {
  return { resourceType, resourceName, resourcePatternType: Pat.LITERAL, principal: 'User:alice', host: '*', operation, permissionType: Perm.ALLOW, ...more };
}

/** kafkajs's messages of the authorization errors (its producer rethrows them without their type). */
const KAFKAJS_MESSAGES: Record<string, string> = {
  'Not authorized to access topics: [Topic authorization failed]': 'TOPIC_AUTHORIZATION_FAILED',
  'Not authorized to access group: Group authorization failed': 'GROUP_AUTHORIZATION_FAILED',
  'Cluster authorization failed': 'CLUSTER_AUTHORIZATION_FAILED',
  'Transactional Id authorization failed': 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
};

interface KafkaJsError {
  type?: string;
  errors?: KafkaJsError[];
  cause?: KafkaJsError;
  originalError?: KafkaJsError;
  /** KafkaJSDeleteGroupsError: each group with its error. */
  groups?: Array<{ error?: KafkaJsError }>;
  name: string;
  message: string;
}

function nameOf(e: KafkaJsError): string | undefined {
  return e.type ?? KAFKAJS_MESSAGES[e.message] ?? (e.errors?.[0] && nameOf(e.errors[0])) ?? (e.cause && nameOf(e.cause)) ?? (e.originalError && nameOf(e.originalError)) ?? (e.groups?.[0]?.error && nameOf(e.groups[0].error));
}

/** The Kafka error name of a failed kafkajs promise (looking through kafkajs's wrappers), or 'no error'. */
export async function errorType(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as KafkaJsError;
    return nameOf(e) ?? `${e.name}: ${e.message}`;
  }
  return 'no error';
}

/**
 * FindCoordinator through kafkajs's own broker object: kafkajs's consumer and producer report a
 * refused FindCoordinator only as "Failed to find group coordinator", so the code is read here.
 */
export async function findCoordinatorError(kafka: import('kafkajs').Kafka, key: string, coordinatorType: 0 | 1): Promise<string> {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')!;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cluster = (kafka as any)[sym]({ allowAutoTopicCreation: false });
  await cluster.connect();
  try {
    await cluster.refreshMetadata();
    const broker = await cluster.findControllerBroker();
    return await errorType(broker.findGroupCoordinator({ groupId: key, coordinatorType }));
  } finally {
    await cluster.disconnect();
  }
}
