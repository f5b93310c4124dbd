// Conformance scenario 9: a stale generation gets ILLEGAL_GENERATION (22), an
// unknown member UNKNOWN_MEMBER_ID (25), a member during a rebalance
// REBALANCE_IN_PROGRESS (27) — on Heartbeat, SyncGroup and OffsetCommit, every
// advertised version. kafkajs and kcat never send these on purpose, so the wire
// cases use the raw client; the kafkajs case is a member evicted while it was
// busy, whose next request gets 25 and which then rejoins.
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { useTestBroker } from '../helpers/broker-suite.js';
import { waitFor } from '../helpers/env.js';
import { createKafka, type KafkaLog } from '../helpers/kafkajs.js';
import {
  RawKafkaClient,
  consumerAssignment,
  consumerSubscription,
  heartbeat,
  joinGroup,
  leaveGroup,
  offsetCommit,
  syncGroup,
  type JoinGroupResult,
} from '../helpers/raw-kafka.js';

const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const REBALANCE_IN_PROGRESS = 27;
const MEMBER_ID_REQUIRED = 79;

const { tb, cleanup, raw, newTopic } = useTestBroker();

/** JoinGroup v5 as both clients do it: empty member id → 79 with an id, then join with that id. */
async function join(c: RawKafkaClient, groupId: string, topic: string, memberId = ''): Promise<JoinGroupResult> {
  const req = { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocols: [{ name: 'range', metadata: consumerSubscription([topic]) }] };
  let id = memberId;
  if (!id) {
    const first = await joinGroup(c, 5, { ...req, memberId: '' });
    expect(first.errorCode).toBe(MEMBER_ID_REQUIRED);
    expect(first.memberId).toBeTruthy();
    id = first.memberId!;
  }
  return joinGroup(c, 5, { ...req, memberId: id });
}

