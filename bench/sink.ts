// `npm run bench -- sink [--records N] [--partitions P] [--batch B] [--only mariadb,postgres]`
//
// The JDBC sink through the event-triggered path, as issue 5 asks: N records
// (JSON with schemas, key {id}, value of 5 fields) are produced to a topic of P
// partitions first; then a JdbcSinkConnector (insert.mode=upsert,
// pk.mode=record_key, auto.create) is created through the REST API of
// `slipway dev`: the coordinator gives it an event source mapping, the
// emulator's poller invokes the sink function (a child process) with batches of
// B records (consumer.override.max.poll.records), and the sink writes them.
// Progress is read from the connector's consumer group (connect-<name>), whose
// offsets the mapping commits only after the sink function wrote the batch:
// polled every 100 ms, cheaply, instead of a COUNT(*) of the growing table that
// would take CPU from the database under test. Rate = the records committed
// after the first tenth / the time they took: the steady state, once the
// environments have started, the table exists and the code is compiled (the
// time from connector creation to the last commit is printed beside it). At the
// end the table must hold exactly N rows. The bare INSERT runs three times,
// each into a fresh table, and its median counts (one run alone varied by ±30%
// on this machine, with the database's background work after the sink's).
//
// Both paths are bound by the machine's cores, so beside each rate the bench
// prints the CPU each record cost, per process group (read from /proc): the
// dev stack (this process: broker, poller, store, REST API; and the
// coordinator function), the sink function's environments, the database;
// and for the bare INSERT, this process as the client and the database. Beside it, in the same run: a bare multi-row INSERT of the same
// rows through the same driver (mysql2 / pg) in this process, in statements of
// B rows, each its own transaction. Target: sink / bare ≥ 0.5, for MariaDB and
// for PostgreSQL.
import path from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { startMariaDb, type MariaDb } from '../src/local/mariadb.js';
import { startTestPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { tempDir, waitFor } from '../test/helpers/env.js';
import { median, perSecond, printTable, seconds, verdict } from './lib/figures.js';
import { cpuPerItem, cpuReading, formatCpu, type CpuGroup } from './lib/cpu.js';
import { BenchStack } from './lib/stack.js';
import { benchKafka } from './lib/topic.js';

const TARGET_RATIO = 0.5;
const BARE_RUNS = 3;

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '2' },
    batch: { type: 'string', default: '2000' },
    only: { type: 'string', default: 'mariadb,postgres' },
  },
  strict: true,
});
const N = Number(values.records);
const PARTITIONS = Number(values.partitions);
const BATCH = Number(values.batch);
const ONLY = new Set(values.only.split(','));
if (![N, PARTITIONS, BATCH].every((v) => Number.isInteger(v) && v >= 1) || BATCH > 10_000 || [...ONLY].some((t) => t !== 'mariadb' && t !== 'postgres')) {
  console.error('usage: npm run bench -- sink [--records N] [--partitions P] [--batch B (≤ 10000)] [--only mariadb,postgres]');
  process.exit(2);
}

const KEY_SCHEMA = { type: 'struct', optional: false, fields: [{ field: 'id', type: 'int64', optional: false }] };
const VALUE_SCHEMA = {
  type: 'struct',
  optional: false,
  name: 'bench.Row',
  fields: [
    { field: 'id', type: 'int64', optional: false },
    { field: 'name', type: 'string', optional: false },
    { field: 'qty', type: 'int32', optional: false },
    { field: 'price', type: 'double', optional: false },
    { field: 'updated', type: 'int64', optional: false, name: 'org.apache.kafka.connect.data.Timestamp', version: 1 },
  ],
};
const row = (id: number) => ({ id, name: `name-${id}`, qty: id % 1000, price: id / 100, updated: 1_700_000_000_000 + id * 1000 });
const TOPIC = 'bench-rows';

