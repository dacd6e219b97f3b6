/**
 * A classic Kafka group member over strand's own client: JoinGroup (with the v4+ member id
 * round trip), SyncGroup (the leader computes every member's assignment), Heartbeat on a timer,
 * and LeaveGroup when stopped, as Kafka's AbstractCoordinator does it. It serves the Schema
 * Registry's leader election (protocol type `sr`, as Confluent's) and the REST Proxy's v2
 * consumer instances (protocol type `consumer`).
 *
 * The member runs by itself once started: after a rebalance is announced (a heartbeat answered
 * REBALANCE_IN_PROGRESS) it calls `onRevoked` and joins again; a lost membership
 * (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, a session that expired) starts over with a new member
 * id; a coordinator that moved is looked up again.
 */
import type { ClientCore } from '../../client/core.js';
import { KafkaResponseError } from '../../client/errors.js';
import { findCoordinator } from '../../client/groups.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { HeartbeatApi, JoinGroupApi, LeaveGroupApi, SyncGroupApi } from '../../protocol/messages/index.js';
import type { JoinGroupRequest } from '../../protocol/messages/join-group.js';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinedMember {
  memberId: string;
  metadata: Buffer;
}

export interface GroupMemberOptions {
  client: ClientCore;
  groupId: string;
  protocolType: string;
  /** In order of preference; the coordinator picks one every member supports. */
  protocols: () => GroupProtocol[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Called on the elected group leader: each member's assignment under `protocol`. */
  assign: (protocol: string, members: readonly JoinedMember[]) => Map<string, Buffer> | Promise<Map<string, Buffer>>;
  /** This member's assignment of a new generation. */
  onAssigned: (assignment: Buffer, generation: Generation) => void | Promise<void>;
  /** The current assignment stops being valid (a rebalance began, the membership was lost, or stop()). */
  onRevoked: () => void | Promise<void>;
  warn?: (msg: string, err?: unknown) => void;
}

export interface Generation {
  generationId: number;
  memberId: string;
  protocol: string;
}

const REJOIN = new Set<number>([ErrorCode.REBALANCE_IN_PROGRESS]);
const RESET = new Set<number>([ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.FENCED_INSTANCE_ID]);
const REFIND = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);

export class GroupMember {
  private memberId = '';
  private coordinator: number | null = null;
  private current: Generation | null = null;
  private stopped = false;
  private running: Promise<void> | null = null;
  /** Set when a rebalance must happen before the next heartbeat (e.g. the subscription changed). */
  private rejoinRequested = false;
  private wake: (() => void) | null = null;

  constructor(private readonly o: GroupMemberOptions) {}

  /** The generation this member holds an assignment of, null between generations. */
  get generation(): Generation | null {
    return this.current;
  }

  /** The coordinator's node id, once found. */
  async coordinatorNode(): Promise<number> {
    this.coordinator ??= await findCoordinator(this.o.client, this.o.groupId);
    return this.coordinator;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Join again at the next chance (the member's protocol metadata changed). */
  rejoin(): void {
    this.rejoinRequested = true;
    this.wake?.();
  }

  /** Leave the group (LeaveGroup, so the others rebalance at once, as a closed Kafka consumer does). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    await this.revoke();
    // Leave before waiting for the loop: a JoinGroup it has in flight is answered once the member is gone.
    if (this.memberId !== '' && this.coordinator !== null) {
      const memberId = this.memberId;
      try {
        const res = await this.o.client.request(LeaveGroupApi, { groupId: this.o.groupId, memberId, members: [{ memberId, groupInstanceId: null, reason: 'the member was closed' }] }, { nodeId: this.coordinator, timeoutMs: 5000 });
        if (res.errorCode !== ErrorCode.NONE) this.o.warn?.(`group ${this.o.groupId}: LeaveGroup answered error ${res.errorCode}`);
      } catch (err) {
        this.o.warn?.(`group ${this.o.groupId}: LeaveGroup failed`, err);
      }
    }
    await this.running?.catch(() => undefined);
    this.current = null;
  }

  private async revoke(): Promise<void> {
    if (this.current === null) return;
    try {
      await this.o.onRevoked();
    } catch (err) {
      this.o.warn?.(`group ${this.o.groupId}: revoking the assignment failed`, err);
    }
    this.current = null;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.current === null || this.rejoinRequested) {
          this.rejoinRequested = false;
          await this.revoke();
          await this.joinAndSync();
        } else {
          await this.pause(this.o.heartbeatIntervalMs);
          if (this.stopped || this.rejoinRequested) continue;
          await this.heartbeat();
        }
        failures = 0;
      } catch (err) {
        if (this.stopped) return;
        const code = err instanceof KafkaResponseError ? err.errorCode : -1;
        if (REJOIN.has(code)) {
          this.rejoinRequested = true;
          continue;
        }
        if (RESET.has(code)) {
          this.memberId = '';
          this.rejoinRequested = true;
          continue;
        }
        if (REFIND.has(code) || code === -1) this.coordinator = null;
        if (code !== -1 && !REFIND.has(code)) this.o.warn?.(`group ${this.o.groupId}: ${(err as Error).message}`);
        // A coordinator that moved or a broker that is down: look again after a growing pause.
        await this.revoke();
        await this.pause(Math.min(100 * 2 ** failures++, 2000));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async joinAndSync(): Promise<void> {
    const nodeId = await this.coordinatorNode();
    const timeoutMs = this.o.rebalanceTimeoutMs + 5000;
    let res = await this.o.client.request(JoinGroupApi, this.joinRequest(), { nodeId, timeoutMs });
    if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      // JoinGroup v4+: the coordinator names the member first, then it joins with that id.
      this.memberId = res.memberId;
      res = await this.o.client.request(JoinGroupApi, this.joinRequest(), { nodeId, timeoutMs });
    }
    KafkaResponseError.check(res.errorCode, { api: 'JoinGroup', resource: `group ${this.o.groupId}` });
    this.memberId = res.memberId;
    const generationId = res.generationId ?? -1;
    const protocol = res.protocolName ?? '';
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (res.leader === res.memberId) {
      const computed = await this.o.assign(protocol, res.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata })));
      assignments = [...computed].map(([memberId, assignment]) => ({ memberId, assignment }));
    }
    const sync = await this.o.client.request(SyncGroupApi, {
      groupId: this.o.groupId, generationId, memberId: this.memberId, groupInstanceId: null, protocolType: this.o.protocolType, protocolName: protocol, assignments,
    }, { nodeId, timeoutMs });
    KafkaResponseError.check(sync.errorCode, { api: 'SyncGroup', resource: `group ${this.o.groupId}` });
    const generation = { generationId, memberId: this.memberId, protocol };
    this.current = generation;
    await this.o.onAssigned(sync.assignment, generation);
  }

  private joinRequest(): JoinGroupRequest {
    return {
      groupId: this.o.groupId,
      sessionTimeoutMs: this.o.sessionTimeoutMs,
      rebalanceTimeoutMs: this.o.rebalanceTimeoutMs,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: this.o.protocolType,
      protocols: this.o.protocols(),
      reason: null,
    };
  }

  private async heartbeat(): Promise<void> {
    const g = this.current!;
    const res = await this.o.client.request(HeartbeatApi, { groupId: this.o.groupId, generationId: g.generationId, memberId: g.memberId, groupInstanceId: null }, { nodeId: await this.coordinatorNode() });
    KafkaResponseError.check(res.errorCode, { api: 'Heartbeat', resource: `group ${this.o.groupId}` });
  }
}
