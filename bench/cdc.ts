// `npm run bench -- cdc [--rows N] [--rate R] [--seconds S] [--snapshot-rows M] [--only throughput,latency,snapshot]`
//
// The MySQL/MariaDB CDC connector end to end, on a private MariaDB with a row
// binlog and `slipway dev` (broker and dynalite in this process, the worker in a
// child process of the Lambda emulator), as issue 4 asks:
//
//   throughput  N row changes (N/2 inserts, then N/2 updates, in transactions of
//               5,000) written first, then read by a connector with
//               snapshot.mode=never: binlog → worker → JsonConverter with
//               schemas → broker, counted as records readable in Kafka (the
//               topic's high watermark, polled every 20 ms). Rate = N / (time the
//               last record was readable − time the first was). In the same run
//               and on the same binlog: zongji alone (bench/lib/zongji-count.ts,
//               its own process, rows counted and nothing else) and
//               `mariadb-binlog --read-from-remote-server -v`.
//               Target: whole path ≥ 0.5 × zongji alone.
//   latency     rows inserted at R rows/s for S seconds (one row per autocommit
//               transaction, paced by the clock, four connections); latency =
//               when this process's consumer got the record − when the INSERT's
//               commit was acknowledged. Target: p99 ≤ 500 ms.
//   snapshot    the initial snapshot (snapshot.mode=initial_only) of an M-row
//               table, counted as above, beside a plain `SELECT *` of the same
//               table streamed through mysql2 in this process.
//
// Rows are 5 columns: INT key, VARCHAR(32), INT, DECIMAL(10,2), DATETIME.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import mysql from 'mysql2';
import { startMariaDb, type CdcUser, type MariaDb } from '../src/local/mariadb.js';
import { waitFor, tempDir } from '../test/helpers/env.js';
import { percentile, perSecond, printTable, seconds, verdict } from './lib/figures.js';
import { BenchStack } from './lib/stack.js';
import { benchKafka } from './lib/topic.js';

const THROUGHPUT_RATIO_TARGET = 0.5;
const LATENCY_P99_TARGET_MS = 500;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    'snapshot-rows': { type: 'string', default: '1000000' },
    only: { type: 'string', default: 'throughput,latency,snapshot' },
  },
  strict: true,
});
const ROWS = Number(values.rows);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const SNAPSHOT_ROWS = Number(values['snapshot-rows']);
const ONLY = new Set(values.only.split(','));
if (![ROWS, RATE, SECONDS, SNAPSHOT_ROWS].every((v) => Number.isInteger(v) && v >= 1) || ROWS % 2 !== 0 || [...ONLY].some((p) => !['throughput', 'latency', 'snapshot'].includes(p))) {
  console.error('usage: npm run bench -- cdc [--rows N (even)] [--rate ROWS_PER_S] [--seconds S] [--snapshot-rows M] [--only throughput,latency,snapshot]');
  process.exit(2);
}

const TABLE_COLUMNS = 'id INT PRIMARY KEY, name VARCHAR(32) NOT NULL, qty INT NOT NULL, price DECIMAL(10,2) NOT NULL, updated DATETIME NOT NULL';
let serverIds = 5400;

interface Env {
  db: MariaDb;
  user: CdcUser;
  stack: BenchStack;
  kafka: Kafka;
}

