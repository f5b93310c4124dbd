// Issue 5's chaos for the sink path: "kill -9 of the sink invocation mid-batch.
// Restart of the target database mid-stream. Neither loses a row."
//
// `slipway dev` (DevHarness: functions in real child processes) runs a JDBC sink
// created through the REST API; the coordinator gives it an alias and an event
// source mapping, and the emulator's kafkajs poller invokes slipway-sink with
// batches of a 2-partition topic. Every key is produced with v1, then the even
// keys again with v2 (same key, same partition), so the table must end with
// exactly the keys produced, odd keys at v1 and even keys at v2. Whatever phase
// a failure hits, a lost batch shows: a lost v1 batch as missing odd keys, a lost
// v2 batch as even keys left at v1; an older record applied after a newer one
// (per-partition order broken) as an even key at v1.
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMariaDb, type MariaDb } from '../../src/local/mariadb.js';
import { DevHarness, isAlive } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';
import { startTestMariaDb, type TestMariaDb } from '../helpers/mariadb.js';

const KEYS = 20_000;
const DATABASE = 'sinkchaos';
const USER = 'sinker';
const PASSWORD = 'sinker-pw';

const keySchema = { type: 'struct', name: 'Key', optional: false, fields: [{ field: 'id', type: 'int32', optional: false }] };
const valueSchema = {
  type: 'struct',
  name: 'Value',
  optional: false,
  fields: [
    { field: 'val', type: 'string', optional: false },
    { field: 'ver', type: 'int32', optional: false },
  ],
};
const keyOf = (id: number) => JSON.stringify({ schema: keySchema, payload: { id } });
const valueOf = (id: number, ver: number) => JSON.stringify({ schema: valueSchema, payload: { val: `k${id}-v${ver}`, ver } });

