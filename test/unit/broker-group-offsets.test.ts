// Committed offsets (validation, persistence across restarts, deleted topics)
// and the admin side of groups: describe, list, delete.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCoordinator, type JoinGroupRequest } from '../../src/local/broker/group/group-coordinator.js';
import { ErrorCode } from '../../src/local/broker/protocol/errors.js';
import { createLogger } from '../../src/logging.js';
import { tempDir } from '../helpers/env.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

function setup() {
  const { dir, cleanup } = tempDir('slipway-offsets-');
  cleanups.push(cleanup);
  const time = { now: 1_000_000 };
  const open = (opts: { topicExists?: (topic: string) => boolean } = {}) => {
    const coordinator = GroupCoordinator.open({ dataDir: dir, clock: () => time.now, initialRebalanceDelayMs: 100, logger: createLogger('test', { level: 'silent' }), ...opts });
    cleanups.push(() => coordinator.close());
    return coordinator;
  };
  return { dir, time, open };
}

function joinRequest(memberId: string): JoinGroupRequest {
  return {
    groupId: 'orders',
    sessionTimeoutMs: 6_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    requireKnownMemberId: true,
    clientId: 'client',
    clientHost: '/127.0.0.1',
  };
}

/** One member through join (not yet synced): the group is CompletingRebalance. */
async function joinedMember(coordinator: GroupCoordinator, time: { now: number }) {
  const { memberId } = await coordinator.joinGroup(joinRequest(''));
  const joined = coordinator.joinGroup(joinRequest(memberId));
  time.now += 100;
  coordinator.tick();
  const { generationId } = await joined;
  return { memberId, generationId };
}

async function stableMember(coordinator: GroupCoordinator, time: { now: number }) {
  const m = await joinedMember(coordinator, time);
  await coordinator.syncGroup({ groupId: 'orders', generationId: m.generationId, memberId: m.memberId, groupInstanceId: null, assignments: [] });
  return m;
}

