/**
 * The group coordinator's settings, under Kafka's broker config names and with Kafka's
 * defaults. `group.initial.rebalance.delay.ms` and `offsets.topic.num.partitions` are declared
 * in the broker's config table; the others are read here from the same BrokerConfig (which
 * keeps keys it does not declare), validated with a message naming the key.
 */
import type { BrokerConfig } from '../config.js';
import { ConfigError } from '../config.js';

export interface GroupConfig {
  /** group.min.session.timeout.ms (6000): JoinGroup below it gets INVALID_SESSION_TIMEOUT. */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms (1800000). */
  maxSessionTimeoutMs: number;
  /** group.max.size (Integer.MAX_VALUE): members beyond it get GROUP_MAX_SIZE_REACHED. */
  maxSize: number;
  /** group.initial.rebalance.delay.ms (3000): how long a new group waits for more members. */
  initialRebalanceDelayMs: number;
  /** offsets.topic.num.partitions (50). */
  offsetsTopicPartitions: number;
  /** offsets.topic.segment.bytes (104857600). */
  offsetsTopicSegmentBytes: number;
  /** offsets.retention.minutes (10080, 7 days), in ms. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms (600000). */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes (4096): longer commit metadata gets OFFSET_METADATA_TOO_LARGE. */
  offsetMetadataMaxBytes: number;
  /** group.consumer.heartbeat.interval.ms (5000): what ConsumerGroupHeartbeat tells members (KIP-848). */
  consumerHeartbeatIntervalMs: number;
  /** group.consumer.session.timeout.ms (45000): a consumer-protocol member silent this long is fenced. */
  consumerSessionTimeoutMs: number;
  /** group.consumer.max.size (Integer.MAX_VALUE): members beyond it get GROUP_MAX_SIZE_REACHED. */
  consumerMaxSize: number;
  /** group.consumer.assignors ("uniform,range"): the server-side assignors; the first is the default. */
  consumerAssignors: string[];
  /** group.consumer.migration.policy (bidirectional): may a non-empty classic group become a consumer group (upgrade), and back (downgrade). */
  consumerMigration: { upgrade: boolean; downgrade: boolean };
}

/** Kafka's ConsumerGroupMigrationPolicy, read case-insensitively as Kafka does. */
function readMigrationPolicy(config: BrokerConfig): GroupConfig['consumerMigration'] {
  const raw = (config.raw('group.consumer.migration.policy') ?? 'bidirectional').trim().toLowerCase();
  const policies: Record<string, GroupConfig['consumerMigration']> = {
    disabled: { upgrade: false, downgrade: false },
    upgrade: { upgrade: true, downgrade: false },
    downgrade: { upgrade: false, downgrade: true },
    bidirectional: { upgrade: true, downgrade: true },
  };
  const policy = policies[raw];
  if (policy === undefined) throw new ConfigError(`group.consumer.migration.policy=${JSON.stringify(raw)} is invalid: expected one of ${Object.keys(policies).join(', ')}`);
  return policy;
}

/** The server-side assignors Kafka ships (org.apache.kafka.coordinator.group.assignor). */
export const CONSUMER_ASSIGNORS: readonly string[] = ['uniform', 'range'];

function readAssignors(config: BrokerConfig): string[] {
  const raw = config.raw('group.consumer.assignors');
  if (raw === undefined) return [...CONSUMER_ASSIGNORS];
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  // Kafka also takes class names; strand knows its two assignors by name and by Kafka's class names.
  const out = names.map((n) => n.replace(/^org\.apache\.kafka\.coordinator\.group\.assignor\.(Uniform|Range)Assignor$/, (_m, k: string) => k.toLowerCase()));
  const unknown = out.filter((n) => !CONSUMER_ASSIGNORS.includes(n));
  if (out.length === 0 || unknown.length > 0) throw new ConfigError(`group.consumer.assignors=${JSON.stringify(raw)} is invalid: expected a list of ${CONSUMER_ASSIGNORS.join(', ')}`);
  return out;
}

/** Kafka's NewMemberJoinTimeoutMs: a new member's JoinGroup waits at most this long. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

function readInt(config: BrokerConfig, key: string, fallback: number, min: number, max = 2 ** 31 - 1): number {
  const raw = config.raw(key);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${key}=${JSON.stringify(raw)} is invalid: expected an integer`);
  const n = Number(raw.trim());
  if (n < min || n > max) throw new ConfigError(`${key}=${raw} is invalid: must be in [${min}, ${max}]`);
  return n;
}

export function groupConfig(config: BrokerConfig): GroupConfig {
  const c: GroupConfig = {
    minSessionTimeoutMs: readInt(config, 'group.min.session.timeout.ms', 6000, 0),
    maxSessionTimeoutMs: readInt(config, 'group.max.session.timeout.ms', 1_800_000, 0),
    maxSize: readInt(config, 'group.max.size', 2 ** 31 - 1, 1),
    initialRebalanceDelayMs: readInt(config, 'group.initial.rebalance.delay.ms', 3000, 0),
    offsetsTopicPartitions: readInt(config, 'offsets.topic.num.partitions', 50, 1),
    offsetsTopicSegmentBytes: readInt(config, 'offsets.topic.segment.bytes', 104_857_600, 1024),
    offsetsRetentionMs: readInt(config, 'offsets.retention.minutes', 10_080, 1) * 60_000,
    offsetsRetentionCheckIntervalMs: readInt(config, 'offsets.retention.check.interval.ms', 600_000, 1, Number.MAX_SAFE_INTEGER),
    offsetMetadataMaxBytes: readInt(config, 'offset.metadata.max.bytes', 4096, 0),
    consumerHeartbeatIntervalMs: readInt(config, 'group.consumer.heartbeat.interval.ms', 5000, 1),
    consumerSessionTimeoutMs: readInt(config, 'group.consumer.session.timeout.ms', 45_000, 1),
    consumerMaxSize: readInt(config, 'group.consumer.max.size', 2 ** 31 - 1, 1),
    consumerAssignors: readAssignors(config),
    consumerMigration: readMigrationPolicy(config),
  };
  if (c.consumerHeartbeatIntervalMs >= c.consumerSessionTimeoutMs) {
    // Kafka's GroupCoordinatorConfig requires the interval to be below the session timeout.
    throw new ConfigError(`group.consumer.heartbeat.interval.ms=${c.consumerHeartbeatIntervalMs} must be below group.consumer.session.timeout.ms=${c.consumerSessionTimeoutMs}`);
  }
  if (c.minSessionTimeoutMs > c.maxSessionTimeoutMs) {
    throw new ConfigError(`group.min.session.timeout.ms=${c.minSessionTimeoutMs} is above group.max.session.timeout.ms=${c.maxSessionTimeoutMs}`);
  }
  return c;
}
