// One consumer group's membership as the coordinator sees it (classic group
// protocol): members with their protocols and session deadlines, the current
// generation, and the rebalance in progress if any.
//
// States, as Kafka names them:
//   Empty ──join──▶ PreparingRebalance ──all rejoined / timeout──▶ CompletingRebalance
//   CompletingRebalance ──leader's SyncGroup──▶ Stable
//   Stable / CompletingRebalance ──join, leave, expiry──▶ PreparingRebalance
//   PreparingRebalance ──nobody left at completion──▶ Empty
// "Dead" is only reported for groups the coordinator does not know.

import type { JoinGroupResponse, SyncGroupResponse } from './group-coordinator.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  assignment: Buffer;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  joinWaiter: ((r: JoinGroupResponse) => void) | null;
  /** Set while a follower's SyncGroup waits for the leader's assignments. */
  syncWaiter: ((r: SyncGroupResponse) => void) | null;
  /** clock() time after which the member is evicted unless it is waiting in a join or sync. */
  sessionDeadline: number;
}

export interface Rebalance {
  /** The join completes at this time at the latest; members that did not rejoin are removed. */
  deadline: number;
  /** The join completes no earlier than this (group.initial.rebalance.delay.ms for a group that was empty). */
  notBefore: number;
  /** Started from an empty group: completes when the delay passes, without waiting for pending members. */
  initial: boolean;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** In join order: the first member leads when the leader is gone. */
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet rejoined: id → clock() deadline. */
  readonly pendingMembers = new Map<string, number>();
  rebalance: Rebalance | null = null;

  constructor(readonly groupId: string) {}

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (this.leaderId === null) this.leaderId = member.memberId;
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** Gives a static member a new id in place (same join order, same leadership). */
  renameMember(oldId: string, newId: string): Member | undefined {
    const member = this.members.get(oldId);
    if (!member) return undefined;
    const entries = [...this.members];
    this.members.clear();
    for (const [id, m] of entries) {
      if (id === oldId) m.memberId = newId;
      this.members.set(m.memberId, m);
    }
    if (this.leaderId === oldId) this.leaderId = newId;
    return member;
  }

  memberByInstanceId(groupInstanceId: string): Member | undefined {
    for (const m of this.members.values()) if (m.groupInstanceId === groupInstanceId) return m;
    return undefined;
  }

  /** A static member id that is no longer the one registered for its instance id (KIP-345). */
  isFencedStaticMember(memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = this.memberByInstanceId(groupInstanceId);
    return current !== undefined && current.memberId !== memberId;
  }

  largestRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  allMembersRejoined(): boolean {
    for (const m of this.members.values()) if (!m.joinWaiter) return false;
    return true;
  }

  /**
   * Whether a (re)joining member's protocols fit the group: any type and at least
   * one protocol for an empty group, else the same type and at least one protocol
   * every other member also supports.
   */
  supportsProtocols(protocolType: string, protocols: GroupProtocol[], joiningMemberId: string): boolean {
    const others = [...this.members.values()].filter((m) => m.memberId !== joiningMemberId);
    if (others.length === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  /**
   * The protocol for the next generation: among those every member supports, each
   * member votes for the first it lists; ties go to the one listed first by the leader.
   */
  selectProtocol(): string | null {
    const members = [...this.members.values()];
    if (members.length === 0) return null;
    const candidates = members[0].protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((q) => q.name === name)));
    const leader = (this.leaderId !== null ? this.members.get(this.leaderId) : undefined) ?? members[0];
    const order = leader.protocols.map((p) => p.name).filter((name) => candidates.includes(name));
    const votes = new Map<string, number>(order.map((name) => [name, 0]));
    for (const m of members) {
      const choice = m.protocols.find((p) => votes.has(p.name));
      if (choice) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const [name, count] of votes) if (best === null || count > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  /** The member's metadata for the group's chosen protocol (empty if none). */
  metadataFor(member: Member): Buffer {
    return member.protocols.find((p) => p.name === this.protocolName)?.metadata ?? Buffer.alloc(0);
  }
}

export function sameProtocols(a: GroupProtocol[], b: GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.metadata.equals(b[i].metadata));
}
