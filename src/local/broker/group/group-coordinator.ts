// The group coordinator of the embedded broker: this broker coordinates every
// consumer group (classic protocol: JoinGroup / SyncGroup / Heartbeat /
// LeaveGroup) and stores committed offsets. The wire layer decodes requests
// and calls these methods with plain objects; all state changes happen
// synchronously inside a call, so no locking is needed.
//
// Behaviour follows Kafka's GroupCoordinator as kafkajs 2.2.4 and librdkafka
// 2.0.2 expect it (see /work/shared/kafka-protocol.md, "Consumer groups"):
// - JoinGroup v4+ with no member id gets MEMBER_ID_REQUIRED and a new id, kept
//   as pending until the client rejoins with it (or its session timeout passes).
// - A join completes once every member has rejoined (and no pending member is
//   outstanding), or when the largest rebalance timeout passes, dropping the
//   members that did not rejoin. A group that was empty waits
//   initialRebalanceDelayMs first, extended by each newcomer up to the
//   rebalance timeout, so members starting together land in one generation.
// - Members waiting in a join or sync are kept alive; everyone else must
//   heartbeat (or join, sync, commit) within its session timeout.
// - Time comes from `clock`; one unref'd interval timer checks deadlines, so
//   tests can inject a clock and call tick().

import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../logging.js';
import { ErrorCode } from '../protocol/errors.js';
import { Group, sameProtocols, type GroupProtocol, type GroupState, type Member } from './group.js';
import { OffsetStore } from './offset-store.js';

/** A static member whose instance id was taken over by a newer member id (KIP-345); not in the shared table. */
export const FENCED_INSTANCE_ID = 82;
/** Kafka's offset.metadata.max.bytes default. */
export const MAX_OFFSET_METADATA_LENGTH = 4096;
/**
 * Accepted session timeouts. Kafka's broker defaults are 6000..1800000
 * (group.min/max.session.timeout.ms); the lower bound here is 1000 so tests can
 * use short sessions.
 */
export const DEFAULT_MIN_SESSION_TIMEOUT_MS = 1_000;
export const DEFAULT_MAX_SESSION_TIMEOUT_MS = 1_800_000;
const DEFAULT_TICK_INTERVAL_MS = 100;

export interface GroupCoordinatorOptions {
  /** Committed offsets are persisted under dataDir/groups/. */
  dataDir: string;
  /** ms; default Date.now. */
  clock?: () => number;
  /** group.initial.rebalance.delay.ms: how long a join into an empty group waits for more members. */
  initialRebalanceDelayMs: number;
  logger: Logger;
  /** Checks a topic still exists when fetching all of a group's offsets; offsets of missing topics are left out. */
  topicExists?: (topic: string) => boolean;
  /** Default DEFAULT_MIN_SESSION_TIMEOUT_MS. */
  minSessionTimeoutMs?: number;
  /** Default DEFAULT_MAX_SESSION_TIMEOUT_MS. */
  maxSessionTimeoutMs?: number;
  /** How often deadlines are checked; default 100 ms. */
  tickIntervalMs?: number;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none: pass 0 (or the session timeout) and the session timeout is used. */
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: GroupProtocol[];
  /** True for JoinGroup v4+. */
  requireKnownMemberId: boolean;
  clientId: string;
  clientHost: string;
}

export interface JoinGroupResponse {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Only for the leader, else []. */
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResponse {
  errorCode: number;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The next offset to consume. */
  offset: number;
  metadata: string | null;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  protocolData: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }[];
}

