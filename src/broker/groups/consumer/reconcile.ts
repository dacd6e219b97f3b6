/**
 * Moves a member one step from its current assignment towards the target, as Kafka's
 * CurrentAssignmentBuilder (org.apache.kafka.coordinator.group.modern.consumer) does:
 *
 * - STABLE: when the target epoch moved on, compute the next assignment.
 * - UNREVOKED_PARTITIONS: wait until the member no longer reports any partition pending
 *   revocation among the partitions it owns (a heartbeat without owned partitions proves
 *   nothing), then compute the next assignment.
 * - UNRELEASED_PARTITIONS: compute again; partitions still owned by another member stay out.
 *
 * computeNextAssignment: assigned' = current ∩ target; revoking = current − assigned';
 * pending = target − assigned' minus partitions another member still owns (unreleased).
 * With something to revoke the member keeps its epoch and must revoke first; otherwise it
 * moves to the target epoch with assigned' + pending, UNRELEASED_PARTITIONS while some of its
 * target is not free yet. So a partition is never owned by two members at once.
 */
import { type Assignment, addPartition, cloneAssignment, emptyAssignment } from './assignment.js';
import { type ConsumerGroup, type ConsumerMember, MemberState } from './group.js';

export interface NextAssignment {
  state: MemberState;
  memberEpoch: number;
  assigned: Assignment;
  pendingRevocation: Assignment;
}

/** The member's next step, or null when nothing changes. `owned` is the heartbeat's owned partitions (null if not sent). */
export function reconcile(group: ConsumerGroup, member: ConsumerMember, targetEpoch: number, target: Assignment, owned: Assignment | null): NextAssignment | null {
  switch (member.state) {
    case MemberState.Stable:
      if (member.memberEpoch !== targetEpoch) return next(group, member, member.memberEpoch, targetEpoch, target);
      return null;
    case MemberState.UnrevokedPartitions:
      if (ownsRevokedPartitions(member.pendingRevocation, owned)) return null;
      return next(group, member, member.memberEpoch, targetEpoch, target);
    case MemberState.UnreleasedPartitions:
      return next(group, member, member.memberEpoch, targetEpoch, target);
  }
}

function ownsRevokedPartitions(pending: Assignment, owned: Assignment | null): boolean {
  if (owned === null) return true;
  for (const [topicId, ps] of owned) {
    const revoking = pending.get(topicId);
    if (revoking === undefined) continue;
    for (const p of ps) if (revoking.has(p)) return true;
  }
  return false;
}

function next(group: ConsumerGroup, member: ConsumerMember, memberEpoch: number, targetEpoch: number, target: Assignment): NextAssignment {
  let hasUnreleased = false;
  const assigned: Assignment = emptyAssignment();
  const revoking: Assignment = emptyAssignment();
  const pending: Assignment = emptyAssignment();
  const topics = new Set([...target.keys(), ...member.assigned.keys()]);
  for (const topicId of topics) {
    const want = target.get(topicId) ?? new Set<number>();
    const have = member.assigned.get(topicId) ?? new Set<number>();
    for (const p of have) {
      if (want.has(p)) addPartition(assigned, topicId, p);
      else addPartition(revoking, topicId, p);
    }
    for (const p of want) {
      if (have.has(p)) continue;
      if (group.currentPartitionEpoch(topicId, p) !== -1 && !member.pendingRevocation.get(topicId)?.has(p)) hasUnreleased = true;
      else addPartition(pending, topicId, p);
    }
  }
  if (revoking.size > 0) return { state: MemberState.UnrevokedPartitions, memberEpoch, assigned, pendingRevocation: revoking };
  const all = cloneAssignment(assigned);
  for (const [t, ps] of pending) for (const p of ps) addPartition(all, t, p);
  return { state: hasUnreleased ? MemberState.UnreleasedPartitions : MemberState.Stable, memberEpoch: targetEpoch, assigned: all, pendingRevocation: emptyAssignment() };
}
