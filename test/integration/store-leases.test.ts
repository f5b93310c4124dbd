// Leases, fencing epochs and launch claims against a real dynalite. Time is
// the store's injected clock: expiry is a clock step, never a sleep.
import { beforeAll, describe, expect, it } from 'vitest';
import { FencedError, NotFoundError } from '../../src/connect/errors.js';
import { Store } from '../../src/store/index.js';
import { useDynalite } from '../helpers/dynalite.js';

const TABLE = 'slipway';
const TTL = 30_000;
const dynamo = useDynalite(TABLE);
let store: Store;
let now = 1_000_000;

beforeAll(() => {
  store = new Store({ client: dynamo.client, table: TABLE, clock: () => now });
});

/** A connector with `tasks` task items at generation 1. */
async function connectorWithTasks(name: string, tasks = 1): Promise<void> {
  await store.createConnector(name, { 'connector.class': 'FileStreamSource', file: `/tmp/${name}` });
  await store.writeTaskConfigs(name, 1, Array.from({ length: tasks }, (_, i) => ({ file: `/tmp/${name}-${i}` })));
}

describe('leases', () => {
  it('takes the lease: RUNNING, owner as worker id, expiry from the clock, launch claim cleared', async () => {
    await connectorWithTasks('acquire');
    expect(await store.claimLaunch('acquire', 0, 'coordinator-1', 10_000)).toBe(true);

    const lease = await store.acquireLease('acquire', 0, 'host:101', TTL, 1);

    expect(lease).toMatchObject({ owner: 'host:101', expiresAt: now + TTL, generation: 1 });
    const task = await store.getTask('acquire', 0);
    expect(task).toMatchObject({ state: 'RUNNING', workerId: 'host:101', lease: { owner: 'host:101', epoch: lease!.epoch, expiresAt: now + TTL } });
    expect(task!.launch).toBeUndefined();
    expect((await store.getConnector('acquire'))!.epoch).toBe(lease!.epoch);
  });

  it('issues strictly increasing epochs across releases and expiries', async () => {
    await connectorWithTasks('epochs', 2);
    const epochs: number[] = [];
    for (let i = 0; i < 6; i++) {
      const task = i % 2;
      const lease = await store.acquireLease('epochs', task, `w${i}`, TTL);
      epochs.push(lease!.epoch);
      if (i % 3 === 0) await store.releaseLease('epochs', task, lease!.epoch);
      else now += TTL + 1; // left to expire
    }

    for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThan(epochs[i - 1]);
  });

  it('gives no second lease while one is live, even at its last millisecond', async () => {
    await connectorWithTasks('live');
    const first = await store.acquireLease('live', 0, 'w1', TTL);
    const before = await store.getTask('live', 0);

    now += TTL; // expiresAt == now: still live
    expect(await store.acquireLease('live', 0, 'w2', TTL)).toBeNull();
    expect(await store.acquireLease('live', 0, 'w1', TTL)).toBeNull();

    expect(await store.getTask('live', 0)).toEqual(before);
    expect(before!.lease).toMatchObject({ owner: 'w1', epoch: first!.epoch });
  });

  it('renews from the clock, and a released lease can be taken at once', async () => {
    await connectorWithTasks('renew');
    const lease = await store.acquireLease('renew', 0, 'w1', TTL);

    now += 10_000;
    const renewed = await store.renewLease('renew', 0, lease!.epoch, TTL);
    expect(renewed).toEqual({ owner: 'w1', epoch: lease!.epoch, expiresAt: now + TTL, generation: 1 });
    expect((await store.getTask('renew', 0))!.lease!.expiresAt).toBe(now + TTL);

    await store.releaseLease('renew', 0, lease!.epoch);
    expect((await store.getTask('renew', 0))!.lease).toBeUndefined();
    const next = await store.acquireLease('renew', 0, 'w2', TTL);
    expect(next!.epoch).toBeGreaterThan(lease!.epoch);
  });

  it('fences the first owner after expiry: renew, release, task state and offsets all refused, nothing changed', async () => {
    await connectorWithTasks('zombie');
    const zombie = await store.acquireLease('zombie', 0, 'w-zombie', TTL);
    await store.writeOffset('zombie', { file: 'f' }, { position: 10 }, zombie!.epoch);

    now += TTL + 1;
    const successor = await store.acquireLease('zombie', 0, 'w-successor', TTL);
    expect(successor!.epoch).toBeGreaterThan(zombie!.epoch);
    await store.writeOffset('zombie', { file: 'f' }, { position: 20 }, successor!.epoch);
    const task = await store.getTask('zombie', 0);
    const offsets = await store.readOffsets('zombie');

    await expect(store.renewLease('zombie', 0, zombie!.epoch, TTL)).rejects.toBeInstanceOf(FencedError);
    await expect(store.releaseLease('zombie', 0, zombie!.epoch)).rejects.toBeInstanceOf(FencedError);
    await expect(store.setTaskState('zombie', 0, zombie!.epoch, { state: 'FAILED', trace: 'zombie' })).rejects.toBeInstanceOf(FencedError);
    await expect(store.writeOffset('zombie', { file: 'f' }, { position: 15 }, zombie!.epoch)).rejects.toBeInstanceOf(FencedError);
    await expect(store.writeOffsets('zombie', [{ partition: { file: 'f' }, offset: { position: 16 } }], zombie!.epoch)).rejects.toBeInstanceOf(FencedError);

    expect(await store.getTask('zombie', 0)).toEqual(task);
    expect(task!.lease).toMatchObject({ owner: 'w-successor', epoch: successor!.epoch });
    expect(await store.readOffsets('zombie')).toEqual(offsets);
    expect(offsets).toEqual([{ partition: { file: 'f' }, offset: { position: 20 }, epoch: successor!.epoch }]);
    // The successor's own writes go through.
    await store.setTaskState('zombie', 0, successor!.epoch, { state: 'RUNNING', workerId: 'w-successor' });
    await store.renewLease('zombie', 0, successor!.epoch, TTL);
  });

  it('lets exactly one of many concurrent acquirers win, round after round', async () => {
    await connectorWithTasks('contended');
    let lastEpoch = 0;
    for (let round = 0; round < 25; round++) {
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.acquireLease('contended', 0, `r${round}-w${i}`, TTL)));

      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.epoch).toBeGreaterThan(lastEpoch);
      expect((await store.getTask('contended', 0))!.lease).toMatchObject({ owner: winners[0]!.owner, epoch: winners[0]!.epoch });
      lastEpoch = winners[0]!.epoch;
      if (round % 2 === 0) await store.releaseLease('contended', 0, lastEpoch);
      else now += TTL + 1;
    }
  });

  it('refuses a lease for a stale generation, a missing task or a missing connector', async () => {
    await connectorWithTasks('generations');
    const before = await store.getTask('generations', 0);

    await expect(store.acquireLease('generations', 0, 'w1', TTL, 2)).rejects.toBeInstanceOf(FencedError);
    await expect(store.acquireLease('generations', 5, 'w1', TTL)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.acquireLease('no-such-connector', 0, 'w1', TTL)).rejects.toBeInstanceOf(NotFoundError);

    expect(await store.getTask('generations', 0)).toEqual(before);
    expect(await store.getConnector('no-such-connector')).toBeUndefined();
  });
});

