// The MySQL/MariaDB CDC connector among other readers and across server
// events, run by real worker invocations in-process (dynalite, the embedded
// broker, private MariaDBs): two connectors streaming one server at the same
// time, each with its own server id, topic prefix and include lists; a server
// restart in the middle of a large transaction, and an invocation that ends in
// the middle of one; snapshot.mode=always starting over with a new connector
// config, also in the middle of a snapshot; and the binlog purged under a stored
// position with each snapshot mode that mysql-cdc-recovery.test.ts does not
// cover (initial and when_needed are there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { runWorkerInvocation, type WorkerResult } from '../../src/runtime/worker.js';
import { waitFor } from '../helpers/env.js';
import { startTestMariaDb, type TestMariaDb } from '../helpers/mariadb.js';
import { defaultCoordinatorSettings, reconcile } from '../../src/runtime/coordinator.js';
import { connectorConfig, createConnector, invoke, kafka, keyPayload, logger, payload, readTopic, registry, store, topicSize, untilRecords, useCdcHarness, workerDeps, type Message } from '../helpers/cdc.js';

const mariadb = useCdcHarness({ serverIdBase: 9400 });

/** An invocation whose log lines (info and up) are kept in `lines`, as JSON objects. */
function invokeLogged(name: string, ms: number, lines: Array<Record<string, unknown>>): Promise<WorkerResult> {
  const logger = createLogger('test', { level: 'info', write: (line) => lines.push(JSON.parse(line)) });
  return runWorkerInvocation({ connector: name, task: 0 }, () => ms, { ...workerDeps(), logger });
}

async function topicsStartingWith(prefix: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort();
  } finally {
    await admin.disconnect();
  }
}