describe('scenario 9: stale generation, unknown member, rebalance in progress', () => {
  it('a one-member group: 22 for a wrong generation and 25 for an unknown member on Heartbeat, SyncGroup and OffsetCommit, every version', async () => {
    const topic = await newTopic('errors-single', 2);
    const groupId = uniqueName('errors-single');
    const c = await raw();
    const j = await join(c, groupId, topic);
    expect(j.errorCode).toBe(0);
    expect(j.leader).toBe(j.memberId);
    expect(j.protocolName).toBe('range');
    expect(j.members.map((m) => m.memberId)).toEqual([j.memberId]);
    const memberId = j.memberId!;
    const gen = j.generationId;
    expect(gen).toBeGreaterThan(0);

    const assignment = consumerAssignment({ [topic]: [0, 1] });
    const sync = await syncGroup(c, 3, { groupId, generationId: gen, memberId, assignments: [{ memberId, assignment }] });
    expect(sync).toEqual({ errorCode: 0, assignment });

    for (const v of [0, 1, 2, 3]) {
      expect(await heartbeat(c, v, { groupId, generationId: gen, memberId }), `Heartbeat v${v} ok`).toBe(0);
      expect(await heartbeat(c, v, { groupId, generationId: gen - 1, memberId }), `Heartbeat v${v} old generation`).toBe(ILLEGAL_GENERATION);
      expect(await heartbeat(c, v, { groupId, generationId: gen + 1, memberId }), `Heartbeat v${v} future generation`).toBe(ILLEGAL_GENERATION);
      expect(await heartbeat(c, v, { groupId, generationId: gen, memberId: 'nobody' }), `Heartbeat v${v} unknown member`).toBe(UNKNOWN_MEMBER_ID);
    }
    for (const v of [0, 1, 2, 3]) {
      expect((await syncGroup(c, v, { groupId, generationId: gen + 1, memberId, assignments: [{ memberId, assignment }] })).errorCode, `SyncGroup v${v} wrong generation`).toBe(ILLEGAL_GENERATION);
      expect((await syncGroup(c, v, { groupId, generationId: gen, memberId: 'nobody' })).errorCode, `SyncGroup v${v} unknown member`).toBe(UNKNOWN_MEMBER_ID);
      // A member that already synced may sync again and gets its assignment back.
      expect(await syncGroup(c, v, { groupId, generationId: gen, memberId }), `SyncGroup v${v} again`).toEqual({ errorCode: 0, assignment });
    }
    for (const v of [2, 3, 4, 5, 6, 7]) {
      const commit = { groupId, topic, partition: 0, offset: 10 + v };
      expect(await offsetCommit(c, v, { ...commit, generationId: gen, memberId }), `OffsetCommit v${v} ok`).toBe(0);
      expect(await offsetCommit(c, v, { ...commit, generationId: gen + 1, memberId }), `OffsetCommit v${v} wrong generation`).toBe(ILLEGAL_GENERATION);
      expect(await offsetCommit(c, v, { ...commit, generationId: gen, memberId: 'nobody' }), `OffsetCommit v${v} unknown member`).toBe(UNKNOWN_MEMBER_ID);
      // The "simple" commit (generation −1, no member) is for empty groups only; Kafka checks the member first.
      expect(await offsetCommit(c, v, { ...commit, generationId: -1, memberId: '' }), `OffsetCommit v${v} simple commit to a live group`).toBe(UNKNOWN_MEMBER_ID);
    }
    const unknownGroup = uniqueName('no-such-group');
    expect(await heartbeat(c, 3, { groupId: unknownGroup, generationId: 1, memberId: 'nobody' }), 'Heartbeat to an unknown group').toBe(UNKNOWN_MEMBER_ID);
  });

  it('a second member joining: 27 for the old generation until it rejoins, then 22 for the old generation; followers wait for the leader in SyncGroup', async () => {
    const topic = await newTopic('errors-rebalance', 4);
    const groupId = uniqueName('errors-rebalance');
    const c1 = await raw();
    const c2 = await raw();
    const c3 = await raw();

    const j1 = await join(c1, groupId, topic);
    const m1 = j1.memberId!;
    const g1 = j1.generationId;
    expect((await syncGroup(c1, 3, { groupId, generationId: g1, memberId: m1, assignments: [{ memberId: m1, assignment: consumerAssignment({ [topic]: [0, 1, 2, 3] }) }] })).errorCode).toBe(0);

    // Member 2 joins: its JoinGroup waits until member 1 rejoins.
    const first2 = await joinGroup(c2, 5, { groupId, memberId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocols: [{ name: 'range', metadata: consumerSubscription([topic]) }] });
    expect(first2.errorCode).toBe(MEMBER_ID_REQUIRED);
    const m2 = first2.memberId!;
    const pending2 = join(c2, groupId, topic, m2);

    // Member 1 learns about the rebalance from its heartbeat; a SyncGroup now is refused too.
    await waitFor(async () => (await heartbeat(c1, 3, { groupId, generationId: g1, memberId: m1 })) === REBALANCE_IN_PROGRESS, { what: 'Heartbeat to answer 27' });
    expect((await syncGroup(c1, 3, { groupId, generationId: g1, memberId: m1 })).errorCode, 'SyncGroup while preparing a rebalance').toBe(REBALANCE_IN_PROGRESS);

    const [j1b, j2] = await Promise.all([join(c1, groupId, topic, m1), pending2]);
    expect(j1b.errorCode).toBe(0);
    expect(j2.errorCode).toBe(0);
    const g2 = j1b.generationId;
    expect(g2).toBeGreaterThan(g1);
    expect(j2.generationId).toBe(g2);
    // The existing member leads and alone gets every member's metadata.
    expect(j1b.leader).toBe(m1);
    expect(j2.leader).toBe(m1);
    expect(j1b.members.map((m) => m.memberId).sort()).toEqual([m1, m2].sort());
    expect(j2.members).toEqual([]);

    // The old generation is now illegal.
    expect(await heartbeat(c1, 3, { groupId, generationId: g1, memberId: m1 })).toBe(ILLEGAL_GENERATION);
    expect(await offsetCommit(c1, 7, { groupId, generationId: g1, memberId: m1, topic, partition: 0, offset: 1 })).toBe(ILLEGAL_GENERATION);

    // The follower's SyncGroup waits for the leader's assignments.
    const a1 = consumerAssignment({ [topic]: [0, 1] });
    const a2 = consumerAssignment({ [topic]: [2, 3] });
    let followerDone = false;
    const follower = syncGroup(c2, 3, { groupId, generationId: g2, memberId: m2 }).finally(() => {
      followerDone = true;
    });
    // A round trip on another connection: had the broker answered the follower before the leader's assignments, it would show by now.
    expect(await heartbeat(c3, 3, { groupId, generationId: g2, memberId: 'nobody' })).toBe(UNKNOWN_MEMBER_ID);
    expect(followerDone).toBe(false);
    const leader = await syncGroup(c1, 3, { groupId, generationId: g2, memberId: m1, assignments: [{ memberId: m1, assignment: a1 }, { memberId: m2, assignment: a2 }] });
    expect(leader).toEqual({ errorCode: 0, assignment: a1 });
    expect(await follower).toEqual({ errorCode: 0, assignment: a2 });
    expect(await heartbeat(c1, 3, { groupId, generationId: g2, memberId: m1 })).toBe(0);
    expect(await heartbeat(c2, 3, { groupId, generationId: g2, memberId: m2 })).toBe(0);
    expect(await offsetCommit(c2, 7, { groupId, generationId: g2, memberId: m2, topic, partition: 2, offset: 5 })).toBe(0);

    // Member 2 leaves (LeaveGroup v3): member 1 is told to rejoin, member 2 is unknown from now on.
    expect(await leaveGroup(c2, 3, { groupId, memberId: m2 })).toEqual({ errorCode: 0, memberErrorCodes: [0] });
    expect(await heartbeat(c2, 3, { groupId, generationId: g2, memberId: m2 })).toBe(UNKNOWN_MEMBER_ID);
    expect(await offsetCommit(c2, 7, { groupId, generationId: g2, memberId: m2, topic, partition: 2, offset: 6 })).toBe(UNKNOWN_MEMBER_ID);
    await waitFor(async () => (await heartbeat(c1, 3, { groupId, generationId: g2, memberId: m1 })) === REBALANCE_IN_PROGRESS, { what: 'Heartbeat to answer 27 after the leave' });
    const j1c = await join(c1, groupId, topic, m1);
    expect(j1c).toMatchObject({ errorCode: 0, leader: m1 });
    expect(j1c.generationId).toBeGreaterThan(g2);
    expect(j1c.members.map((m) => m.memberId)).toEqual([m1]);

    // A member that joins while the leader has not synced yet sends the group back to rebalancing: a late SyncGroup gets 27.
    const first3 = await joinGroup(c3, 5, { groupId, memberId: '', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocols: [{ name: 'range', metadata: consumerSubscription([topic]) }] });
    const pending3 = join(c3, groupId, topic, first3.memberId!);
    await waitFor(async () => (await syncGroup(c1, 3, { groupId, generationId: j1c.generationId, memberId: m1, assignments: [] })).errorCode === REBALANCE_IN_PROGRESS, {
      what: 'SyncGroup to answer 27 once a new member joins',
    });
    await Promise.all([join(c1, groupId, topic, m1), pending3]);
  });
});

