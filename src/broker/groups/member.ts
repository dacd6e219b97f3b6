/**
 * One member of a classic group (Kafka's MemberMetadata): who it is, what it supports, what
 * it was assigned, and the JoinGroup / SyncGroup answers it is waiting for. A member "awaits
 * join" while its JoinGroup is parked until the rebalance completes, and "awaits sync" while
 * its SyncGroup is parked until the leader's assignment is stored.
 */
export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  memberId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string;
  /** KIP-814 (JoinGroup v9): the leader is told not to compute an assignment. */
  skipAssignment: boolean;
  /** Every member with its metadata for the chosen protocol; the leader only. */
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_BYTES = Buffer.alloc(0);

export function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, memberId, generationId: -1, protocolType: null, protocolName: null, leaderId: '', skipAssignment: false, members: [] };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export class Member {
  assignment: Buffer = EMPTY_BYTES;
  joinCallback: ((r: JoinResult) => void) | null = null;
  syncCallback: ((r: SyncResult) => void) | null = null;
  /** Joined in the rebalance now under way (its heartbeat deadline is the new-member timeout). */
  isNew = false;
  /** The heartbeat expiry timer; reset by every heartbeat. */
  heartbeatTimer: NodeJS.Timeout | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.joinCallback !== null;
  }

  get isAwaitingSync(): boolean {
    return this.syncCallback !== null;
  }

  /** This member's metadata for `protocol` (empty if it does not support it). */
  metadata(protocol: string): Buffer {
    for (const p of this.protocols) if (p.name === protocol) return p.metadata;
    return EMPTY_BYTES;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    for (let i = 0; i < protocols.length; i++) {
      const a = protocols[i]!;
      const b = this.protocols[i]!;
      if (a.name !== b.name || !a.metadata.equals(b.metadata)) return false;
    }
    return true;
  }

  /** The first of `candidates` in this member's order of preference (its vote). */
  vote(candidates: ReadonlySet<string>): string | undefined {
    for (const p of this.protocols) if (candidates.has(p.name)) return p.name;
    return undefined;
  }
}