describe('two connectors on one server', () => {
  it('stream at the same time, each with its own server id, prefix and include lists: all and only its rows, neither disturbing the other', async () => {
    const { db } = mariadb();
    await db.query('CREATE DATABASE topoa; CREATE DATABASE topob');
    await db.query('CREATE TABLE topoa.orders (id INT PRIMARY KEY, amount INT NOT NULL); CREATE TABLE topob.kept (id INT PRIMARY KEY, note VARCHAR(20)); CREATE TABLE topob.ignored (id INT PRIMARY KEY)');
    const a = await connectorConfig('tpa', { 'database.include.list': 'topoa' });
    const b = await connectorConfig('tpb', { 'database.include.list': 'topob', 'table.include.list': 'topob.kept' });
    expect(a['database.server.id']).not.toBe(b['database.server.id']);
    await createConnector('topa', a);
    await createConnector('topb', b);
    const lines: Array<Record<string, unknown>> = [];
    // Snapshots of the empty tables first, so that every row below is streamed (exactly once).
    expect((await Promise.all([invokeLogged('topa', 1_500, lines), invokeLogged('topb', 1_500, lines)])).map((r) => r.outcome)).toEqual(['handed-off', 'handed-off']);

    // Transactions touching both databases, and a DDL statement of each, while both connectors' invocations come and go.
    let n = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        n++;
        await db.query(`BEGIN; INSERT INTO topoa.orders (id, amount) VALUES (${n}, ${n * 10}); INSERT INTO topob.kept VALUES (${n}, 'k${n}'); INSERT INTO topob.ignored (id) VALUES (${n}); COMMIT`);
        if (n % 4 === 0) await db.query(`UPDATE topoa.orders SET amount = amount + 1 WHERE id = ${n}`);
        if (n === 20) await db.query("ALTER TABLE topoa.orders ADD COLUMN currency CHAR(3) NOT NULL DEFAULT 'EUR'; ALTER TABLE topob.ignored ADD COLUMN extra INT");
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const dumpThreads = async () => ((await db.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'")) as [{ n: number }])[0].n;
    const run = async (name: string) => {
      const outcomes: WorkerResult[] = [];
      for (let i = 0; i < 3; i++) outcomes.push(await invokeLogged(name, 1_500, lines));
      return outcomes;
    };
    let outcomes: WorkerResult[][];
    try {
      const both = waitFor(async () => (await dumpThreads()) >= 2, { timeoutMs: 20_000, what: 'both connectors reading the binlog at once' });
      outcomes = await Promise.all([run('topa'), run('topb'), both.then(() => [])]);
    } finally {
      writing = false;
      await writer;
    }
    expect(n).toBeGreaterThan(20);
    const updates = Math.floor(n / 4);
    await untilRecords('topa', 'tpa.topoa.orders', n + updates);
    await untilRecords('topb', 'tpb.topob.kept', n);
    expect(outcomes.flat().map((o) => o.outcome)).toEqual(Array(6).fill('handed-off'));

    // Each its own tables only, each row once.
    expect(await topicsStartingWith('tpa.')).toEqual(['tpa.history', 'tpa.topoa.orders']);
    expect(await topicsStartingWith('tpb.')).toEqual(['tpb.history', 'tpb.topob.kept']);
    const orders = (await readTopic('tpa.topoa.orders')).map(payload);
    expect(orders.filter((p) => p.op === 'c').map((p) => p.after.id)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(orders.filter((p) => p.op === 'u').map((p) => [p.after.id, p.after.amount])).toEqual(Array.from({ length: updates }, (_, i) => [4 * (i + 1), 40 * (i + 1) + 1]));
    expect(orders.find((p) => p.after.id === 21).after).toEqual({ id: 21, amount: 210, currency: 'EUR' });
    const kept = (await readTopic('tpb.topob.kept')).map(payload);
    expect(kept.map((p) => [p.op, p.after.id, p.after.note])).toEqual(Array.from({ length: n }, (_, i) => ['c', i + 1, `k${i + 1}`]));

    // Schema change events: the snapshot's CREATE TABLE and the ALTER of its own table each, nothing of the other's.
    const changesA = (await readTopic('tpa')).map(payload);
    const changesB = (await readTopic('tpb')).map(payload);
    expect(changesA.map((c) => [c.databaseName, c.tableChanges.map((t: { type: string; id: string }) => `${t.type} ${t.id}`)])).toEqual([
      ['topoa', ['CREATE "topoa"."orders"']],
      ['topoa', ['ALTER "topoa"."orders"']],
    ]);
    expect(changesB.map((c) => [c.databaseName, c.tableChanges.map((t: { type: string; id: string }) => `${t.type} ${t.id}`)])).toEqual([['topob', ['CREATE "topob"."kept"']]]);

    // Neither lost its binlog connection to the other (a shared server id kicks the other reader off: errno 4052).
    expect(lines.filter((l) => /binlog connection (lost|failed)|reconnecting/.test(String(l.msg)))).toEqual([]);
    expect((await store.readOffsets('topa')).map((o) => o.partition)).toEqual([{ server: 'tpa' }]);
    expect((await store.readOffsets('topb')).map((o) => o.partition)).toEqual([{ server: 'tpb' }]);
  });
});

describe('a large transaction', () => {
  // A server of its own: row events of at most 256 bytes, so that one transaction is more binlog events than a
  // reader buffers (10000), and a restart cuts the connection inside it.
  let server: TestMariaDb;
  beforeAll(async () => {
    server = await startTestMariaDb({ extraArgs: ['--binlog-row-event-max-size=256'] });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
  }, 120_000);

  const N = 30_000;
  const PAD = 'p'.repeat(200);
  /** One transaction of N rows with ids from `first`. */
  const bigTransaction = (first: number) =>
    server.db.query(`BEGIN; INSERT INTO big.rows VALUES ${Array.from({ length: N }, (_, i) => `(${first + i}, ${first}, '${PAD}')`).join(',')}; COMMIT`);
  const TOPIC = 'big1.big.rows';

  /** Every row of `ids` arrived; a row seen twice is the same event twice (never a different one), at most `bound` repeats. */
  function expectEachRow(records: Message[], ids: number[], bound: number): void {
    const seen = new Map<number, string>();
    let repeats = 0;
    for (const m of records) {
      const value = JSON.parse(m.value!);
      const id = JSON.parse(m.key!).id as number;
      const event = JSON.stringify({ op: value.op, after: value.after, at: [value.source.file, value.source.pos, value.source.row] });
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        repeats++;
        expect(event, `row ${id} seen twice as different events`).toBe(earlier);
      } else seen.set(id, event);
    }
    expect(ids.filter((id) => !seen.has(id))).toEqual([]);
    expect(repeats).toBeLessThanOrEqual(bound);
  }

  it('survives a server restart while the task reads it, and an invocation ending inside it: every row arrives', async () => {
    const { db } = server;
    await db.query('CREATE DATABASE big; CREATE TABLE big.rows (id INT PRIMARY KEY, tx INT NOT NULL, pad VARCHAR(200) NOT NULL)');
    const user = await db.createCdcUser('cdc', 'cdc-pw');
    const config = await connectorConfig('big1', {
      'database.port': String(user.port),
      'database.user': user.user,
      'database.password': user.password,
      'database.include.list': 'big',
      'snapshot.mode': 'no_data',
      'max.batch.size': '500',
      'key.converter.schemas.enable': 'false',
      'value.converter.schemas.enable': 'false',
    });
    await createConnector('big', config);
    expect((await invoke('big', 1_500)).outcome).toBe('handed-off');

    // 1. The server restarts while the task is inside the transaction: it reconnects, reads the transaction
    //    again from its start and skips the row events it already sent.
    const lines: Array<Record<string, unknown>> = [];
    const running = invokeLogged('big', 8_000, lines);
    await bigTransaction(1);
    await waitFor(async () => (await topicSize(TOPIC)) >= 500, { timeoutMs: 30_000, what: 'the transaction being read' });
    await db.restart();
    const atRestart = await topicSize(TOPIC);
    expect(atRestart).toBeLessThan(N);
    await untilRecords('big', TOPIC, N, running);
    const reconnect = lines.find((l) => l.msg === 'reconnecting to the binlog') as { skip: { event: number; row: number } | null } | undefined;
    expect(reconnect, 'a reconnect after the restart').toBeDefined();
    expect(reconnect!.skip?.event, 'the reconnect resumed inside the transaction').toBeGreaterThan(0);
    expectEachRow(await readTopic(TOPIC), Array.from({ length: N }, (_, i) => i + 1), N);

    // 2. Invocations as short as hand-offs make them: at least one ends inside the next transaction, and its
    //    successor resumes from the stored event and row.
    const before = await topicSize(TOPIC);
    await bigTransaction(N + 1);
    const cuts: Array<Record<string, unknown>> = [];
    // About 0.4 s of reading each (0.7 s less the safety buffer): short enough that one never takes the whole
    // transaction (a 1.2 s one once did, on a quiet machine), long enough to get past connecting on a busy one.
    for (let i = 0; i < 60 && (await topicSize(TOPIC)) < before + N; i++) {
      expect((await invoke('big', 700)).outcome).toBe('handed-off');
      const offset = (await store.readOffsets('big'))[0]!.offset!;
      if (offset.event !== undefined || offset.row !== undefined) cuts.push(offset);
    }
    expect(cuts.length, 'an invocation ended inside the transaction').toBeGreaterThan(0);
    const second = (await readTopic(TOPIC)).slice(before);
    expectEachRow(second, Array.from({ length: N }, (_, i) => N + 1 + i), N);
    expect(second.every((m) => JSON.parse(m.value!).after.tx === N + 1)).toBe(true);
  });
});

describe('snapshot.mode=always', () => {
  it('a new connector config is a new start: a new snapshot from the first table, also over one the previous config left unfinished', async () => {
    const { db } = mariadb();
    const total = 10_000;
    await db.query('CREATE DATABASE alw; CREATE TABLE alw.a (id INT PRIMARY KEY); CREATE TABLE alw.b (id INT PRIMARY KEY); INSERT INTO alw.a VALUES (1), (2)');
    await db.query(`INSERT INTO alw.b VALUES ${Array.from({ length: total }, (_, i) => `(${i + 1})`).join(',')}`);
    const config = await connectorConfig('alw', { 'database.include.list': 'alw', 'table.include.list': 'alw.b', 'snapshot.mode': 'always', 'include.schema.changes': 'false' });
    // Small chunks and batches: the invocation ends in the middle of alw.b.
    await createConnector('always', { ...config, 'snapshot.chunk.size': '7', 'max.batch.size': '2' });
    expect((await invoke('always', 1_200)).outcome).toBe('handed-off');
    expect((await store.readOffsets('always'))[0]!.offset).toMatchObject({ snapshot_completed: false, snapshot_table: 'alw.b' });
    const cut = await topicSize('alw.alw.b');
    expect(cut).toBeGreaterThan(0);
    expect(cut).toBeLessThan(total);

    // alw.a now included: it sorts first, so continuing the unfinished snapshot would never read it.
    await store.putConnectorConfig('always', { name: 'always', ...config, 'table.include.list': 'alw.a,alw.b' });
    await reconcile({ store, registry, invokeWorker: async () => {}, clock: Date.now, logger, coordinatorId: 'coord', env: {}, settings: defaultCoordinatorSettings });
    await untilRecords('always', 'alw.alw.b', cut + total, invoke('always', 3_000));
    const a = (await readTopic('alw.alw.a')).map(payload);
    expect(a.map((p) => [p.op, p.after.id, p.source.snapshot])).toEqual([
      ['r', 1, 'first'],
      ['r', 2, 'true'],
    ]);
    const b = (await readTopic('alw.alw.b')).slice(cut).map(payload);
    expect(b.map((p) => p.after.id)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(b.every((p) => p.op === 'r')).toBe(true);
    expect(b.at(-1).source.snapshot).toBe('last');
    expect((await store.readOffsets('always'))[0]!.offset).toMatchObject({ snapshot_completed: true });
  });
});

// Last in this file: purging the binlog takes the position of every connector above with it.
describe('the binlog purged under a stored position', () => {
  /** What each mode does then, as Debezium documents it (snapshot.mode) and task.ts implements it. */
  const MODES = ['initial_only', 'no_data', 'schema_only', 'never', 'always'] as const;
  type Mode = (typeof MODES)[number];
  const after = new Map<Mode, { result: WorkerResult; before: number; offsetBefore: Record<string, unknown> | null }>();
  const topicOf = (mode: Mode) => `pm_${mode}.pm.${mode}`;

  beforeAll(async () => {
    const { db } = mariadb();
    await db.query('CREATE DATABASE pm');
    for (const mode of MODES) {
      await db.query(`CREATE TABLE pm.${mode} (id INT PRIMARY KEY); INSERT INTO pm.${mode} VALUES (1), (2)`);
      await createConnector(`pm-${mode}`, await connectorConfig(`pm_${mode}`, { 'database.include.list': 'pm', 'table.include.list': `pm.${mode}`, 'snapshot.mode': mode }));
    }
    // A stored position each, then rows, then the binlog holding that position purged.
    expect((await Promise.all(MODES.map((m) => invoke(`pm-${m}`, 2_500)))).map((r) => r.outcome)).toEqual(MODES.map(() => 'handed-off'));
    for (const mode of MODES) await db.query(`INSERT INTO pm.${mode} VALUES (3)`);
    const stored = new Set<string>();
    for (const mode of MODES) stored.add((await store.readOffsets(`pm-${mode}`))[0]!.offset!.file as string);
    await db.query('FLUSH BINARY LOGS');
    const [{ File: current }] = (await db.query('SHOW MASTER STATUS')) as [{ File: string }];
    // The server keeps a file until its crash-recovery checkpoint moved on: purge until it is gone.
    await waitFor(
      async () => {
        await db.query(`PURGE BINARY LOGS TO '${current}'`);
        const files = new Set((await db.query<{ Log_name: string }[]>('SHOW BINARY LOGS')).map((f) => f.Log_name));
        return [...stored].every((f) => !files.has(f));
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${[...stored].join(', ')} purged` },
    );
    const sizes = await Promise.all(MODES.map((m) => topicSize(topicOf(m))));
    const offsets = await Promise.all(MODES.map(async (m) => (await store.readOffsets(`pm-${m}`))[0]!.offset));
    const results = await Promise.all(MODES.map((m) => invoke(`pm-${m}`, 2_500)));
    MODES.forEach((m, i) => after.set(m, { result: results[i]!, before: sizes[i]!, offsetBefore: offsets[i]! }));
  }, 90_000);

  it('initial_only: the snapshot is all it reads, so nothing is missing: no failure, nothing more sent', async () => {
    const { result, before, offsetBefore } = after.get('initial_only')!;
    expect(before).toBe(2);
    expect(result.outcome).toBe('handed-off');
    expect((await store.getTask('pm-initial_only', 0))?.state).toBe('RUNNING');
    expect((await readTopic(topicOf('initial_only'))).map((m) => [payload(m).op, keyPayload(m).id])).toEqual([
      ['r', 1],
      ['r', 2],
    ]);
    expect((await store.readOffsets('pm-initial_only'))[0]!.offset).toEqual(offsetBefore);
  });

  it('always: takes a new snapshot, as at every start, instead of failing', async () => {
    const { result, before, offsetBefore } = after.get('always')!;
    expect(before).toBe(2);
    expect(result.outcome).toBe('handed-off');
    expect((await store.getTask('pm-always', 0))?.state).toBe('RUNNING');
    const records = (await readTopic(topicOf('always'))).map(payload);
    // The snapshot of the first invocation, then a new one with the row whose insert was purged.
    expect(records.map((p) => [p.op, p.after.id, p.source.snapshot])).toEqual([
      ['r', 1, 'first'],
      ['r', 2, 'last'],
      ['r', 1, 'first'],
      ['r', 2, 'true'],
      ['r', 3, 'last'],
    ]);
    // Its offset moved to the new snapshot's position, on a binlog file the server has.
    expect((await store.readOffsets('pm-always'))[0]!.offset!.file).not.toBe(offsetBefore!.file);
  });

  for (const mode of ['no_data', 'schema_only', 'never'] as const) {
    it(`${mode}: fails the task with a trace naming snapshot.mode=when_needed, sending nothing and keeping the offset`, async () => {
      const { result, before, offsetBefore } = after.get(mode)!;
      // never streamed the two rows from the oldest binlog; no_data / schema_only read structures only.
      expect(before).toBe(mode === 'never' ? 2 : 0);
      expect(result.outcome).toBe('failed');
      const task = await store.getTask(`pm-${mode}`, 0);
      expect(task?.state).toBe('FAILED');
      expect(task?.trace).toMatch(/is no longer on the server/);
      expect(task?.trace).toContain('snapshot.mode=when_needed');
      expect(await topicSize(topicOf(mode))).toBe(before);
      expect((await store.readOffsets(`pm-${mode}`))[0]!.offset).toEqual(offsetBefore);
    });
  }
});