export interface LeaveGroupResult {
  /** Top-level error (v3+). For LeaveGroup v0–2, answer members[0].errorCode when this is 0. */
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

const EMPTY = Buffer.alloc(0);

function joinError(errorCode: number, memberId: string): JoinGroupResponse {
  return { errorCode, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly clock: () => number;
  private readonly minSessionTimeoutMs: number;
  private readonly maxSessionTimeoutMs: number;
  private readonly interval: NodeJS.Timeout;
  /** A one-off timer for the next initial-delay expiry, so joins do not wait for the interval. */
  private wake: { at: number; timer: NodeJS.Timeout } | null = null;
  private closed = false;

  private constructor(
    private readonly opts: GroupCoordinatorOptions,
    private readonly offsets: OffsetStore,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.minSessionTimeoutMs = opts.minSessionTimeoutMs ?? DEFAULT_MIN_SESSION_TIMEOUT_MS;
    this.maxSessionTimeoutMs = opts.maxSessionTimeoutMs ?? DEFAULT_MAX_SESSION_TIMEOUT_MS;
    for (const groupId of offsets.groupIds()) this.groups.set(groupId, new Group(groupId));
    this.interval = setInterval(() => this.tick(), opts.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS);
    this.interval.unref();
  }

  /** Loads committed offsets from dataDir/groups/ and starts the deadline timer. */
  static open(opts: GroupCoordinatorOptions): GroupCoordinator {
    return new GroupCoordinator(opts, OffsetStore.open(opts.dataDir, opts.logger));
  }

  // ---- JoinGroup ----------------------------------------------------------

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResponse> {
    const fail = (errorCode: number, memberId = req.memberId) => Promise.resolve(joinError(errorCode, memberId));
    if (this.closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (req.sessionTimeoutMs < this.minSessionTimeoutMs || req.sessionTimeoutMs > this.maxSessionTimeoutMs) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const now = this.clock();
    if (req.memberId === '') return this.joinNewMember(req, now);
    const group = this.groups.get(req.groupId);
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    return this.joinKnownMember(group, req, now);
  }

  private joinNewMember(req: JoinGroupRequest, now: number): Promise<JoinGroupResponse> {
    const group = this.groups.get(req.groupId) ?? new Group(req.groupId);
    if (!group.supportsProtocols(req.protocolType, req.protocols, '')) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ''));
    }
    this.groups.set(group.groupId, group);

    if (req.groupInstanceId !== null) {
      // Static members skip MEMBER_ID_REQUIRED; a known instance id takes over its old member.
      const memberId = `${req.groupInstanceId}-${randomUUID()}`;
      const previous = group.memberByInstanceId(req.groupInstanceId);
      if (!previous) return this.addMemberAndRebalance(group, req, memberId, now);
      this.opts.logger.info('static member replaced', { groupId: group.groupId, groupInstanceId: req.groupInstanceId, oldMemberId: previous.memberId, memberId });
      this.answerWaiters(previous, FENCED_INSTANCE_ID);
      group.renameMember(previous.memberId, memberId);
      return this.joinKnownMember(group, { ...req, memberId }, now);
    }

    const memberId = `${req.clientId}-${randomUUID()}`;
    if (req.requireKnownMemberId) {
      group.pendingMembers.set(memberId, now + req.sessionTimeoutMs);
      return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    }
    return this.addMemberAndRebalance(group, req, memberId, now);
  }

  private joinKnownMember(group: Group, req: JoinGroupRequest, now: number): Promise<JoinGroupResponse> {
    const fail = (errorCode: number) => Promise.resolve(joinError(errorCode, req.memberId));
    if (group.pendingMembers.has(req.memberId)) {
      if (!group.supportsProtocols(req.protocolType, req.protocols, req.memberId)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      group.pendingMembers.delete(req.memberId);
      return this.addMemberAndRebalance(group, req, req.memberId, now);
    }
    if (group.isFencedStaticMember(req.memberId, req.groupInstanceId)) return fail(FENCED_INSTANCE_ID);
    const member = group.members.get(req.memberId);
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (!group.supportsProtocols(req.protocolType, req.protocols, req.memberId)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    const unchanged = sameProtocols(member.protocols, req.protocols);
    switch (group.state) {
      case 'CompletingRebalance':
        // A retried join of the generation just formed: answer it again.
        if (unchanged) return Promise.resolve(this.answerJoin(group, member, now));
        break;
      case 'Stable':
        // Only the leader (it may have seen new topics) or changed protocols force a rebalance.
        if (unchanged && member.memberId !== group.leaderId) return Promise.resolve(this.answerJoin(group, member, now));
        break;
      default:
        break;
    }
    // supportsProtocols() allowed a different type only for a sole member.
    group.protocolType = req.protocolType;
    member.protocolType = req.protocolType;
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = rebalanceTimeoutOf(req);
    const joined = this.awaitJoin(member);
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group, `member ${member.memberId} rejoined`, now);
    this.maybeCompleteJoin(group, now);
    return joined;
  }

  private addMemberAndRebalance(group: Group, req: JoinGroupRequest, memberId: string, now: number): Promise<JoinGroupResponse> {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: rebalanceTimeoutOf(req),
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: EMPTY,
      joinWaiter: null,
      syncWaiter: null,
      sessionDeadline: now + req.sessionTimeoutMs,
    };
    group.add(member);
    const joined = this.awaitJoin(member);
    const rebalance = group.rebalance;
    if (group.state === 'PreparingRebalance' && rebalance) {
      if (rebalance.initial) {
        rebalance.notBefore = Math.min(Math.max(rebalance.notBefore, now + this.opts.initialRebalanceDelayMs), rebalance.deadline);
        this.wakeAt(rebalance.notBefore);
      }
    } else {
      this.prepareRebalance(group, `member ${memberId} joined`, now);
    }
    this.maybeCompleteJoin(group, now);
    return joined;
  }

