// Two coordinators at once (issue 3, test 4): reconcile() runs twice
// concurrently, with two coordinator ids against one store, round after round,
// while leases are taken, released and left to expire between rounds. Never
// two launches of one task in one expiry window, never two live leases.
//
// First against a real dynalite with the store's and coordinators' clock
// injected (expiry is a clock step, no sleeping) and simulated workers that
// take the lease as the real worker does; then with real worker invocations
// through `slipway dev`'s Lambda emulator, counting the records they produce.
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createLogger } from '../../src/logging.js';
import { defaultCoordinatorSettings, reconcile, type CoordinatorDeps } from '../../src/runtime/coordinator.js';
import { createAsyncInvoker } from '../../src/runtime/invoker.js';
import { createRuntimeRegistry } from '../../src/runtime/plugins.js';
import type { WorkerEvent } from '../../src/runtime/worker.js';
import { createDynamoClient, ensureTable, Store, type LeaseGrant } from '../../src/store/index.js';
import { between, DevHarness, expectDelivered } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';

const silent = createLogger('coordinator', { level: 'silent' });

/** A seeded generator (Park–Miller), so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed % 2147483647;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

interface Launch {
  round: number;
  coordinator: string;
  connector: string;
  task: number;
  at: number;
}

describe('two coordinators at once, injected clock, simulated workers', () => {
  const TABLE = 'slipway';
  const TTL = 10_000;
  const GRACE = 3_000;
  const SEED = 20_261_121;
  const CONNECTORS = ['alpha', 'beta', 'gamma'];
  let dynamo: RunningDynalite;
  let client: DynamoDBClient;
  let now = 1_700_000_000_000;
  let store: Store;

  beforeAll(async () => {
    dynamo = await startDynalite();
    client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' });
    await ensureTable(client, TABLE);
    store = new Store({ client, table: TABLE, clock: () => now });
  });

  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });

  it('launches each free task exactly once per expiry window and never grants two live leases (60 rounds)', async () => {
    const random = seeded(SEED);
    onTestFailed(() => console.error(`seed ${SEED}`));
    const launches: Launch[] = [];
    let round = 0;
    const coordinator = (id: string): CoordinatorDeps => ({
      store,
      registry: createRuntimeRegistry(),
      invokeWorker: async (event: WorkerEvent) => void launches.push({ round, coordinator: id, connector: event.connector, task: event.task, at: now }),
      clock: () => now,
      logger: silent,
      coordinatorId: id,
      env: {},
      settings: { ...defaultCoordinatorSettings, launchGraceMs: GRACE },
    });
    const coordinators = [coordinator('coordinator-a'), coordinator('coordinator-b')];
    for (const name of CONNECTORS) {
      await store.createConnector(name, { name, 'connector.class': 'FileStreamSource', file: `/nonexistent/${name}.txt`, topic: name });
    }

    // The model: what each task's lease and launch claim should be.
    const model = new Map(CONNECTORS.map((c) => [c, { lease: undefined as LeaseGrant | undefined, released: false, claimAt: undefined as number | undefined }]));
    const grants: { connector: string; epoch: number; from: number; until: number }[] = [];
    const launchDue = (c: string) => {
      const m = model.get(c)!;
      const leaseFree = !m.lease || m.released || m.lease.expiresAt < now;
      const claimFree = m.claimAt === undefined || m.claimAt <= now - GRACE;
      return leaseFree && claimFree;
    };
    /** Invocations Lambda lost or delayed; they may still turn up in a later round. */
    let delayed: { connector: string; owner: string }[] = [];
    let launchedSomething = 0;
    let deferredRounds = 0;

    for (round = 1; round <= 60; round++) {
      const due = new Map(CONNECTORS.map((c) => [c, round === 1 ? true : launchDue(c)]));
      // Both coordinators at once; a random one of them starts a random few ms late, so
      // the interleavings of their reads and conditional writes differ from round to round.
      const late = Math.floor(random() * 2);
      const jitter = Math.floor(random() * 4);
      const before = launches.length;
      await Promise.all(
        coordinators.map(async (deps, i) => {
          if (i === late && jitter > 0) await new Promise((r) => setTimeout(r, jitter));
          await reconcile(deps);
        }),
      );
      const launched = launches.slice(before);

      // Never two launches of one task in this window; exactly one when it was due.
      for (const c of CONNECTORS) {
        const mine = launched.filter((l) => l.connector === c);
        expect(mine.length, `round ${round}: launches of ${c}`).toBe(due.get(c) ? 1 : 0);
        if (mine.length) model.get(c)!.claimAt = now;
        else if (!due.get(c)) deferredRounds++;
      }
      launchedSomething += launched.length;

      // The launched workers run (or are lost); late duplicates of lost ones compete with them.
      const attempts: { connector: string; owner: string }[] = [];
      for (const l of launched) {
        const owner = `worker-${round}-${l.coordinator}`;
        if (random() < 0.25) delayed.push({ connector: l.connector, owner });
        else attempts.push({ connector: l.connector, owner });
      }
      const arriving = delayed.filter(() => random() < 0.3);
      delayed = delayed.filter((l) => !arriving.includes(l));
      attempts.push(...arriving);
      const results = await Promise.all(attempts.map(async (a) => ({ ...a, grant: await store.acquireLease(a.connector, 0, a.owner, TTL) })));
      for (const c of CONNECTORS) {
        const won = results.filter((r) => r.connector === c && r.grant);
        const tried = results.filter((r) => r.connector === c).length;
        const m = model.get(c)!;
        const free = !m.lease || m.released || m.lease.expiresAt < now;
        expect(won.length, `round ${round}: leases granted for ${c}`).toBe(tried > 0 && free ? 1 : 0);
        if (won.length) {
          const grant = won[0].grant!;
          // No other grant of this task is live at this moment.
          for (const g of grants.filter((g) => g.connector === c)) expect(g.until < now, `round ${round}: ${c} epoch ${g.epoch} still live`).toBe(true);
          if (m.lease) expect(grant.epoch).toBeGreaterThan(m.lease.epoch);
          m.lease = grant;
          m.released = false;
          m.claimAt = undefined;
          grants.push({ connector: c, epoch: grant.epoch, from: now, until: grant.expiresAt });
        }
        // The store agrees with the model.
        const task = (await store.getTask(c, 0))!;
        const live = m.lease && !m.released ? m.lease : undefined;
        expect(task.lease?.epoch, `round ${round}: stored lease of ${c}`).toBe(live?.epoch);
      }

      // Between rounds: each live lease is released, renewed or left alone; then time moves
      // a little (leases live, claims young) or a lot (everything expired).
      for (const c of CONNECTORS) {
        const m = model.get(c)!;
        if (!m.lease || m.released || m.lease.expiresAt < now) continue;
        const action = random();
        if (action < 0.35) {
          await store.releaseLease(c, 0, m.lease.epoch);
          m.released = true;
          grants.find((g) => g.connector === c && g.epoch === m.lease!.epoch)!.until = now - 1;
        } else if (action < 0.55) {
          m.lease = await store.renewLease(c, 0, m.lease.epoch, TTL);
          grants.find((g) => g.connector === c && g.epoch === m.lease!.epoch)!.until = m.lease.expiresAt;
        }
      }
      const step = random();
      now += step < 0.4 ? Math.floor(GRACE / 3) : step < 0.7 ? GRACE + 1 : TTL + 1;
    }

    // Not vacuous: many launches happened, and many rounds rightly launched nothing.
    expect(launchedSomething).toBeGreaterThan(30);
    expect(deferredRounds).toBeGreaterThan(10);
    // Both coordinators won some races.
    expect(new Set(launches.map((l) => l.coordinator)).size).toBe(2);
    // Epochs strictly increase per connector.
    for (const c of CONNECTORS) {
      const epochs = grants.filter((g) => g.connector === c).map((g) => g.epoch);
      expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
      expect(new Set(epochs).size).toBe(epochs.length);
    }
  });
});

