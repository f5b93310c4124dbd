// Group membership as Kafka clients see it: join, sync, heartbeat, leave,
// session expiry and rebalance timeouts, driven directly with an injected clock.
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCoordinator, type JoinGroupRequest } from '../../src/local/broker/group/group-coordinator.js';
import { ErrorCode } from '../../src/local/broker/protocol/errors.js';
import { createLogger } from '../../src/logging.js';
import { tempDir } from '../helpers/env.js';

const DELAY_MS = 100;
const SESSION_MS = 6_000;
const REBALANCE_MS = 30_000;

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

/** A coordinator on a fresh temp dir with a hand-driven clock. */
function setup(opts: { initialRebalanceDelayMs?: number; realClock?: boolean } = {}) {
  const { dir, cleanup } = tempDir('slipway-group-');
  const time = { now: 1_000_000 };
  const coordinator = GroupCoordinator.open({
    dataDir: dir,
    clock: opts.realClock ? undefined : () => time.now,
    initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? DELAY_MS,
    logger: createLogger('test', { level: 'silent' }),
  });
  cleanups.push(cleanup, () => coordinator.close());
  /** Moves the clock and lets the coordinator act on it. */
  const advance = (ms: number) => {
    time.now += ms;
    coordinator.tick();
  };
  return { coordinator, advance, time };
}

function joinRequest(overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'orders',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from(`meta-${overrides.clientId ?? 'client'}`) }],
    requireKnownMemberId: true,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...overrides,
  };
}

/** The MEMBER_ID_REQUIRED round trip of JoinGroup v4+: returns the id to rejoin with. */
async function memberIdFor(coordinator: GroupCoordinator, clientId: string, overrides: Partial<JoinGroupRequest> = {}): Promise<string> {
  const res = await coordinator.joinGroup(joinRequest({ clientId, ...overrides }));
  expect(res.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  return res.memberId;
}

async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true));
  await new Promise((r) => setImmediate(r));
  return settled;
}

/** Two members, a (leader) and b, through join and sync: the group is Stable at generation 1. */
async function stableGroupOfTwo(ctx: ReturnType<typeof setup>) {
  const { coordinator, advance } = ctx;
  const a = await memberIdFor(coordinator, 'a');
  const b = await memberIdFor(coordinator, 'b');
  const joins = [coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a })), coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: b }))];
  advance(DELAY_MS);
  const [ja, jb] = await Promise.all(joins);
  const syncB = coordinator.syncGroup({ groupId: 'orders', generationId: jb.generationId, memberId: b, groupInstanceId: null, assignments: [] });
  const syncA = coordinator.syncGroup({
    groupId: 'orders',
    generationId: ja.generationId,
    memberId: a,
    groupInstanceId: null,
    assignments: [
      { memberId: a, assignment: Buffer.from('for-a') },
      { memberId: b, assignment: Buffer.from('for-b') },
    ],
  });
  await Promise.all([syncA, syncB]);
  return { a, b, generationId: ja.generationId };
}

