// Issue 4: "A restart mid-snapshot (kill -9) resumes from the chunk. A restart
// mid-transaction loses no row." With real processes: `slipway dev` in this
// process (broker, dynalite, Lambda emulator, coordinator schedule, REST API),
// the worker invocations in child processes of the emulator, and a private
// MariaDB writing a row binlog. A MariaDbConnector is created through the REST
// API; its worker child is killed with SIGKILL while it is inside the snapshot,
// and again while it is inside one big transaction of the binlog.
//
// Offsets are stored after every acknowledged poll (offset flush interval 0),
// so a kill -9 repeats at most one poll: max.batch.size records. Counting is
// done on the table topic in its order, by primary key. What the first worker
// sent is 1..M in order; the invocation the coordinator starts after the lease
// expires must go on at exactly K+1, K being the key in the offset stored when
// the worker died, so the topic must read 1..M, K+1..N: every row, and
// duplicates exactly K+1..M, at most one poll of them. A resume from zero, or
// one past a chunk it had not sent, breaks that shape.
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { DevHarness, isAlive, type TopicReader } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';
import { mariaDbConnectorConfig, useTestMariaDb } from '../helpers/mariadb.js';

const CHUNK = 500;
const BATCH = 500;

interface Change {
  id: number;
  op: string;
  /** Its offset in the topic. */
  offset: number;
  /** When the worker sent it: the producer's clock (the connector sets no timestamp). */
  sentAt: number;
  /** The binlog event's own position (streaming) and the row's index in it. */
  pos: number;
  row: number;
}

/** Records already parsed, per reader (the topics run to tens of thousands of records). */
const parsed = new WeakMap<TopicReader, Change[]>();

