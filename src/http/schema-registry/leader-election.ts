/**
 * One registry leader per cluster, elected as Confluent Schema Registry elects it: every broker's
 * registry joins the Kafka group `schema-registry` with protocol type `sr` and its identity
 * (`{"version":1,"host","port","scheme","master_eligibility":true}`) as metadata; the group's
 * leader names one member the registry leader in an assignment every member receives
 * (`{"version":1,"error":0,"master":memberId,"master_identity":{...}}`). Only that member
 * assigns ids and writes `_schemas`; the others forward writes to its URL.
 *
 * Why the group and not the leader of `_schemas` partition 0: the assignment carries the leader's
 * HTTP address, which brokers do not otherwise publish, and the group coordinator already decides
 * membership with sessions, so a dead leader is replaced after its session timeout, as in
 * Confluent. The group leader keeps the current registry leader while it is still a member
 * (fewer moves than Confluent's smallest-member-id choice), else picks the smallest member id.
 *
 * Between a rebalance's start and its new assignment no leader is known: writes wait for one
 * (up to `waitMs`), then fail with 50004 as Confluent's UnknownLeaderException.
 */
import type { ClientCore } from '../../client/core.js';
import { unknownLeader } from './errors.js';
import { GroupMember, type JoinedMember } from './group-member.js';

/** Confluent's `schema.registry.group.id` default. */
export const REGISTRY_GROUP = 'schema-registry';
const PROTOCOL_TYPE = 'sr';
const PROTOCOL = 'v0';

interface Identity {
  version: 1;
  host: string;
  port: number;
  scheme: string;
  master_eligibility: boolean;
}

interface Assignment {
  version: 1;
  error: number;
  master: string | null;
  master_identity: Identity | null;
}

/** Who writes: this registry, or the leader at `url`. */
export interface Leadership {
  /** True when this registry is the leader (a single broker always is). */
  isLeader(): boolean;
  /** The leader's base URL, waiting for an election in progress; 50004 when none is known in time. */
  leaderUrl(): Promise<string>;
  close(): Promise<void>;
}

/** A registry alone (a single broker): always the leader. */
export const SOLE_LEADER: Leadership = {
  isLeader: () => true,
  leaderUrl: () => Promise.reject(unknownLeader()),
  close: async () => undefined,
};

export interface ElectionOptions {
  client: ClientCore;
  /** This registry's base URL (`http://host:port`) as the others reach it. */
  url: string;
  groupId?: string;
  /** How long a write waits for a leader to be known. Default 10000. */
  waitMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  warn?: (msg: string, err?: unknown) => void;
}

export class RegistryElection implements Leadership {
  private readonly member: GroupMember;
  private readonly identity: Identity;
  private leader: { memberId: string; url: string } | null = null;
  private lastLeaderId: string | null = null;
  private waiters: Array<() => void> = [];

  constructor(private readonly o: ElectionOptions) {
    const u = new URL(o.url);
    this.identity = { version: 1, host: u.hostname, port: Number(u.port), scheme: u.protocol.replace(':', ''), master_eligibility: true };
    this.member = new GroupMember({
      client: o.client,
      groupId: o.groupId ?? REGISTRY_GROUP,
      protocolType: PROTOCOL_TYPE,
      protocols: () => [{ name: PROTOCOL, metadata: Buffer.from(JSON.stringify(this.identity)) }],
      sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: o.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 1000,
      assign: (_protocol, members) => this.assign(members),
      onAssigned: (bytes, generation) => this.assigned(bytes, generation.memberId),
      onRevoked: () => {
        this.leader = null;
      },
      warn: o.warn,
    });
    this.member.start();
  }

  isLeader(): boolean {
    return this.leader !== null && this.leader.memberId === this.member.generation?.memberId;
  }

  async leaderUrl(): Promise<string> {
    const deadline = Date.now() + (this.o.waitMs ?? 10_000);
    while (this.leader === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw unknownLeader();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.leader.url;
  }

  async close(): Promise<void> {
    await this.member.stop();
  }

  private assign(members: readonly JoinedMember[]): Map<string, Buffer> {
    const eligible = members
      .map((m) => ({ memberId: m.memberId, identity: parseJson<Identity>(m.metadata) }))
      .filter((m): m is { memberId: string; identity: Identity } => m.identity !== null && m.identity.master_eligibility)
      .sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const chosen = eligible.find((m) => m.memberId === this.lastLeaderId) ?? eligible[0] ?? null;
    const assignment: Assignment = { version: 1, error: 0, master: chosen?.memberId ?? null, master_identity: chosen?.identity ?? null };
    const bytes = Buffer.from(JSON.stringify(assignment));
    return new Map(members.map((m) => [m.memberId, bytes]));
  }

  private assigned(bytes: Buffer, _self: string): void {
    const a = parseJson<Assignment>(bytes);
    if (a === null || a.master === null || a.master_identity === null) {
      this.leader = null;
      return;
    }
    const id = a.master_identity;
    this.lastLeaderId = a.master;
    this.leader = { memberId: a.master, url: `${id.scheme}://${id.host.includes(':') ? `[${id.host}]` : id.host}:${id.port}` };
    for (const wake of this.waiters.splice(0)) wake();
  }
}

function parseJson<T>(bytes: Buffer): T | null {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return null;
  }
}