describe('JoinGroup', () => {
  it('asks a v4+ client for a member id first, then admits it with that id', async () => {
    const { coordinator, advance } = setup();
    const res = await coordinator.joinGroup(joinRequest({ clientId: 'kafkajs' }));
    expect(res.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(res.memberId).toMatch(/^kafkajs-[0-9a-f-]{36}$/);

    const joined = coordinator.joinGroup(joinRequest({ clientId: 'kafkajs', memberId: res.memberId }));
    advance(DELAY_MS);
    expect(await joined).toMatchObject({ errorCode: 0, generationId: 1, memberId: res.memberId, leader: res.memberId, protocolName: 'range' });
  });

  it('admits a v0-3 client directly with a new member id', async () => {
    const { coordinator, advance } = setup();
    const joined = coordinator.joinGroup(joinRequest({ clientId: 'old', requireKnownMemberId: false }));
    advance(DELAY_MS);
    const res = await joined;
    expect(res.errorCode).toBe(0);
    expect(res.memberId).toMatch(/^old-/);
    expect(res.leader).toBe(res.memberId);
  });

  it('rejects unknown member ids, bad session timeouts and empty group ids', async () => {
    const { coordinator } = setup();
    expect((await coordinator.joinGroup(joinRequest({ memberId: 'nobody' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 500 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 1_800_001 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await coordinator.joinGroup(joinRequest({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('gives two members one generation after the initial delay; only the leader gets the metadata', async () => {
    const { coordinator, advance } = setup();
    const a = await memberIdFor(coordinator, 'a');
    const b = await memberIdFor(coordinator, 'b');
    const joinA = coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a }));
    const joinB = coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: b }));

    advance(DELAY_MS - 1);
    expect(await isSettled(joinA)).toBe(false);
    expect(coordinator.describeGroups(['orders'])[0].groupState).toBe('PreparingRebalance');

    advance(1);
    const [ja, jb] = await Promise.all([joinA, joinB]);
    expect(ja).toMatchObject({ errorCode: 0, generationId: 1, leader: a, memberId: a, protocolName: 'range' });
    expect(jb).toMatchObject({ errorCode: 0, generationId: 1, leader: a, memberId: b, members: [] });
    expect(ja.members).toEqual([
      { memberId: a, groupInstanceId: null, metadata: Buffer.from('meta-a') },
      { memberId: b, groupInstanceId: null, metadata: Buffer.from('meta-b') },
    ]);
    expect(coordinator.describeGroups(['orders'])[0].groupState).toBe('CompletingRebalance');
  });

  it('completes the initial join on its own timer with the real clock', async () => {
    const { coordinator } = setup({ realClock: true, initialRebalanceDelayMs: 50 });
    const started = Date.now();
    const a = await memberIdFor(coordinator, 'a');
    const res = await coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a }));
    expect(res.errorCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(49);
  });

  it('answers 23 when a member shares no protocol with the group (kafkajs vs kcat)', async () => {
    const { coordinator, advance } = setup();
    const kafkajs = await memberIdFor(coordinator, 'kafkajs', { protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }] });
    const joined = coordinator.joinGroup(joinRequest({ clientId: 'kafkajs', memberId: kafkajs, protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }] }));
    advance(DELAY_MS);
    expect((await joined).errorCode).toBe(0);

    const kcatProtocols = [
      { name: 'range', metadata: Buffer.alloc(0) },
      { name: 'roundrobin', metadata: Buffer.alloc(0) },
    ];
    const kcat = await coordinator.joinGroup(joinRequest({ clientId: 'rdkafka', protocols: kcatProtocols }));
    expect(kcat.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await coordinator.joinGroup(joinRequest({ clientId: 'connect', protocolType: 'connect', protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.alloc(0) }] }));
    expect(otherType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('picks the protocol most members list first among those all support', async () => {
    const { coordinator, advance } = setup();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const ids = [await memberIdFor(coordinator, 'a'), await memberIdFor(coordinator, 'b'), await memberIdFor(coordinator, 'c')];
    const protocols = [p('range', 'roundrobin', 'sticky'), p('roundrobin', 'range'), p('roundrobin', 'range')];
    const joins = ids.map((memberId, i) => coordinator.joinGroup(joinRequest({ memberId, protocols: protocols[i] })));
    advance(DELAY_MS);
    const [leader] = await Promise.all(joins);
    expect(leader.protocolName).toBe('roundrobin');
    expect(leader.members.map((m) => m.metadata.toString())).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
  });

  it('answers a non-leader rejoin of a stable group with the current generation', async () => {
    const ctx = setup();
    const { a, b, generationId } = await stableGroupOfTwo(ctx);
    const res = await ctx.coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: b }));
    expect(res).toMatchObject({ errorCode: 0, generationId, leader: a, members: [] });
    expect(ctx.coordinator.describeGroups(['orders'])[0].groupState).toBe('Stable');
  });
});