  private awaitJoin(member: Member): Promise<JoinGroupResponse> {
    return new Promise((resolve) => {
      // A join retried while the first is still parked: the first connection's answer no longer matters.
      member.joinWaiter?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
      member.joinWaiter = resolve;
    });
  }

  private answerJoin(group: Group, member: Member, now: number): JoinGroupResponse {
    member.sessionDeadline = now + member.sessionTimeoutMs;
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolName: group.protocolName ?? '',
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: group.metadataFor(m) }))
        : [],
    };
  }

  private prepareRebalance(group: Group, reason: string, now: number): void {
    if (group.state === 'CompletingRebalance') {
      // Followers parked in SyncGroup will never see this generation's assignments.
      for (const m of group.members.values()) {
        m.assignment = EMPTY;
        this.answerSync(m, ErrorCode.REBALANCE_IN_PROGRESS);
      }
    }
    const initial = group.state === 'Empty';
    const deadline = now + group.largestRebalanceTimeoutMs();
    const notBefore = initial ? Math.min(now + this.opts.initialRebalanceDelayMs, deadline) : now;
    group.rebalance = { deadline, notBefore, initial };
    group.state = 'PreparingRebalance';
    if (initial) this.wakeAt(notBefore);
    this.opts.logger.info('preparing rebalance', { groupId: group.groupId, generationId: group.generationId, reason });
  }

  private maybeCompleteJoin(group: Group, now: number): void {
    const r = group.rebalance;
    if (group.state !== 'PreparingRebalance' || !r) return;
    const ready = now >= r.notBefore && group.allMembersRejoined() && (r.initial || group.pendingMembers.size === 0);
    if (ready || now >= r.deadline) this.completeJoin(group, now);
  }

  private completeJoin(group: Group, now: number): void {
    for (const m of [...group.members.values()]) {
      if (m.joinWaiter) continue;
      group.remove(m.memberId);
      this.answerWaiters(m, ErrorCode.UNKNOWN_MEMBER_ID);
      this.opts.logger.info('member removed: did not rejoin within the rebalance timeout', { groupId: group.groupId, memberId: m.memberId });
    }
    group.rebalance = null;
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.leaderId = null;
      this.opts.logger.info('group is empty', { groupId: group.groupId, generationId: group.generationId });
      return;
    }
    group.protocolName = group.selectProtocol();
    group.state = 'CompletingRebalance';
    this.opts.logger.info('rebalance completed', {
      groupId: group.groupId,
      generationId: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      members: [...group.members.keys()],
    });
    for (const m of group.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = null;
      waiter?.(this.answerJoin(group, m, now));
    }
  }

  // ---- SyncGroup ----------------------------------------------------------

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResponse> {
    const fail = (errorCode: number) => Promise.resolve({ errorCode, assignment: EMPTY });
    if (this.closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(req.groupId);
    if (!group) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (group.isFencedStaticMember(req.memberId, req.groupInstanceId)) return fail(FENCED_INSTANCE_ID);
    const member = group.members.get(req.memberId);
    if (!member) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (req.generationId !== group.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);

    const now = this.clock();
    member.sessionDeadline = now + member.sessionTimeoutMs;
    switch (group.state) {
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      case 'CompletingRebalance': {
        const synced = new Promise<SyncGroupResponse>((resolve) => {
          member.syncWaiter?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
          member.syncWaiter = resolve;
        });
        if (member.memberId === group.leaderId) this.applyAssignments(group, req.assignments, now);
        return synced;
      }
      default:
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  }

  private applyAssignments(group: Group, assignments: SyncGroupRequest['assignments'], now: number): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    group.state = 'Stable';
    for (const m of group.members.values()) {
      m.assignment = byMember.get(m.memberId) ?? EMPTY;
      m.sessionDeadline = now + m.sessionTimeoutMs;
      const waiter = m.syncWaiter;
      m.syncWaiter = null;
      waiter?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
    }
    this.opts.logger.info('group stable', { groupId: group.groupId, generationId: group.generationId });
  }

  // ---- Heartbeat / LeaveGroup ---------------------------------------------

  /** Returns the error code: 0, or 25 / 22 / 27 (rebalance: rejoin) and friends. */
  heartbeat(req: HeartbeatRequest): number {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.isFencedStaticMember(req.memberId, req.groupInstanceId)) return FENCED_INSTANCE_ID;
    const member = group.members.get(req.memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    member.sessionDeadline = this.clock() + member.sessionTimeoutMs;
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /**
   * Removes members (identified by member id, or by instance id for static
   * members) and rebalances the rest. An unknown group is not a top-level error:
   * each member gets UNKNOWN_MEMBER_ID, as Kafka answers.
   */
  leaveGroup(groupId: string, members: { memberId: string; groupInstanceId: string | null }[]): LeaveGroupResult {
    const each = (errorCode: number): LeaveGroupResult => ({ errorCode, members: members.map((m) => ({ ...m, errorCode })) });
    if (this.closed) return each(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (groupId === '') return each(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: members.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    const now = this.clock();
    const results = members.map(({ memberId, groupInstanceId }) => ({ memberId, groupInstanceId, errorCode: this.leaveOne(group, memberId, groupInstanceId, now) }));
    this.maybeCompleteJoin(group, now);
    return { errorCode: ErrorCode.NONE, members: results };
  }

  private leaveOne(group: Group, memberId: string, groupInstanceId: string | null, now: number): number {
    if (groupInstanceId !== null) {
      const member = group.memberByInstanceId(groupInstanceId);
      if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (memberId !== '' && member.memberId !== memberId) return FENCED_INSTANCE_ID;
      this.removeMember(group, member, 'left the group', now);
      return ErrorCode.NONE;
    }
    if (group.pendingMembers.delete(memberId)) return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member, 'left the group', now);
    return ErrorCode.NONE;
  }

  private removeMember(group: Group, member: Member, reason: string, now: number): void {
    group.remove(member.memberId);
    this.answerWaiters(member, ErrorCode.UNKNOWN_MEMBER_ID);
    this.opts.logger.info(`member removed: ${reason}`, { groupId: group.groupId, memberId: member.memberId });
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      this.prepareRebalance(group, `member ${member.memberId} ${reason}`, now);
    }
    this.maybeCompleteJoin(group, now);
  }

  /** Answers a member's parked join and sync, if any (it was removed, replaced, or the coordinator closed). */
  private answerWaiters(member: Member, errorCode: number): void {
    const join = member.joinWaiter;
    member.joinWaiter = null;
    join?.(joinError(errorCode, member.memberId));
    this.answerSync(member, errorCode);
  }

  private answerSync(member: Member, errorCode: number): void {
    const sync = member.syncWaiter;
    member.syncWaiter = null;
    sync?.({ errorCode, assignment: EMPTY });
  }

  // ---- Offsets ------------------------------------------------------------

  /**
   * Stores offsets (the next offset to consume) durably before answering.
   * generationId -1 with an empty member id commits for a group without active
   * members (simple consumers, admin tools). A member's commit during
   * PreparingRebalance is accepted (its generation is still current, as in
   * Kafka); between join and sync it gets REBALANCE_IN_PROGRESS.
   */
  commitOffsets(groupId: string, generationId: number, memberId: string, offsets: CommittedOffset[]): { topic: string; partition: number; errorCode: number }[] {
    const all = (errorCode: number) => offsets.map(({ topic, partition }) => ({ topic, partition, errorCode }));
    if (this.closed) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const existing = this.groups.get(groupId);
    if (!existing && generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
    const group = existing ?? new Group(groupId);
    if (!(generationId < 0 && group.state === 'Empty')) {
      const member = group.members.get(memberId);
      if (!member) return all(ErrorCode.UNKNOWN_MEMBER_ID);
      if (generationId !== group.generationId) return all(ErrorCode.ILLEGAL_GENERATION);
      if (group.state === 'CompletingRebalance') return all(ErrorCode.REBALANCE_IN_PROGRESS);
      member.sessionDeadline = this.clock() + member.sessionTimeoutMs;
    }

    const accepted = offsets.filter((o) => (o.metadata ?? '').length <= MAX_OFFSET_METADATA_LENGTH);
    try {
      this.offsets.commit(
        groupId,
        accepted.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' })),
      );
    } catch (err) {
      this.opts.logger.error('failed to persist committed offsets', { groupId, err });
      return all(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    this.groups.set(groupId, group);
    return offsets.map(({ topic, partition, metadata }) => ({
      topic,
      partition,
      errorCode: (metadata ?? '').length <= MAX_OFFSET_METADATA_LENGTH ? ErrorCode.NONE : ErrorCode.OFFSET_METADATA_TOO_LARGE,
    }));
  }

  /**
   * topics null = every offset committed for the group. A partition without a
   * committed offset (or an unknown group) gets offset -1, metadata '', error 0.
   */
  fetchOffsets(
    groupId: string,
    topics: { topic: string; partitions: number[] }[] | null,
  ): { topic: string; partition: number; offset: number; metadata: string | null; errorCode: number }[] {
    const errorCode = this.closed ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.NONE;
    if (topics === null) {
      if (this.closed) return [];
      const exists = this.opts.topicExists ?? (() => true);
      return this.offsets.list(groupId).filter((e) => exists(e.topic)).map((e) => ({ ...e, errorCode }));
    }
    return topics.flatMap(({ topic, partitions }) =>
      partitions.map((partition) => {
        const stored = this.closed ? undefined : this.offsets.get(groupId, topic, partition);
        return { topic, partition, offset: stored?.offset ?? -1, metadata: stored?.metadata ?? '', errorCode };
      }),
    );
  }

  /** Drops every group's committed offsets for a deleted topic. */
  deleteTopic(topic: string): void {
    if (this.closed) return;
    this.offsets.deleteTopic(topic);
  }

  // ---- Admin --------------------------------------------------------------

  /** Unknown groups are described as Dead with error 0, as Kafka does. Metadata and assignments only for Stable groups. */
  describeGroups(groupIds: string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (!group) return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
      const stable = group.state === 'Stable';
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? (group.protocolName ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? group.metadataFor(m) : EMPTY,
          memberAssignment: stable ? m.assignment : EMPTY,
        })),
      };
    });
  }

  /** Every group with members or committed offsets. */
  listGroups(): { groupId: string; protocolType: string }[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '' }));
  }

  /** Deletes groups without members, with their committed offsets: 68 if it has members, 69 if unknown. */
  deleteGroups(groupIds: string[]): { groupId: string; errorCode: number }[] {
    return groupIds.map((groupId) => {
      if (this.closed) return { groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      const group = this.groups.get(groupId);
      if (!group) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (group.members.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      try {
        this.offsets.deleteGroup(groupId);
      } catch (err) {
        this.opts.logger.error('failed to persist group deletion', { groupId, err });
        return { groupId, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
      }
      this.groups.delete(groupId);
      this.opts.logger.info('group deleted', { groupId });
      return { groupId, errorCode: ErrorCode.NONE };
    });
  }

  // ---- Deadlines ----------------------------------------------------------

  /**
   * Expires pending member ids and members past their session deadline, and
   * completes joins whose delay or rebalance timeout has passed. Runs on the
   * interval timer; tests with an injected clock may call it directly.
   */
  tick(): void {
    if (this.closed) return;
    const now = this.clock();
    for (const group of this.groups.values()) {
      for (const [memberId, deadline] of group.pendingMembers) {
        if (now >= deadline) group.pendingMembers.delete(memberId);
      }
      for (const member of [...group.members.values()]) {
        const parked = member.joinWaiter !== null || member.syncWaiter !== null;
        if (!parked && now >= member.sessionDeadline && group.members.get(member.memberId) === member) {
          this.removeMember(group, member, 'session timed out', now);
        }
      }
      this.maybeCompleteJoin(group, now);
    }
  }

  private wakeAt(at: number): void {
    if (this.closed || (this.wake && this.wake.at <= at)) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(
      () => {
        this.wake = null;
        this.tick();
      },
      Math.max(0, at - this.clock()) + 1,
    );
    timer.unref();
    this.wake = { at, timer };
  }

  /** Stops the timers, answers every parked join and sync with COORDINATOR_NOT_AVAILABLE and closes the offsets log. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.interval);
    if (this.wake) clearTimeout(this.wake.timer);
    this.wake = null;
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) this.answerWaiters(m, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
    this.offsets.close();
  }
}

function rebalanceTimeoutOf(req: JoinGroupRequest): number {
  return req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
}