async function produce(stack: BenchStack): Promise<void> {
  const kafka = benchKafka(stack.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < N; i += 1000) {
      const messages = [];
      for (let id = i + 1; id <= Math.min(N, i + 1000); id++) {
        messages.push({ key: JSON.stringify({ schema: KEY_SCHEMA, payload: { id } }), value: JSON.stringify({ schema: VALUE_SCHEMA, payload: row(id) }) });
      }
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

interface Target {
  name: 'mariadb' | 'postgres';
  jdbcUrl: string;
  user: string;
  password: string;
  count(table: string): Promise<number>;
  /** The database server's processes. */
  cpu: CpuGroup;
  /** The bare baseline into a new table: the same rows, multi-row INSERTs of BATCH, each its own transaction; rows/s. */
  bare(table: string): Promise<number>;
  close(): Promise<void>;
}

async function mariadbTarget(dir: string): Promise<Target> {
  const db: MariaDb = await startMariaDb({ dir, port: 0 });
  const user = await db.createCdcUser('sink', 'sink-bench-pw', { grants: ['ALL PRIVILEGES'] });
  await db.query('CREATE DATABASE sinkbench');
  const conn = await mysql.createConnection({ host: user.host, port: user.port, user: user.user, password: user.password, database: 'sinkbench' });
  return {
    name: 'mariadb',
    jdbcUrl: `jdbc:mariadb://${user.host}:${user.port}/sinkbench`,
    user: user.user,
    password: user.password,
    cpu: { name: 'MariaDB', match: (p) => p.cmdline.includes('mariadbd') && p.cmdline.includes(dir) },
    count: async (table) => {
      try {
        const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM \`${table}\``);
        return Number((rows as { n: number }[])[0]!.n);
      } catch {
        return 0; // not created yet
      }
    },
    bare: async (table) => {
      await conn.query(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT NOT NULL, price DOUBLE NOT NULL, updated DATETIME(3) NOT NULL)`);
      const t0 = performance.now();
      for (let i = 0; i < N; i += BATCH) {
        const params: unknown[] = [];
        let sql = `INSERT INTO ${table} (id, name, qty, price, updated) VALUES `;
        for (let id = i + 1; id <= Math.min(N, i + BATCH); id++) {
          const r = row(id);
          sql += (id > i + 1 ? ',' : '') + '(?,?,?,?,?)';
          params.push(r.id, r.name, r.qty, r.price, new Date(r.updated));
        }
        await conn.query(sql, params);
      }
      return N / ((performance.now() - t0) / 1000);
    },
    close: async () => {
      await conn.end();
      await db.stop().catch(() => db.kill());
    },
  };
}

async function postgresTarget(): Promise<Target> {
  const db: TestPostgres = await startTestPostgres();
  const client = new pg.Client({ host: '127.0.0.1', port: db.port, user: db.user, password: db.password, database: db.database });
  await client.connect();
  return {
    name: 'postgres',
    jdbcUrl: db.jdbcUrl,
    user: db.user,
    password: db.password,
    // The postmaster names its data dir; its backends are its children.
    cpu: { name: 'PostgreSQL', match: (p) => p.cmdline.includes(db.dir), tree: true },
    count: async (table) => {
      try {
        return Number((await client.query(`SELECT COUNT(*) AS n FROM "${table}"`)).rows[0].n);
      } catch {
        return 0;
      }
    },
    bare: async (table) => {
      await client.query(`CREATE TABLE ${table} (id BIGINT PRIMARY KEY, name TEXT NOT NULL, qty INT NOT NULL, price DOUBLE PRECISION NOT NULL, updated TIMESTAMP(3) NOT NULL)`);
      const t0 = performance.now();
      for (let i = 0; i < N; i += BATCH) {
        const params: unknown[] = [];
        const tuples: string[] = [];
        for (let id = i + 1; id <= Math.min(N, i + BATCH); id++) {
          const r = row(id);
          const b = params.length;
          tuples.push(`($${b + 1},$${b + 2},$${b + 3},$${b + 4},$${b + 5})`);
          params.push(r.id, r.name, r.qty, r.price, new Date(r.updated));
        }
        await client.query(`INSERT INTO ${table} (id, name, qty, price, updated) VALUES ${tuples.join(',')}`, params);
      }
      return N / ((performance.now() - t0) / 1000);
    },
    close: async () => {
      await client.end();
      await db.close();
    },
  };
}

async function measure(stack: BenchStack, target: Target): Promise<string[]> {
  const name = `bench-sink-${target.name}`;
  const table = `rows_${target.name}`;
  const res = await stack.api('POST', '/connectors', {
    name,
    config: {
      'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
      'tasks.max': '1',
      topics: TOPIC,
      'connection.url': target.jdbcUrl,
      'connection.user': target.user,
      'connection.password': target.password,
      'insert.mode': 'upsert',
      'pk.mode': 'record_key',
      'auto.create': 'true',
      'table.name.format': table,
      'batch.size': String(BATCH),
      'consumer.override.max.poll.records': String(BATCH),
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    },
  });
  if (res.status !== 201) throw new Error(`creating ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const created = Date.now();
  const admin = benchKafka(stack.bootstrap).admin();
  await admin.connect();
  const stackCpu: CpuGroup[] = [
    { name: 'dev stack', match: (p) => p.pid === process.pid || p.cmdline.includes('functions/coordinator.ts') },
    { name: 'sink function', match: (p) => p.cmdline.includes('functions/sink.ts') },
    target.cpu,
  ];
  let cpuAtFirst = new Map<string, number>();
  let first = 0;
  let firstCommitted = 0;
  const warmUp = Math.floor(N / 10);
  let polls = 0;
  const last = await waitFor(
    async () => {
      if (++polls % 10 === 0) {
        const t = await stack.task(name);
        if (t?.state === 'FAILED') throw new Error(`${name} FAILED: ${t.trace ?? ''}`);
      }
      const [group] = await admin.fetchOffsets({ groupId: `connect-${name}`, topics: [TOPIC] });
      const committed = (group?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      if (committed >= warmUp && committed > 0 && first === 0) {
        first = Date.now();
        firstCommitted = committed;
        cpuAtFirst = cpuReading(stackCpu);
      }
      return committed >= N ? Date.now() : undefined;
    },
    { what: `${N} records committed by connect-${name}`, timeoutMs: 1_200_000, intervalMs: 100 },
  );
  const sinkCpu = cpuPerItem(cpuAtFirst, cpuReading(stackCpu), N - firstCommitted);
  await admin.disconnect();
  const rows = await target.count(table);
  if (rows !== N) throw new Error(`${table} holds ${rows} rows after all ${N} records were committed`);
  await stack.api('DELETE', `/connectors/${name}`);
  const sink = (N - firstCommitted) / ((last - first) / 1000);
  const bareCpuGroups: CpuGroup[] = [{ name: 'client', match: (p) => p.pid === process.pid }, target.cpu];
  const cpuBeforeBare = cpuReading(bareCpuGroups);
  const bares: number[] = [];
  for (let run = 0; run < BARE_RUNS; run++) bares.push(await target.bare(`bare_rows_${run}`));
  const bareCpu = cpuPerItem(cpuBeforeBare, cpuReading(bareCpuGroups), N * BARE_RUNS);
  const bare = median(bares);
  const ratio = sink / bare;
  console.log(`${target.name}: sink ${perSecond(sink)}, bare ${perSecond(bare)} (median of ${bares.map(perSecond).join(', ')})`);
  console.log(`  CPU per record, sink path: ${formatCpu(sinkCpu)}`);
  console.log(`  CPU per record, bare INSERT: ${formatCpu(bareCpu)}`);
  return [target.name, `${perSecond(sink)} (the last ${(N - firstCommitted).toLocaleString('en-US')} in ${seconds(last - first)}; all in ${seconds(last - created)} from connector creation)`, perSecond(bare), ratio.toFixed(3), `≥ ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)}`];
}

async function main(): Promise<void> {
  const tmp = tempDir('slipway-bench-sink-');
  const stack = await BenchStack.start({ schedulePeriodMs: 5_000, workerTimeoutMs: 300_000, functionEnv: {} });
  const rows: string[][] = [['target', `event-triggered sink, ${N.toLocaleString('en-US')} records, upsert`, `bare multi-row INSERT, median of ${BARE_RUNS}`, 'ratio', 'target']];
  try {
    await produce(stack);
    console.log(`${N.toLocaleString('en-US')} records in ${TOPIC} (${PARTITIONS} partitions); batches of ${BATCH}`);
    for (const kind of ['mariadb', 'postgres'] as const) {
      if (!ONLY.has(kind)) continue;
      const target = kind === 'mariadb' ? await mariadbTarget(path.join(tmp.dir, 'mariadb')) : await postgresTarget();
      try {
        rows.push(await measure(stack, target));
      } finally {
        await target.close();
      }
    }
    console.log('');
    printTable(rows);
  } finally {
    await stack.close();
    tmp.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench sink failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