describe('SyncGroup', () => {
  it('holds followers until the leader assigns, then gives everyone its own assignment', async () => {
    const { coordinator, advance } = setup();
    const a = await memberIdFor(coordinator, 'a');
    const b = await memberIdFor(coordinator, 'b');
    const c = await memberIdFor(coordinator, 'c');
    const joins = [a, b, c].map((memberId) => coordinator.joinGroup(joinRequest({ memberId })));
    advance(DELAY_MS);
    const [ja] = await Promise.all(joins);
    const gen = ja.generationId;

    const syncB = coordinator.syncGroup({ groupId: 'orders', generationId: gen, memberId: b, groupInstanceId: null, assignments: [] });
    expect(await isSettled(syncB)).toBe(false);
    const syncA = coordinator.syncGroup({
      groupId: 'orders',
      generationId: gen,
      memberId: a,
      groupInstanceId: null,
      assignments: [
        { memberId: a, assignment: Buffer.from('p0') },
        { memberId: b, assignment: Buffer.from('p1') },
      ],
    });
    expect(await syncA).toEqual({ errorCode: 0, assignment: Buffer.from('p0') });
    expect(await syncB).toEqual({ errorCode: 0, assignment: Buffer.from('p1') });
    // c had nothing assigned and syncs late: an empty assignment, at once.
    expect(await coordinator.syncGroup({ groupId: 'orders', generationId: gen, memberId: c, groupInstanceId: null, assignments: [] })).toEqual({
      errorCode: 0,
      assignment: Buffer.alloc(0),
    });

    const [described] = coordinator.describeGroups(['orders']);
    expect(described).toMatchObject({ groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(described.members.map((m) => m.memberAssignment.toString())).toEqual(['p0', 'p1', '']);
    expect(described.members[0]).toMatchObject({ clientId: 'client', clientHost: '/127.0.0.1', memberMetadata: Buffer.from('meta-client') });
  });

  it('answers 25, 22 and 27 for unknown members, old generations and a rebalance in progress', async () => {
    const ctx = setup();
    const { a, generationId } = await stableGroupOfTwo(ctx);
    const sync = (memberId: string, gen: number) => ctx.coordinator.syncGroup({ groupId: 'orders', generationId: gen, memberId, groupInstanceId: null, assignments: [] });
    expect((await sync('nobody', generationId)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await sync(a, generationId + 1)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await sync(a, generationId)).errorCode).toBe(0);

    const c = await memberIdFor(ctx.coordinator, 'c');
    void ctx.coordinator.joinGroup(joinRequest({ clientId: 'c', memberId: c }));
    expect((await sync(a, generationId)).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('releases a waiting follower with 27 when a rebalance starts before the leader syncs', async () => {
    const { coordinator, advance } = setup();
    const a = await memberIdFor(coordinator, 'a');
    const b = await memberIdFor(coordinator, 'b');
    const joins = [a, b].map((memberId) => coordinator.joinGroup(joinRequest({ memberId })));
    advance(DELAY_MS);
    const [ja] = await Promise.all(joins);
    const syncB = coordinator.syncGroup({ groupId: 'orders', generationId: ja.generationId, memberId: b, groupInstanceId: null, assignments: [] });
    coordinator.leaveGroup('orders', [{ memberId: a, groupInstanceId: null }]);
    expect((await syncB).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });
});

describe('Heartbeat and session expiry', () => {
  it('answers 25 / 22 / 27 / 0', async () => {
    const ctx = setup();
    const { a, generationId } = await stableGroupOfTwo(ctx);
    const hb = (memberId: string, gen: number, groupId = 'orders') => ctx.coordinator.heartbeat({ groupId, generationId: gen, memberId, groupInstanceId: null });
    expect(hb(a, generationId)).toBe(0);
    expect(hb('nobody', generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb(a, generationId, 'other-group')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb(a, generationId - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);

    const c = await memberIdFor(ctx.coordinator, 'c');
    void ctx.coordinator.joinGroup(joinRequest({ clientId: 'c', memberId: c }));
    expect(hb(a, generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('is fine between join and sync (CompletingRebalance)', async () => {
    const { coordinator, advance } = setup();
    const a = await memberIdFor(coordinator, 'a');
    const joined = coordinator.joinGroup(joinRequest({ memberId: a }));
    advance(DELAY_MS);
    const { generationId } = await joined;
    expect(coordinator.heartbeat({ groupId: 'orders', generationId, memberId: a, groupInstanceId: null })).toBe(0);
  });

  it('evicts a member that stops heartbeating and rebalances the rest', async () => {
    const ctx = setup();
    const { a, b, generationId } = await stableGroupOfTwo(ctx);
    // a heartbeats every 2 s; b went silent and its session runs out at 6 s.
    for (let t = 2_000; t < SESSION_MS; t += 2_000) {
      ctx.advance(2_000);
      expect(ctx.coordinator.heartbeat({ groupId: 'orders', generationId, memberId: a, groupInstanceId: null })).toBe(0);
    }
    ctx.advance(2_000);
    expect(ctx.coordinator.describeGroups(['orders'])[0]).toMatchObject({ groupState: 'PreparingRebalance', members: [{ memberId: a }] });
    expect(ctx.coordinator.heartbeat({ groupId: 'orders', generationId, memberId: a, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(ctx.coordinator.heartbeat({ groupId: 'orders', generationId, memberId: b, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

    // The survivor rejoins: everyone left has rejoined, so the join completes at once.
    const rejoined = await ctx.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a }));
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: generationId + 1, leader: a });
    expect(rejoined.members.map((m) => m.memberId)).toEqual([a]);
  });

  it('leaves the group Empty (next generation) when its last member expires', async () => {
    const { coordinator, advance } = setup();
    const a = await memberIdFor(coordinator, 'a');
    const joined = coordinator.joinGroup(joinRequest({ memberId: a }));
    advance(DELAY_MS);
    const { generationId } = await joined;
    advance(SESSION_MS);
    expect(coordinator.describeGroups(['orders'])[0]).toMatchObject({ groupState: 'Empty', members: [] });
    // A new member starts generation + 2: the empty group used one generation.
    const c = await memberIdFor(coordinator, 'c');
    const next = coordinator.joinGroup(joinRequest({ memberId: c }));
    advance(DELAY_MS);
    expect((await next).generationId).toBe(generationId + 2);
  });

  it('does not expire a member while its join waits; the rebalance timeout drops members that never rejoin', async () => {
    const ctx = setup();
    const { a, b, generationId } = await stableGroupOfTwo(ctx);
    const c = await memberIdFor(ctx.coordinator, 'c');
    const joinC = ctx.coordinator.joinGroup(joinRequest({ clientId: 'c', memberId: c }));
    const joinA = ctx.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a }));
    // b keeps heartbeating (and hears 27) but never rejoins; a and c wait past their session timeouts.
    for (let t = 0; t < REBALANCE_MS - 2_000; t += 2_000) {
      ctx.advance(2_000);
      expect(ctx.coordinator.heartbeat({ groupId: 'orders', generationId, memberId: b, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    expect(await isSettled(joinA)).toBe(false);
    ctx.advance(2_000);
    const [ja, jc] = await Promise.all([joinA, joinC]);
    expect(ja).toMatchObject({ errorCode: 0, generationId: generationId + 1, leader: a });
    expect(jc).toMatchObject({ errorCode: 0, generationId: generationId + 1, leader: a });
    expect(ja.members.map((m) => m.memberId)).toEqual([a, c]);
    expect(ctx.coordinator.heartbeat({ groupId: 'orders', generationId, memberId: b, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('forgets a member id handed out with 79 when the client never comes back', async () => {
    const { coordinator, advance } = setup();
    const ghost = await memberIdFor(coordinator, 'ghost');
    advance(SESSION_MS);
    expect((await coordinator.joinGroup(joinRequest({ memberId: ghost }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('LeaveGroup', () => {
  it('removes the member and rebalances the others', async () => {
    const ctx = setup();
    const { a, b, generationId } = await stableGroupOfTwo(ctx);
    const res = ctx.coordinator.leaveGroup('orders', [
      { memberId: a, groupInstanceId: null },
      { memberId: 'nobody', groupInstanceId: null },
    ]);
    expect(res).toEqual({
      errorCode: 0,
      members: [
        { memberId: a, groupInstanceId: null, errorCode: 0 },
        { memberId: 'nobody', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ],
    });
    expect(ctx.coordinator.heartbeat({ groupId: 'orders', generationId, memberId: b, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await ctx.coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: b }));
    expect(rejoined).toMatchObject({ errorCode: 0, generationId: generationId + 1, leader: b });

    ctx.coordinator.leaveGroup('orders', [{ memberId: b, groupInstanceId: null }]);
    expect(ctx.coordinator.describeGroups(['orders'])[0].groupState).toBe('Empty');
  });

  it('answers 25 per member for an unknown group', () => {
    const { coordinator } = setup();
    expect(coordinator.leaveGroup('nope', [{ memberId: 'm', groupInstanceId: null }])).toEqual({
      errorCode: 0,
      members: [{ memberId: 'm', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }],
    });
  });

  it('releases a member parked in a join with 25 when it leaves', async () => {
    const ctx = setup();
    const { a, b } = await stableGroupOfTwo(ctx);
    const joinA = ctx.coordinator.joinGroup(joinRequest({ clientId: 'a', memberId: a }));
    ctx.coordinator.leaveGroup('orders', [{ memberId: a, groupInstanceId: null }]);
    expect((await joinA).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const joinB = await ctx.coordinator.joinGroup(joinRequest({ clientId: 'b', memberId: b }));
    expect(joinB).toMatchObject({ errorCode: 0, leader: b });
  });
});

describe('static members (group.instance.id)', () => {
  it('joins without 79, and a restarted instance takes over its member, fencing the old id', async () => {
    const { coordinator, advance } = setup();
    const first = coordinator.joinGroup(joinRequest({ groupInstanceId: 'worker-1' }));
    advance(DELAY_MS);
    const j1 = await first;
    expect(j1.errorCode).toBe(0);
    expect(j1.memberId).toMatch(/^worker-1-/);
    await coordinator.syncGroup({ groupId: 'orders', generationId: j1.generationId, memberId: j1.memberId, groupInstanceId: 'worker-1', assignments: [{ memberId: j1.memberId, assignment: Buffer.from('all') }] });

    const j2 = await coordinator.joinGroup(joinRequest({ groupInstanceId: 'worker-1' }));
    expect(j2.errorCode).toBe(0);
    expect(j2.memberId).not.toBe(j1.memberId);
    expect(coordinator.heartbeat({ groupId: 'orders', generationId: j2.generationId, memberId: j1.memberId, groupInstanceId: 'worker-1' })).toBe(82);
  });
});

describe('close', () => {
  it('answers parked joins and syncs so no promise hangs', async () => {
    const { coordinator } = setup();
    const a = await memberIdFor(coordinator, 'a');
    const joined = coordinator.joinGroup(joinRequest({ memberId: a }));
    coordinator.close();
    expect((await joined).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await coordinator.joinGroup(joinRequest())).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