describe('chaos: the JDBC sink under slipway dev loses no row', () => {
  let dev: DevHarness;
  let test: TestMariaDb;
  /** The server now answering on the test's dir and port (another object after a stop and start). */
  let db: MariaDb;

  beforeAll(async () => {
    [dev, test] = await Promise.all([DevHarness.start(), startTestMariaDb()]);
    db = test.db;
    await db.query(`CREATE DATABASE ${DATABASE}`);
    await db.createCdcUser(USER, PASSWORD, { grants: ['ALL PRIVILEGES'] });
  }, 180_000);

  afterAll(async () => {
    try {
      if (db !== test?.db) await db?.stop().catch(() => db.kill());
      await test?.close();
    } finally {
      await dev?.close();
    }
  }, 120_000);

  async function produceVersions(topic: string): Promise<void> {
    const admin = dev.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = dev.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const ids = Array.from({ length: KEYS }, (_, i) => i);
    for (const ver of [1, 2]) {
      const batchIds = ver === 1 ? ids : ids.filter((id) => id % 2 === 0);
      for (let i = 0; i < batchIds.length; i += 2_000) {
        await producer.send({ topic, messages: batchIds.slice(i, i + 2_000).map((id) => ({ key: keyOf(id), value: valueOf(id, ver) })) });
      }
    }
    await producer.disconnect();
  }

  async function createSink(name: string, topic: string, extra: Record<string, string> = {}): Promise<void> {
    const res = await dev.api('POST', '/connectors', {
      name,
      config: {
        'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
        topics: topic,
        'connection.url': `jdbc:mariadb://${db.host}:${db.port}/${DATABASE}`,
        'connection.user': USER,
        'connection.password': PASSWORD,
        'insert.mode': 'upsert',
        'pk.mode': 'record_key',
        'auto.create': 'true',
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': 'true',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter.schemas.enable': 'true',
        'consumer.override.max.poll.records': '500',
        ...extra,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }

  async function rowCount(table: string): Promise<number> {
    const rows = await db.query<Array<{ n: number | string }>>(`SELECT COUNT(*) AS n FROM \`${DATABASE}\`.\`${table}\``);
    return Number(rows[0]!.n);
  }

  /** Rows in the table, and rows in their final version. */
  async function counts(table: string): Promise<[number, number]> {
    const [row] = await db.query<Array<{ n: number | string; f: number | string | null }>>(
      `SELECT COUNT(*) AS n, SUM(ver = IF(id % 2 = 0, 2, 1)) AS f FROM \`${DATABASE}\`.\`${table}\``,
    );
    return [Number(row!.n), Number(row!.f ?? 0)];
  }

  /** The final state (odd keys at v1, even keys at v2): waits until every key has it; then checks there is nothing else. */
  async function expectFinalTable(table: string, timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const rows = await db.query<Array<{ n: number | string }>>(`SELECT COUNT(*) AS n FROM \`${DATABASE}\`.\`${table}\` WHERE ver = IF(id % 2 = 0, 2, 1)`);
        return Number(rows[0]!.n) === KEYS;
      },
      { what: `${KEYS} rows in their final version in ${table}`, timeoutMs, intervalMs: 250 },
    ).catch(async (err: Error) => {
      const [row] = await db
        .query<Array<{ n: number; v1: number; v2: number }>>(`SELECT COUNT(*) AS n, SUM(ver = 1) AS v1, SUM(ver = 2) AS v2 FROM \`${DATABASE}\`.\`${table}\``)
        .catch(() => [undefined]);
      dev.logs.print(60);
      throw new Error(`${err.message}; table holds ${JSON.stringify(row)}`);
    });
    const rows = await db.query<Array<{ id: number; val: string; ver: number }>>(`SELECT id, val, ver FROM \`${DATABASE}\`.\`${table}\` ORDER BY id`);
    expect(rows.length, 'rows in the table').toBe(KEYS);
    const wrong = rows.filter((r, i) => r.id !== i || r.ver !== (i % 2 === 0 ? 2 : 1) || r.val !== `k${i}-v${r.ver}`);
    expect(wrong.slice(0, 5), 'rows with a wrong key or value').toEqual([]);
  }

  const sinkEnvs = () => dev.stack.emulator.environments().filter((e) => e.functionName === 'slipway-sink');

  it('kill -9 of the sink child mid-batch: the batch is delivered again by a new environment, per-partition order kept', async () => {
    const topic = 'kill_orders';
    await produceVersions(topic);
    await createSink('kill-sink', topic);

    // A busy sink environment while the table holds some rows but is not yet final: the
    // counts are polled on the side, so the busy check and the kill happen in the same tick.
    let rows = 0;
    let final = 0;
    let counting = true;
    const counter = (async () => {
      while (counting) {
        [rows, final] = await counts(topic).catch(() => [rows, final]);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    // Only an environment once seen idle is killed: a busy one never seen idle may still be
    // starting (killed then, the emulator reports an init error, not a death mid-batch).
    const seenIdle = new Set<number>();
    const kills: Array<{ pid: number; rowsAtKill: number; midBatch: boolean }> = [];
    try {
      while (!kills.some((k) => k.midBatch)) {
        expect(kills.length, `kills that landed between invocations: ${JSON.stringify(kills)}`).toBeLessThan(3);
        const linesBefore = dev.logs.lines.length;
        const victim = await waitFor(
          () => {
            const envs = sinkEnvs();
            for (const e of envs) if (!e.busy) seenIdle.add(e.pid);
            if (rows <= 0 || final >= KEYS) return undefined;
            const busy = envs.find((e) => e.busy && seenIdle.has(e.pid));
            if (!busy) return undefined;
            process.kill(busy.pid, 'SIGKILL');
            return { pid: busy.pid, rowsAtKill: rows };
          },
          { what: 'a warm, busy slipway-sink environment mid-stream', timeoutMs: 90_000, intervalMs: 2 },
        );
        await waitFor(() => !isAlive(victim.pid), { what: `sink child ${victim.pid} gone` });
        // The emulator saw the invocation die: the kill was mid-batch, and the poller got a function error.
        const died = await waitFor(() => dev.logs.lines.slice(linesBefore).some((l) => l.msg === 'execution environment died during an invocation'), {
          what: 'the emulator seeing the invocation die',
          timeoutMs: 5_000,
        }).catch(() => false);
        kills.push({ ...victim, midBatch: died });
      }
    } finally {
      counting = false;
      await counter;
    }
    const victim = kills.find((k) => k.midBatch)!;

    await expectFinalTable(topic, 90_000);
    // The batch after the kill ran in a new environment.
    const after = sinkEnvs();
    expect(after.some((e) => e.pid !== victim.pid)).toBe(true);
    expect(after.some((e) => kills.some((k) => k.pid === e.pid))).toBe(false);
    expect((await dev.taskStatus('kill-sink'))?.state).toBe('RUNNING');
    console.log(`[sink-crash] kills: ${JSON.stringify(kills)}; sink envs after: ${after.map((e) => e.pid).join(',')}`);
  }, 180_000);

  it('the target MariaDB stopped and started again mid-stream: failed batches are retried and every row arrives', async () => {
    const topic = 'restart_orders';
    await produceVersions(topic);
    await createSink('restart-sink', topic);

    const rowsAtStop = await waitFor(
      async () => {
        const n = await rowCount(topic);
        return n > 0 && n < KEYS ? n : undefined;
      },
      { what: 'some but not all rows written', timeoutMs: 90_000, intervalMs: 10 },
    );
    const linesBefore = dev.logs.lines.length;
    const { dir, port } = db;
    await db.stop();
    // While it is down, batches fail (the sink cannot connect) and are retried.
    const failure = await waitFor(
      () => dev.logs.lines.slice(linesBefore).find((l) => l.msg === 'sink batch failed; Lambda retries it' || l.msg === 'task failed'),
      { what: 'a sink batch failing while the database is down', timeoutMs: 60_000 },
    );
    const statusWhileDown = await dev.taskStatus('restart-sink');
    db = await startMariaDb({ dir, port });

    await expectFinalTable(topic, 120_000);
    const status = await dev.taskStatus('restart-sink');
    const failedLines = dev.logs.lines.slice(linesBefore).filter((l) => l.msg === 'task failed');
    const retriedLines = dev.logs.lines.slice(linesBefore).filter((l) => l.msg === 'sink batch failed; Lambda retries it');
    console.log(
      `[sink-crash] db stopped with ${rowsAtStop}/${KEYS} rows; first failure: ${failure.msg} ${String(failure.error ?? '')}; ` +
        `retriable failures logged: ${retriedLines.length}; task failed lines: ${failedLines.length}; status while down: ${statusWhileDown?.state}; after: ${status?.state}`,
    );
    expect(failure.msg, 'a database that is down is a retriable failure, not a FAILED task').toBe('sink batch failed; Lambda retries it');
    expect(failedLines, 'task failed lines').toEqual([]);
    expect(status?.state).toBe('RUNNING');
  }, 240_000);
});