/** A Debezium MariaDB connector as a user would POST it, JSON with schemas on both sides. */
async function createConnector(env: Env, name: string, db: string, extra: Record<string, string>): Promise<number> {
  const config: Record<string, string> = {
    'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
    'tasks.max': '1',
    'database.hostname': env.user.host,
    'database.port': String(env.user.port),
    'database.user': env.user.user,
    'database.password': env.user.password,
    'database.server.id': String(serverIds++),
    'topic.prefix': db,
    'database.include.list': db,
    'schema.history.internal.kafka.bootstrap.servers': env.stack.bootstrap,
    'schema.history.internal.kafka.topic': `${db}.history`,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    ...extra,
  };
  const res = await env.stack.api('POST', '/connectors', { name, config });
  if (res.status !== 201) throw new Error(`creating connector ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return Date.now();
}

async function deleteConnector(env: Env, name: string): Promise<void> {
  await env.stack.api('DELETE', `/connectors/${name}`);
}

/** When the topic's high watermark first passed 0 and when it reached `count` (polled every 20 ms). */
async function watchCount(env: Env, name: string, topic: string, count: number, timeoutMs: number): Promise<{ first: number; last: number }> {
  const admin = env.kafka.admin();
  await admin.connect();
  try {
    let first = 0;
    const last = await waitFor(
      async () => {
        const t = await env.stack.task(name);
        if (t?.state === 'FAILED') throw new Error(`task ${name}/0 FAILED: ${t.trace ?? ''}`);
        const topics = await admin.listTopics();
        if (!topics.includes(topic)) return undefined;
        const n = (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
        const now = Date.now();
        if (n > 0 && first === 0) first = now;
        return n >= count ? now : undefined;
      },
      { what: `${count} records in ${topic}`, timeoutMs, intervalMs: 20 },
    );
    return { first, last };
  } finally {
    await admin.disconnect();
  }
}

function runChild(cmd: string, args: string[], opts: { shell?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], shell: opts.shell ?? false });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

async function binlogPosition(db: MariaDb): Promise<{ file: string; pos: number }> {
  const [row] = await db.query<{ File: string; Position: number }[]>('SHOW MASTER STATUS');
  if (!row) throw new Error('the server has no binlog');
  return { file: row.File, pos: Number(row.Position) };
}

async function topicHolds(env: Env, topic: string): Promise<boolean> {
  const admin = env.kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return false;
    return (await admin.fetchTopicOffsets(topic)).some((p) => Number(p.high) > 0);
  } finally {
    await admin.disconnect();
  }
}

// ---- throughput -----------------------------------------------------------------

async function throughput(env: Env): Promise<string[][]> {
  const half = ROWS / 2;
  await env.db.query('RESET MASTER');
  await env.db.query(`CREATE DATABASE tp; CREATE TABLE tp.rows (${TABLE_COLUMNS})`);
  const rowsAt = await binlogPosition(env.db);
  const chunk = 5_000;
  for (let i = 0; i < half; i += chunk) {
    const n = Math.min(chunk, half - i);
    await env.db.query(`INSERT INTO tp.rows SELECT seq, CONCAT('name-', seq), seq % 1000, seq / 100, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND FROM tp.seq_${i + 1}_to_${i + n}`);
  }
  for (let i = 0; i < half; i += chunk) {
    await env.db.query(`UPDATE tp.rows SET qty = qty + 1, name = CONCAT(name, '+') WHERE id > ${i} AND id <= ${i + chunk}`);
  }
  console.log(`throughput: ${ROWS.toLocaleString('en-US')} row changes written to the binlog`);

  // zongji alone, in its own process, from the first row event.
  const zj = JSON.parse(
    await runChild(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lib/zongji-count.ts'), JSON.stringify({ ...env.user, file: rowsAt.file, pos: rowsAt.pos, rows: ROWS, serverId: serverIds++ })]),
  ) as { rows: number; ms: number };

  // mariadb-binlog -v: decodes every row into text; the rows are counted by grep.
  const logs = (await env.db.query<{ Log_name: string }[]>('SHOW BINARY LOGS')).map((r) => r.Log_name).filter((f) => f >= rowsAt.file);
  const cmd = [
    'mariadb-binlog --read-from-remote-server',
    `--host=${env.user.host} --port=${env.user.port} --user=${env.user.user} --password=${env.user.password}`,
    `-v --base64-output=DECODE-ROWS --start-position=${rowsAt.pos}`,
    ...logs,
    "| grep -c -E '^### (INSERT|UPDATE|DELETE)'",
  ].join(' ');
  const t0 = performance.now();
  const mbRows = Number((await runChild('bash', ['-o', 'pipefail', '-c', cmd])).trim());
  const mbMs = performance.now() - t0;

  // The whole path.
  const created = await createConnector(env, 'bench-tp', 'tp', { 'snapshot.mode': 'never', 'max.batch.size': '2048' });
  const { first, last } = await watchCount(env, 'bench-tp', 'tp.tp.rows', ROWS, 600_000);
  await deleteConnector(env, 'bench-tp');

  const whole = ROWS / ((last - first) / 1000);
  const zongji = zj.rows / (zj.ms / 1000);
  const ratio = whole / zongji;
  return [
    ['throughput', 'measured', 'target / limit'],
    [`whole path (binlog → Kafka), ${ROWS.toLocaleString('en-US')} changes`, `${perSecond(whole)} (${seconds(last - first)}; ${seconds(last - created)} from connector creation)`, `≥ ${THROUGHPUT_RATIO_TARGET} × zongji`],
    ['zongji alone (decode and count)', `${perSecond(zongji)} (${seconds(zj.ms)})`, 'limit, same binlog'],
    ['mariadb-binlog -v (decode to text)', `${perSecond(mbRows / (mbMs / 1000))} (${mbRows.toLocaleString('en-US')} rows in ${seconds(mbMs)})`, 'reference, same binlog'],
    ['ratio whole path / zongji', ratio.toFixed(3), `≥ ${THROUGHPUT_RATIO_TARGET}: ${verdict(ratio >= THROUGHPUT_RATIO_TARGET)}`],
  ];
}

// ---- latency --------------------------------------------------------------------

async function latency(env: Env): Promise<string[][]> {
  const n = RATE * SECONDS;
  await env.db.query(`CREATE DATABASE lat; CREATE TABLE lat.events (${TABLE_COLUMNS})`);
  await createConnector(env, 'bench-lat', 'lat', { 'snapshot.mode': 'no_data' });
  const arrived = new Map<number, number>();
  const consumer = env.kafka.consumer({ groupId: `bench-lat-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const insert = (pool: mysql.Pool, id: number) =>
    pool.promise().query(`INSERT INTO lat.events VALUES (?, ?, ?, ?, NOW())`, [id, `name-${id}`, id % 1000, (id % 100_000) / 100]);
  const pool = mysql.createPool({ host: env.user.host, port: env.user.port, user: 'root', socketPath: env.db.socket, connectionLimit: 4 });
  try {
    // Warm-up rows (ids ≤ 0) until one is readable: then the task streams and the topic
    // exists. Rows written before its first invocation recorded its position are not captured.
    let warm = 0;
    await waitFor(
      async () => {
        const t = await env.stack.task('bench-lat');
        if (t?.state === 'FAILED') throw new Error(`task bench-lat/0 FAILED: ${t.trace ?? ''}`);
        await insert(pool, warm--);
        return (await topicHolds(env, 'lat.lat.events'));
      },
      { what: 'a warm-up row in lat.lat.events', timeoutMs: 120_000, intervalMs: 250 },
    );
    await consumer.subscribe({ topic: 'lat.lat.events', fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          if (m.key === null || m.value === null) continue;
          const id = (JSON.parse(m.key.toString('utf8')) as { payload: { id: number } }).payload.id;
          if (!arrived.has(id)) arrived.set(id, now);
        }
      },
    });
    await waitFor(() => [...arrived.keys()].some((id) => id <= 0), { what: 'a warm-up row read', timeoutMs: 120_000, intervalMs: 10 });

    const committed = new Array<number>(n + 1).fill(0);
    let next = 1;
    const t0 = Date.now();
    const writer = async () => {
      for (let id = next++; id <= n; id = next++) {
        const due = t0 + (id * 1000) / RATE;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await insert(pool, id);
        committed[id] = Date.now();
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    const wroteMs = Date.now() - t0;
    await waitFor(() => [...Array(n).keys()].every((i) => arrived.has(i + 1)), { what: `${n} rows in Kafka`, timeoutMs: 120_000, intervalMs: 20 }).catch(() => undefined);
    const lat: number[] = [];
    let missing = 0;
    for (let id = 1; id <= n; id++) {
      const at = arrived.get(id);
      if (at === undefined) missing++;
      else lat.push(at - committed[id]!);
    }
    const p50 = percentile(lat, 0.5);
    const p99 = percentile(lat, 0.99);
    return [
      ['latency (commit → readable in Kafka)', 'measured', 'target'],
      [`rows at ${RATE}/s for ${SECONDS} s`, `${n.toLocaleString('en-US')} written in ${seconds(wroteMs)} (${perSecond(n / (wroteMs / 1000))}), ${missing} missing`, '0 missing'],
      ['p50', `${p50} ms`, ''],
      ['p99', `${p99} ms`, `≤ ${LATENCY_P99_TARGET_MS} ms: ${verdict(missing === 0 && p99 <= LATENCY_P99_TARGET_MS)}`],
      ['max', `${Math.max(...lat)} ms`, ''],
    ];
  } finally {
    await consumer.disconnect();
    await deleteConnector(env, 'bench-lat');
    await pool.promise().end().catch(() => undefined);
  }
}

// ---- snapshot -------------------------------------------------------------------

async function plainSelect(env: Env): Promise<number> {
  const conn = mysql.createConnection({ socketPath: env.db.socket, user: 'root', timezone: 'Z', dateStrings: true });
  try {
    const t0 = performance.now();
    let rows = 0;
    await new Promise<void>((resolve, reject) => {
      conn.query('SELECT * FROM snap.big').on('result', () => rows++).on('error', reject).on('end', () => resolve());
    });
    if (rows !== SNAPSHOT_ROWS) throw new Error(`SELECT returned ${rows} rows`);
    return rows / ((performance.now() - t0) / 1000);
  } finally {
    conn.end();
  }
}

async function snapshot(env: Env): Promise<string[][]> {
  await env.db.query(`CREATE DATABASE snap; CREATE TABLE snap.big (${TABLE_COLUMNS})`);
  for (let i = 0; i < SNAPSHOT_ROWS; i += 100_000) {
    const n = Math.min(100_000, SNAPSHOT_ROWS - i);
    await env.db.query(`INSERT INTO snap.big SELECT seq, CONCAT('name-', seq), seq % 1000, seq / 100, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq SECOND FROM snap.seq_${i + 1}_to_${i + n}`);
  }
  console.log(`snapshot: ${SNAPSHOT_ROWS.toLocaleString('en-US')} rows loaded`);
  const select = Math.max(await plainSelect(env), await plainSelect(env));
  const created = await createConnector(env, 'bench-snap', 'snap', { 'snapshot.mode': 'initial_only' });
  const { first, last } = await watchCount(env, 'bench-snap', 'snap.snap.big', SNAPSHOT_ROWS, 1_800_000);
  await deleteConnector(env, 'bench-snap');
  const rate = SNAPSHOT_ROWS / ((last - first) / 1000);
  return [
    ['snapshot', 'measured', 'limit'],
    [`initial snapshot of ${SNAPSHOT_ROWS.toLocaleString('en-US')} rows into Kafka`, `${perSecond(rate)} (${seconds(last - first)}; ${seconds(last - created)} from connector creation)`, 'beside a plain SELECT'],
    ['plain SELECT * (mysql2, streamed, best of 2)', perSecond(select), ''],
    ['ratio snapshot / SELECT', (rate / select).toFixed(3), ''],
  ];
}

// ---- main -----------------------------------------------------------------------

async function main(): Promise<void> {
  const tmp = tempDir('slipway-bench-cdc-');
  const db = await startMariaDb({ dir: path.join(tmp.dir, 'mariadb'), port: 0 });
  let stack: BenchStack | undefined;
  try {
    const user = await db.createCdcUser('cdc', 'cdc-bench-pw');
    // Invocations of 5 minutes: a long backlog crosses a few hand-offs, as in production.
    stack = await BenchStack.start({ schedulePeriodMs: 1_000, workerTimeoutMs: 300_000, functionEnv: {} });
    const env: Env = { db, user, stack, kafka: benchKafka(stack.bootstrap) };
    const tables: string[][][] = [];
    const phase = async (run: (env: Env) => Promise<string[][]>) => {
      const t = await run(env);
      console.log('');
      printTable(t);
      console.log('');
      tables.push(t);
    };
    if (ONLY.has('throughput')) await phase(throughput);
    if (ONLY.has('latency')) await phase(latency);
    if (ONLY.has('snapshot')) await phase(snapshot);
    // All figures together at the end, as the report wants them.
    if (tables.length > 1) {
      console.log('=== summary ===');
      for (const t of tables) {
        printTable(t);
        console.log('');
      }
    }
  } finally {
    await stack?.close();
    await db.stop().catch(() => db.kill());
    tmp.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench cdc failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