/** The topic's change events in topic order. */
function changes(topic: TopicReader): Change[] {
  let list = parsed.get(topic);
  if (!list) parsed.set(topic, (list = []));
  for (let i = list.length; i < topic.records.length; i++) {
    const r = topic.records[i]!;
    const v = JSON.parse(r.value) as { op: string; after: { id: number }; source: { pos: number; row: number } };
    list.push({ id: v.after.id, op: v.op, offset: r.offset, sentAt: r.timestamp, pos: v.source.pos, row: v.source.row });
  }
  return [...list].sort((a, b) => a.offset - b.offset);
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Waits until the topic holds every key first..last; on timeout says which are missing. */
async function untilAllKeys(topic: TopicReader, first: number, last: number): Promise<void> {
  const missing = () => {
    const seen = new Set(changes(topic).map((c) => c.id));
    return range(first, last).filter((id) => !seen.has(id));
  };
  await waitFor(() => missing().length === 0, { what: `keys ${first}..${last}`, timeoutMs: 60_000, intervalMs: 250 }).catch((err: Error) => {
    const m = missing();
    throw new Error(`${err.message}: ${m.length} missing, first ${m.slice(0, 5).join(', ')}`);
  });
}

/** The index of the first difference of two id lists, with the ids there; undefined when equal. */
function firstDifference(got: number[], wanted: number[]) {
  const n = Math.max(got.length, wanted.length);
  for (let i = 0; i < n; i++) if (got[i] !== wanted[i]) return { index: i, got: got[i], wanted: wanted[i], gotLength: got.length, wantedLength: wanted.length };
  return undefined;
}

/**
 * Counts `records` (keys first..last, in topic order) around a kill at `killedAt`,
 * after which the task must go on after key `resumeAfter`: the killed worker sent
 * first..M in order, and everything since is resumeAfter+1..last in order. So no
 * key is lost and the duplicates are exactly resumeAfter+1..M.
 */
function expectResumedAfter(records: Change[], killedAt: number, first: number, resumeAfter: number, last: number): { sentBeforeKill: number; duplicates: number } {
  const before = records.filter((c) => c.sentAt <= killedAt).map((c) => c.id);
  const after = records.filter((c) => c.sentAt > killedAt).map((c) => c.id);
  // The dead worker's records all precede the next invocation's in the topic.
  expect(records.findIndex((c) => c.sentAt > killedAt)).toBe(before.length);
  const sentBeforeKill = first + before.length - 1;
  expect(firstDifference(before, range(first, sentBeforeKill)), 'what the killed worker sent').toBeUndefined();
  // Offsets are stored only for acknowledged records: it had sent at least that far.
  expect(sentBeforeKill).toBeGreaterThanOrEqual(resumeAfter);
  expect(after[0], 'the first key after the kill').toBe(resumeAfter + 1);
  expect(firstDifference(after, range(resumeAfter + 1, last)), 'what was sent after the kill').toBeUndefined();
  return { sentBeforeKill, duplicates: sentBeforeKill - resumeAfter };
}

describe('kill -9 of a CDC worker (issue 4)', () => {
  const mariadb = useTestMariaDb();
  let dev: DevHarness;
  let admin: Admin;
  let serverId = 8400;

  beforeAll(async () => {
    dev = await DevHarness.start({ schedulePeriodMs: 500, functionEnv: { SLIPWAY_OFFSET_FLUSH_INTERVAL_MS: '0' } });
    admin = dev.kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await dev?.close();
  });

  const topicEnd = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);

  /**
   * Waits until `topic` holds at least `count` records, then, for at most `catchMs`,
   * for a moment when the worker has records out that its stored offset does not
   * cover yet: the topic grew since the last look and the offset did not change.
   * Whether that moment was caught is returned: a kill right then leaves duplicates,
   * unless the commit lands first (a kill just after a commit leaves none).
   */
  async function partway(name: string, topic: string, count: number, what: string, catchMs = 3_000): Promise<boolean> {
    await waitFor(async () => (await admin.listTopics()).includes(topic), { what: `topic ${topic}`, timeoutMs: 60_000, intervalMs: 20 });
    await waitFor(async () => (await topicEnd(topic)) >= count, { what, timeoutMs: 60_000, intervalMs: 10 });
    const offsetNow = async () => JSON.stringify((await dev.store.readOffsets(name))[0]?.offset);
    let last = { end: await topicEnd(topic), offset: await offsetNow() };
    const until = Date.now() + catchMs;
    while (Date.now() < until) {
      const now = { end: await topicEnd(topic), offset: await offsetNow() };
      if (now.end > last.end && now.offset === last.offset) return true;
      last = now;
    }
    return false;
  }

  async function createConnector(name: string, database: string): Promise<void> {
    const user = await mariadb().db.createCdcUser('cdc', 'cdc-pw');
    const res = await dev.api('POST', '/connectors', {
      name,
      config: mariaDbConnectorConfig(user, { serverId: serverId++, prefix: name, bootstrap: dev.stack.bootstrap }, {
        'database.include.list': database,
        'snapshot.chunk.size': String(CHUNK),
        'max.batch.size': String(BATCH),
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': 'false',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'false',
      }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }

  async function storedOffset(name: string): Promise<Record<string, unknown> | undefined> {
    const [o] = await dev.store.readOffsets(name);
    return (o?.offset as Record<string, unknown> | null) ?? undefined;
  }

  /** The worker holding the task: a live child process of the emulator. */
  async function workerChild(name: string) {
    const lease = await dev.liveLease(name);
    expect(dev.stack.emulator.environments().some((e) => e.pid === lease.pid && e.busy)).toBe(true);
    return lease;
  }

  /** kill -9; returns the time just before it: every record the process sent carries an earlier or equal timestamp. */
  async function kill9(pid: number): Promise<number> {
    const at = Date.now();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { what: `worker ${pid} gone` });
    return at;
  }

  /**
   * kill -9 of the worker, then the invocation the coordinator starts once its lease
   * expired. Returns the offset the dead worker left: the last one stored under its
   * epoch before the next invocation re-stamped it (a commit it had sent just before
   * dying may still land after the kill), and what the next invocation started from.
   */
  async function killAndResume(name: string, worker: { pid: number; epoch: number }, whileDead: () => Promise<unknown> = async () => undefined) {
    const killedAt = await kill9(worker.pid);
    const left: Array<Record<string, unknown>> = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [o] = await dev.store.readOffsets(name);
        if (o?.epoch === worker.epoch && JSON.stringify(o.offset) !== JSON.stringify(left.at(-1))) left.push(o.offset as Record<string, unknown>);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      // Nobody has the task meanwhile.
      expect((await dev.task(name))!.lease?.epoch).toBe(worker.epoch);
      await whileDead();
      expect((await dev.task(name))!.lease?.epoch).toBe(worker.epoch);
      const next = await dev.liveLease(name, { after: worker.epoch, timeoutMs: 30_000 });
      const starting = await waitFor(() => dev.logs.find('worker', 'mysql cdc task starting', { workerId: next.owner, connector: name }).at(-1), { what: 'the next invocation starting' });
      watching = false;
      await watcher;
      expect(dev.logs.find('worker', 'lease acquired', { connector: name }).filter((l) => l.ts >= killedAt).map((l) => l.epoch)).toEqual([next.epoch]);
      expect(left.length, 'offsets stored by the dead worker, seen after the kill').toBeGreaterThan(0);
      return { killedAt, next, crash: left.at(-1)!, landedAfterKill: left.length - 1, startedFrom: starting.offset as Record<string, unknown> };
    } finally {
      watching = false;
      await watcher;
    }
  }

  it('mid-snapshot: the next invocation resumes after the last committed row, not from zero; every row arrives', { timeout: 120_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const ROWS = 80_000;
    const { db } = mariadb();
    await db.query(`CREATE DATABASE snap; CREATE TABLE snap.big (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL); INSERT INTO snap.big SELECT seq, CONCAT('row-', seq) FROM snap.seq_1_to_${ROWS}`);
    const t0 = Date.now();
    await createConnector('snapcrash', 'snap');
    const worker = await workerChild('snapcrash');

    // Partway, at a moment that has nothing to do with the worker's commits (it may
    // have records out that its stored offset does not cover yet).
    const uncommitted = await partway('snapcrash', 'snapcrash.snap.big', 15_000, 'the snapshot partway');
    const { killedAt, next, crash, landedAfterKill, startedFrom } = await killAndResume('snapcrash', worker);

    // The offset left behind: a snapshot position well past zero, and exactly where the
    // next invocation continued the table.
    expect(crash).toMatchObject({ snapshot: true, snapshot_completed: false, snapshot_table: 'snap.big' });
    const [resumeAfter] = JSON.parse(crash.snapshot_last_key as string) as [number];
    expect(resumeAfter).toBeGreaterThanOrEqual(10_000);
    expect(resumeAfter).toBeLessThan(ROWS);
    expect(startedFrom).toMatchObject({ kind: 'snapshot', progress: { table: 'snap.big', lastKey: [resumeAfter] } });
    const continues = await waitFor(() => dev.logs.find('worker', 'snapshot continues', { workerId: next.owner, connector: 'snapcrash' })[0], { what: 'the snapshot continuing' });
    expect(continues).toMatchObject({ table: 'snap.big', lastKey: [resumeAfter] });
    const topic = await dev.reader('snapcrash.snap.big');

    await untilAllKeys(topic, 1, ROWS);
    await waitFor(async () => (await storedOffset('snapcrash'))?.snapshot_completed === true, { what: 'the snapshot completed' });
    const all = changes(topic);
    expect(all.every((c) => c.op === 'r')).toBe(true);
    expect(new Set(all.map((c) => c.id)).size).toBe(ROWS);
    const { sentBeforeKill, duplicates } = expectResumedAfter(all, killedAt, 1, resumeAfter, ROWS);
    expect(all.length).toBe(ROWS + duplicates);
    // At most one poll again, against the thousands of rows it did not repeat.
    expect(duplicates).toBeLessThanOrEqual(BATCH);
    console.info(
      `mid-snapshot: ${ROWS} rows; killed with key ${resumeAfter} stored (${landedAfterKill} commits landed after the kill) and ${sentBeforeKill} sent (kill ${uncommitted ? 'with records out uncommitted' : 'at any moment'}); ${duplicates} duplicates; ${all.length} records; ${Date.now() - t0} ms`,
    );
  });

  it('mid-transaction: the next invocation skips exactly what was sent of the transaction; no row is lost', { timeout: 120_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const BEFORE = 100;
    const TX = 20_000;
    const AFTER = 200;
    const last = BEFORE + TX + AFTER;
    const { db } = mariadb();
    await db.query(`CREATE DATABASE tx; CREATE TABLE tx.t (id INT PRIMARY KEY, v VARCHAR(32) NOT NULL); INSERT INTO tx.t SELECT seq, CONCAT('row-', seq) FROM tx.seq_1_to_${BEFORE}`);
    const t0 = Date.now();
    await createConnector('txcrash', 'tx');
    const topic = await dev.reader('txcrash.tx.t');
    await waitFor(async () => (await storedOffset('txcrash'))?.snapshot_completed === true && topic.records.length >= BEFORE, { what: 'the snapshot done', timeoutMs: 60_000 });
    const worker = await workerChild('txcrash');

    // One transaction of TX rows, streamed in polls of BATCH; kill the worker a few
    // thousand rows into it.
    const [status] = (await db.query('SHOW MASTER STATUS')) as [{ File: string; Position: number }];
    await db.query(`START TRANSACTION; INSERT INTO tx.t SELECT seq, CONCAT('row-', seq) FROM tx.seq_${BEFORE + 1}_to_${BEFORE + TX}; COMMIT`);
    const uncommitted = await partway('txcrash', 'txcrash.tx.t', BEFORE + 3_000, 'the transaction partway', 1_000);
    // Rows committed while no worker runs come after the transaction.
    const { killedAt, crash, landedAfterKill, startedFrom } = await killAndResume('txcrash', worker, () =>
      db.query(`INSERT INTO tx.t SELECT seq, CONCAT('row-', seq) FROM tx.seq_${BEFORE + TX + 1}_to_${last}`),
    );
    // Left behind: the transaction's start and how far into it (row events, rows), and
    // exactly where the next invocation started.
    expect(crash).toMatchObject({ file: status.File, pos: status.Position });
    const event = Number(crash.event);
    const row = Number(crash.row ?? 0);
    expect(event).toBeGreaterThanOrEqual(1);
    expect(startedFrom).toMatchObject({ kind: 'streaming', position: { file: status.File, pos: status.Position, event, row } });

    await untilAllKeys(topic, 1, last);
    const all = changes(topic);
    expect(new Set(all.map((c) => c.id)).size).toBe(last);
    expect(all.slice(0, BEFORE).map((c) => [c.id, c.op])).toEqual(range(1, BEFORE).map((id) => [id, 'r']));
    const streamed = all.slice(BEFORE);
    expect(streamed.every((c) => c.op === 'c')).toBe(true);

    // The row the stored offset points at: row `row` of the transaction's row event
    // number `event` (0-based), or the first row of the next event when that one was
    // done, found by the binlog event positions the records carry.
    const ofTx = streamed.filter((c) => c.id <= BEFORE + TX);
    const eventPositions = [...new Set(ofTx.map((c) => c.pos))];
    const target = ofTx.find((c) => c.pos === eventPositions[event] && c.row === row) ?? ofTx.find((c) => c.pos === eventPositions[event + 1] && c.row === 0);
    expect(target, `the row at event ${event}, row ${row} of the transaction`).toBeDefined();
    const resumeAfter = target!.id - 1;
    const { sentBeforeKill, duplicates } = expectResumedAfter(streamed, killedAt, BEFORE + 1, resumeAfter, last);
    expect(all.length).toBe(last + duplicates);
    expect(duplicates).toBeLessThanOrEqual(BATCH);
    console.info(
      `mid-transaction: ${TX} rows in one transaction; killed with event ${event} row ${row} stored (= after id ${resumeAfter}; ${landedAfterKill} commits landed after the kill) and ${sentBeforeKill} sent (kill ${uncommitted ? 'with records out uncommitted' : 'at any moment'}); ${duplicates} duplicates; ${all.length} records; ${Date.now() - t0} ms`,
    );
  });
});
