/** Settings of a cluster member, with Kafka's names and defaults where Kafka has the setting. */
import { InvalidArgumentError } from '../errors.js';
import type { Listener } from './types.js';

export interface ClusterConfig {
  /** etcd endpoints, `host:port` (the part after `etcd://` in `--cluster`). */
  endpoints: string[];
  /** Names the key prefix `/strand/<clusterId>/`; brokers of one cluster share it. */
  clusterId: string;
  /** `node.id` */
  nodeId: number;
  /** `broker.rack`, null when unset. */
  rack?: string | null;
  /** `advertised.listeners` */
  listeners: Listener[];
  /** `broker.session.timeout.ms`, Kafka's default 9000. */
  sessionTimeoutMs?: number;
  /** `unclean.leader.election.enable`, Kafka's default false (the broker-wide default; a topic's config overrides it). */
  uncleanLeaderElection?: boolean;
  /** Whether this member may become the controller (every broker is a candidate by default). */
  controllerCandidate?: boolean;
}

export const DEFAULT_SESSION_TIMEOUT_MS = 9000;

/**
 * etcd leases have whole-second TTLs (and at least 1 s, etcd raises shorter ones to its own
 * minimum of about 1.5 x the election timeout), so `broker.session.timeout.ms` is rounded up to
 * the next second: 9000 ms is 9 s, 2500 ms becomes 3 s.
 */
export function leaseTtlSeconds(sessionTimeoutMs: number): number {
  return Math.max(1, Math.ceil(sessionTimeoutMs / 1000));
}

/** Parses `etcd://HOST:PORT[,HOST:PORT]` into endpoints. */
export function parseClusterUrl(url: string): string[] {
  const m = /^etcd:\/\/(.+)$/.exec(url);
  const hosts = m ? m[1]!.split(',').map((h) => h.trim()).filter(Boolean) : [];
  if (hosts.length === 0 || hosts.some((h) => !/^[^:/\s]+:\d+$/.test(h))) {
    throw new InvalidArgumentError(`--cluster ${url}: expected etcd://HOST:PORT[,HOST:PORT]`);
  }
  return hosts;
}

export function validateConfig(config: ClusterConfig): void {
  if (!Number.isInteger(config.nodeId) || config.nodeId < 0) throw new InvalidArgumentError(`node.id ${config.nodeId} must be a non-negative integer`);
  if (config.endpoints.length === 0) throw new InvalidArgumentError('the cluster needs at least one etcd endpoint');
  if (!/^[A-Za-z0-9._-]+$/.test(config.clusterId)) throw new InvalidArgumentError(`cluster id ${config.clusterId} may only contain [A-Za-z0-9._-]`);
  const timeout = config.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new InvalidArgumentError(`broker.session.timeout.ms ${timeout} must be positive`);
}