describe('OffsetCommit / OffsetFetch', () => {
  it('stores the next offset per partition and keeps it across a restart', async () => {
    const { open, time } = setup();
    const first = open();
    const { memberId, generationId } = await stableMember(first, time);
    const res = first.commitOffsets('orders', generationId, memberId, [
      { topic: 'payments', partition: 0, offset: 42, metadata: 'm0' },
      { topic: 'payments', partition: 1, offset: 7, metadata: null },
    ]);
    expect(res).toEqual([
      { topic: 'payments', partition: 0, errorCode: 0 },
      { topic: 'payments', partition: 1, errorCode: 0 },
    ]);
    first.commitOffsets('orders', generationId, memberId, [{ topic: 'payments', partition: 0, offset: 50, metadata: 'm1' }]);
    first.close();

    const second = open();
    expect(second.fetchOffsets('orders', [{ topic: 'payments', partitions: [0, 1, 2] }])).toEqual([
      { topic: 'payments', partition: 0, offset: 50, metadata: 'm1', errorCode: 0 },
      { topic: 'payments', partition: 1, offset: 7, metadata: '', errorCode: 0 },
      { topic: 'payments', partition: 2, offset: -1, metadata: '', errorCode: 0 },
    ]);
    expect(second.fetchOffsets('orders', null)).toEqual([
      { topic: 'payments', partition: 0, offset: 50, metadata: 'm1', errorCode: 0 },
      { topic: 'payments', partition: 1, offset: 7, metadata: '', errorCode: 0 },
    ]);
    expect(second.listGroups()).toEqual([{ groupId: 'orders', protocolType: '' }]);
    expect(second.describeGroups(['orders'])[0]).toMatchObject({ groupState: 'Empty', members: [] });
  });

  it('returns -1 for an unknown group without an error', () => {
    const { open } = setup();
    const coordinator = open();
    expect(coordinator.fetchOffsets('nobody', [{ topic: 't', partitions: [0] }])).toEqual([{ topic: 't', partition: 0, offset: -1, metadata: '', errorCode: 0 }]);
    expect(coordinator.fetchOffsets('nobody', null)).toEqual([]);
  });

  it('accepts generation -1 with no member only while the group has no members', async () => {
    const { open, time } = setup();
    const coordinator = open();
    const simple = (groupId: string) => coordinator.commitOffsets(groupId, -1, '', [{ topic: 't', partition: 0, offset: 3, metadata: null }])[0].errorCode;
    expect(simple('admin-tool')).toBe(0);
    expect(coordinator.fetchOffsets('admin-tool', [{ topic: 't', partitions: [0] }])[0].offset).toBe(3);

    await stableMember(coordinator, time);
    expect(simple('orders')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('checks member and generation: 25, 22; 27 between join and sync; accepted while preparing a rebalance', async () => {
    const { open, time } = setup();
    const coordinator = open();
    const commit = (memberId: string, gen: number, groupId = 'orders') => coordinator.commitOffsets(groupId, gen, memberId, [{ topic: 't', partition: 0, offset: 1, metadata: '' }])[0].errorCode;
    expect(commit('someone', 3, 'unknown-group')).toBe(ErrorCode.ILLEGAL_GENERATION);

    const { memberId, generationId } = await joinedMember(coordinator, time);
    expect(commit(memberId, generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await coordinator.syncGroup({ groupId: 'orders', generationId, memberId, groupInstanceId: null, assignments: [] });
    expect(commit('someone', generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(commit(memberId, generationId + 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(commit(memberId, generationId)).toBe(0);

    // Another member joins: the first may still commit what it processed before rejoining (as in Kafka).
    const { memberId: other } = await coordinator.joinGroup(joinRequest(''));
    void coordinator.joinGroup(joinRequest(other));
    expect(coordinator.describeGroups(['orders'])[0].groupState).toBe('PreparingRebalance');
    expect(commit(memberId, generationId)).toBe(0);
  });

  it('rejects metadata over 4096 characters per partition', async () => {
    const { open } = setup();
    const coordinator = open();
    const res = coordinator.commitOffsets('g', -1, '', [
      { topic: 't', partition: 0, offset: 1, metadata: 'x'.repeat(4097) },
      { topic: 't', partition: 1, offset: 1, metadata: 'ok' },
    ]);
    expect(res.map((r) => r.errorCode)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
    expect(coordinator.fetchOffsets('g', null).map((o) => o.partition)).toEqual([1]);
  });

  it('drops the offsets of a deleted topic, durably', () => {
    const { open } = setup();
    const first = open();
    first.commitOffsets('g', -1, '', [
      { topic: 'gone', partition: 0, offset: 5, metadata: null },
      { topic: 'kept', partition: 0, offset: 6, metadata: null },
    ]);
    first.deleteTopic('gone');
    expect(first.fetchOffsets('g', null).map((o) => o.topic)).toEqual(['kept']);
    first.close();
    expect(open().fetchOffsets('g', [{ topic: 'gone', partitions: [0] }])[0].offset).toBe(-1);
  });

  it('leaves out offsets of topics that no longer exist when fetching everything', () => {
    const { open } = setup();
    const coordinator = open({ topicExists: (t) => t !== 'missing' });
    coordinator.commitOffsets('g', -1, '', [
      { topic: 'missing', partition: 0, offset: 5, metadata: null },
      { topic: 'there', partition: 0, offset: 6, metadata: null },
    ]);
    expect(coordinator.fetchOffsets('g', null).map((o) => o.topic)).toEqual(['there']);
  });

  it('compacts the log on open and skips a torn last line', () => {
    const { open, dir } = setup();
    const first = open();
    for (let i = 0; i < 50; i++) first.commitOffsets('g', -1, '', [{ topic: 't', partition: 0, offset: i, metadata: null }]);
    first.close();
    const log = path.join(dir, 'groups', 'offsets.log');
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(50);
    fs.appendFileSync(log, '{"op":"commit","group":"g","offsets":[["t",0,99');

    const second = open();
    expect(second.fetchOffsets('g', [{ topic: 't', partitions: [0] }])[0].offset).toBe(49);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    second.commitOffsets('g', -1, '', [{ topic: 't', partition: 0, offset: 50, metadata: null }]);
    second.close();
    expect(open().fetchOffsets('g', [{ topic: 't', partitions: [0] }])[0].offset).toBe(50);
  });
});

describe('DescribeGroups / ListGroups / DeleteGroups', () => {
  it('describes an unknown group as Dead without an error', () => {
    const { open } = setup();
    expect(open().describeGroups(['ghost'])).toEqual([{ errorCode: 0, groupId: 'ghost', groupState: 'Dead', protocolType: '', protocolData: '', members: [] }]);
  });

  it('lists groups with members and groups with only offsets', async () => {
    const { open, time } = setup();
    const coordinator = open();
    coordinator.commitOffsets('offsets-only', -1, '', [{ topic: 't', partition: 0, offset: 1, metadata: null }]);
    await stableMember(coordinator, time);
    expect(coordinator.listGroups()).toEqual(
      expect.arrayContaining([
        { groupId: 'offsets-only', protocolType: '' },
        { groupId: 'orders', protocolType: 'consumer' },
      ]),
    );
  });

  it('deletes only empty groups, with their offsets: 68 with members, 69 unknown', async () => {
    const { open, time } = setup();
    const coordinator = open();
    const { memberId, generationId } = await stableMember(coordinator, time);
    coordinator.commitOffsets('orders', generationId, memberId, [{ topic: 't', partition: 0, offset: 9, metadata: null }]);
    expect(coordinator.deleteGroups(['orders', 'ghost'])).toEqual([
      { groupId: 'orders', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'ghost', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);

    coordinator.leaveGroup('orders', [{ memberId, groupInstanceId: null }]);
    expect(coordinator.deleteGroups(['orders'])).toEqual([{ groupId: 'orders', errorCode: 0 }]);
    expect(coordinator.describeGroups(['orders'])[0].groupState).toBe('Dead');
    expect(coordinator.fetchOffsets('orders', [{ topic: 't', partitions: [0] }])[0].offset).toBe(-1);
    coordinator.close();
    expect(open().listGroups()).toEqual([]);
  });
});