describe('task state', () => {
  it('sets, then removes, the trace and the next restart time', async () => {
    await connectorWithTasks('state');
    const lease = await store.acquireLease('state', 0, 'w1', TTL);

    await store.setTaskState('state', 0, lease!.epoch, { state: 'FAILED', trace: 'Error: boom\n  at poll', restartCount: 2, nextRestartAt: now + 5_000 });
    expect(await store.getTask('state', 0)).toMatchObject({ state: 'FAILED', trace: 'Error: boom\n  at poll', restartCount: 2, nextRestartAt: now + 5_000, workerId: 'w1' });

    await store.setTaskState('state', 0, null, { state: 'RESTARTING', trace: null, nextRestartAt: null, workerId: 'w9' });
    const task = await store.getTask('state', 0);
    expect(task).toMatchObject({ state: 'RESTARTING', restartCount: 2, workerId: 'w9' });
    expect(task!.trace).toBeUndefined();
    expect(task!.nextRestartAt).toBeUndefined();
  });

  it('says NotFound for an unfenced write to a missing task, without creating it', async () => {
    await connectorWithTasks('state-missing');

    await expect(store.setTaskState('state-missing', 3, null, { state: 'RESTARTING' })).rejects.toBeInstanceOf(NotFoundError);

    expect(await store.getTask('state-missing', 3)).toBeUndefined();
  });
});

describe('launch claims', () => {
  it('lets exactly one of many concurrent coordinators claim, round after round', async () => {
    await connectorWithTasks('claims');
    for (let round = 0; round < 25; round++) {
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => store.claimLaunch('claims', 0, `coordinator-${i}`, 10_000)));

      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = `coordinator-${results.indexOf(true)}`;
      expect((await store.getTask('claims', 0))!.launch).toEqual({ by: winner, at: now });
      now += 10_000; // the claim is now exactly launchGraceMs old: stale
    }
  });

  it('refuses a claim while a claim is young or a lease is live, and allows it after', async () => {
    await connectorWithTasks('claim-rules');
    expect(await store.claimLaunch('claim-rules', 0, 'c1', 10_000)).toBe(true);

    now += 9_999;
    expect(await store.claimLaunch('claim-rules', 0, 'c2', 10_000)).toBe(false);
    now += 1;
    expect(await store.claimLaunch('claim-rules', 0, 'c2', 10_000)).toBe(true);

    const lease = await store.acquireLease('claim-rules', 0, 'w1', TTL);
    expect((await store.getTask('claim-rules', 0))!.launch).toBeUndefined();
    expect(await store.claimLaunch('claim-rules', 0, 'c3', 10_000)).toBe(false);

    now += TTL + 1;
    expect(await store.claimLaunch('claim-rules', 0, 'c3', 10_000)).toBe(true);
    expect((await store.getTask('claim-rules', 0))!.lease!.epoch).toBe(lease!.epoch);
    expect(await store.claimLaunch('claim-rules', 9, 'c3', 10_000)).toBe(false);
    expect(await store.getTask('claim-rules', 9)).toBeUndefined();
  });
});