describe('scenario 9 with kafkajs: an evicted member gets 25 and rejoins', () => {
  it('a kafkajs member busy past its session timeout is evicted; its next request gets UNKNOWN_MEMBER_ID, it rejoins and the uncommitted message comes again', async () => {
    const topic = await newTopic('evicted', 1);
    const groupId = uniqueName('evicted');
    const logs: KafkaLog[] = [];
    const kafka = createKafka(tb.bootstrap, { logs });
    const producer = cleanup.client(kafka.producer());
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'slow' }] });

    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    const consumer = cleanup.client(kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 }));
    let joins = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joins++;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    cleanup.add(() => release());
    const seen: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(Number(message.offset));
        if (seen.length === 1) await gate; // no heartbeats while busy
      },
    });
    await waitFor(() => seen.length === 1, { what: 'the first delivery' });

    // The broker evicts it after the session timeout: the group is empty.
    await waitFor(
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]!.members.length === 0 ? groups[0] : undefined;
      },
      { intervalMs: 250, what: 'the busy member to be evicted' },
    );
    release();

    await waitFor(() => logs.some((l) => /not aware of this member/i.test(l.message) || l.type === 'UNKNOWN_MEMBER_ID'), { what: `kafkajs to get UNKNOWN_MEMBER_ID; logs: ${JSON.stringify(logs.slice(-5))}` });
    await waitFor(() => joins >= 2, { what: 'kafkajs to rejoin' });
    await waitFor(() => seen.length >= 2, { what: 'the uncommitted message to be delivered again' });
    expect(seen.slice(0, 2)).toEqual([0, 0]);
  });
});