describe('two coordinators at once, real worker invocations', () => {
  const LAUNCH_GRACE_MS = 1500;
  let dev: DevHarness;
  let lambda: LambdaClient;

  beforeAll(async () => {
    dev = await DevHarness.start({
      // The stack's own schedule stays out of the way: only our two coordinators launch.
      schedulePeriodMs: 3_600_000,
      workerTimeoutMs: 5000,
      functionEnv: {
        SLIPWAY_LEASE_TTL_MS: '2000',
        SLIPWAY_LEASE_RENEW_MS: '500',
        SLIPWAY_SAFETY_BUFFER_MS: '1000',
        SLIPWAY_OFFSET_FLUSH_INTERVAL_MS: '200',
        SLIPWAY_LAUNCH_GRACE_MS: String(LAUNCH_GRACE_MS),
      },
    });
    lambda = new LambdaClient({ endpoint: dev.stack.edgeEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });

  afterAll(async () => {
    lambda?.destroy();
    await dev?.close();
  });

  it('hand-offs, a kill -9 and 2 coordinators every 150 ms: one live invocation at a time, no line lost', async () => {
    onTestFailed(() => dev.logs.print());
    const { writer, topic } = await dev.streamingFileSource('contested');

    const invoke = createAsyncInvoker<WorkerEvent>(lambda, 'slipway-worker');
    const launches: { coordinator: string; at: number }[] = [];
    const coordinator = (id: string): CoordinatorDeps => ({
      store: dev.store,
      registry: createRuntimeRegistry(),
      invokeWorker: async (event) => {
        launches.push({ coordinator: id, at: Date.now() });
        await invoke(event);
      },
      clock: Date.now,
      logger: silent,
      coordinatorId: id,
      env: {},
      settings: { ...defaultCoordinatorSettings, launchGraceMs: LAUNCH_GRACE_MS },
    });
    const coordinators = [coordinator('coordinator-a'), coordinator('coordinator-b')];

    writer.startAppending('line', 30);
    const started = Date.now();
    let rounds = 0;
    let killed: { pid: number; workerId: string; at: number; bytes: number } | undefined;
    while (Date.now() - started < 16_000) {
      // Which one starts first changes from round to round.
      const order = rounds % 2 ? coordinators : [...coordinators].reverse();
      await Promise.all(order.map((deps) => reconcile(deps)));
      rounds++;
      if (!killed && Date.now() - started > 6_000) {
        const lease = await dev.liveLease('contested');
        process.kill(lease.pid, 'SIGKILL');
        killed = { pid: lease.pid, workerId: lease.owner, at: Date.now(), bytes: writer.bytes };
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    writer.stopAppending();
    // Let the chain settle: whatever runs now reaches the end of the file.
    for (;;) {
      await Promise.all(coordinators.map((deps) => reconcile(deps)));
      if (writer.texts().every((t) => topic.has(t))) break;
      if (Date.now() - started > 50_000) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    await topic.waitForAll(writer.texts(), { timeoutMs: 5_000 });
    expect(rounds).toBeGreaterThan(30);
    expect(killed).toBeDefined();

    // Each acquisition took a new epoch, in order, one worker at a time.
    const acquired = dev.logs.find('worker', 'lease acquired', { connector: 'contested' });
    const epochs = acquired.map((l) => l.epoch!);
    expect(new Set(epochs).size).toBe(epochs.length);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect(acquired.length).toBeGreaterThanOrEqual(4); // the first, hand-offs and the failover

    // Two launches of the task are either a launch grace apart, or the lease was
    // taken (and given up or lost) in between: never two in one expiry window.
    const sorted = [...launches].sort((a, b) => a.at - b.at);
    for (let i = 1; i < sorted.length; i++) {
      const [prev, next] = [sorted[i - 1], sorted[i]];
      const acquiredBetween = acquired.some((l) => l.ts >= prev.at && l.ts <= next.at);
      expect(next.at - prev.at >= LAUNCH_GRACE_MS || acquiredBetween, `launches at ${prev.at} (${prev.coordinator}) and ${next.at} (${next.coordinator})`).toBe(true);
    }
    // After the kill a new invocation took over: one of our coordinators' launches, or a
    // successor the killed worker had already invoked (it starts handoffLeadMs before its
    // deadline and waits for the lease).
    expect(acquired.some((l) => l.ts > killed!.at)).toBe(true);

    // Counting: every line is there. Hand-offs commit before they release, so only
    // the kill -9 may replay, and only lines between the offset the next worker
    // resumed from and what had been written by the time of the kill.
    const after = acquired.find((l) => l.ts > killed!.at)!;
    const resumedFrom = dev.logs.find('worker', 'file source starting', { workerId: after.workerId }).find((l) => l.ts >= after.ts)?.position as number;
    expectDelivered(writer.lines, topic.values(), between(resumedFrom, killed!.bytes));
    await waitFor(async () => (await dev.fileOffset('contested'))?.position === writer.bytes, { what: 'the final offset stored' });
  });
});
