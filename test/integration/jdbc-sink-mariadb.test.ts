// The JDBC sink against a real MariaDB (jdbc:mariadb:// and jdbc:mysql://, both
// through mysql2): a private server for this file (test/helpers/mariadb.ts),
// a user with a password and a database of its own, written through
// JdbcSinkTask as the runtime drives it (start → put … → stop), read back with
// mysql2 as text. The same behaviours as jdbc-sink-postgres.test.ts, with
// MySQL's types and limits; the scenarios both share are registered by
// test/helpers/jdbc-sink-suite.ts.
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConnectError } from '../../src/connect/errors.js';
import type { SinkRecord } from '../../src/connect/record.js';
import { JdbcSinkConnector, JdbcSinkTask } from '../../src/connectors/jdbc/index.js';
import { jdbcSinkScenarios, rec, row, useJdbcSink } from '../helpers/jdbc-sink-suite.js';
import { useTestMariaDb } from '../helpers/mariadb.js';

const mariadb = useTestMariaDb();
const USER = 'sink';
const PASSWORD = 'sink-test-secret';
const DATABASE = 'sinkdb';
let reader: mysql.Connection;
let url: string;
const { sink, tasks } = useJdbcSink(() => ({ jdbcUrl: url, user: USER, password: PASSWORD }));

beforeAll(async () => {
  const { db } = mariadb();
  await db.query(`CREATE DATABASE ${DATABASE}`);
  await db.query(`CREATE USER '${USER}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}'`);
  await db.query(`GRANT ALL ON ${DATABASE}.* TO '${USER}'@'127.0.0.1'`);
  url = `jdbc:mariadb://${db.host}:${db.port}/${DATABASE}`;
  reader = await openReader();
});

function openReader(): Promise<mysql.Connection> {
  const { db } = mariadb();
  return mysql.createConnection({ host: db.host, port: db.port, user: USER, password: PASSWORD, database: DATABASE, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, timezone: 'Z' });
}
afterAll(async () => {
  await reader?.end();
});

/** SQL as the sink's user; resolves with the rows. */
async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const [result] = await reader.query(sql, params);
  return result as T[];
}

/** Every row of a table, each value as text (bytes as hex, JSON columns, which mysql2 parses, as JSON again), ordered by the first column. */
async function rows(table: string, orderBy = 1): Promise<Array<Record<string, string | null>>> {
  const got = await query<Record<string, unknown>>(`SELECT * FROM \`${table.replaceAll('`', '``')}\` ORDER BY ${orderBy}`);
  return got.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'object' ? JSON.stringify(v) : String(v)])));
}

describe('JDBC sink into MariaDB', () => {
  jdbcSinkScenarios({
    sink,
    rows,
    query,
    schemaScope: (column) => `${column} = DATABASE() AND `,
    json: { type: 'json', text: '{"y":1}' },
    evolve: { requiredWithDefault: false },
    types: {
      text: { flag: '1', raw: '0001ff', dbz_zoned: '2024-03-01 08:00:00.123456', doc: '{"a":[1,2],"b":"x"}' },
      longTime: '25:00:00.000001',
      columns: {
        sql: "SELECT column_name AS c, column_type AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'types' AND column_name IN ('price', 'amount', 'dbz_zoned', 'at', 'dbz_micro_time') ORDER BY 1",
        expected: ['amount decimal(10,2)', 'at datetime(3)', 'dbz_micro_time time(6)', 'dbz_zoned datetime(6)', 'price decimal(65,4)'],
      },
    },
  });

  it('batch.size and the bind-parameter limit split a put into several statements of one transaction', async () => {
    const small = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key', 'batch.size': '2' });
    await small.put([1, 2, 3, 4, 5].map((i) => row('chunks', i, `n${i}`)));
    expect((await rows('chunks')).map((r) => r.name)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    const big = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key', 'batch.size': '100000' });
    const many = Array.from({ length: 30_000 }, (_, i) => row('many', i, `n${i}`, i));
    await big.put(many);
    await big.put(many);
    expect(await query('SELECT count(*) AS n, CAST(sum(qty) AS CHAR) AS s FROM many')).toEqual([{ n: '30000', s: String((29_999 * 30_000) / 2) }]);
  });

  it('with a dead letter queue (errantRecordReporter), a record the server refuses is reported and the rest of the batch is written', async () => {
    const reported: number[] = [];
    const task = new JdbcSinkTask('test');
    const context = { connectorName: 'c', taskId: 0, logger: console as never, signal: new AbortController().signal, requestCommit: () => undefined, errantRecordReporter: { report: async (r: SinkRecord) => void reported.push(r.kafkaOffset) } };
    task.start({ 'connection.url': url, 'connection.user': USER, 'connection.password': PASSWORD, 'auto.create': 'true', 'pk.mode': 'record_key' }, context);
    tasks.push(task);
    await task.put([row('dlq', 1, 'one')]);
    const duplicate = row('dlq', 1, 'again');
    await task.put([row('dlq', 2, 'two'), duplicate, row('dlq', 3, 'three')]);
    expect(reported).toEqual([duplicate.kafkaOffset]);
    expect((await rows('dlq')).map((r) => r.name)).toEqual(['one', 'two', 'three']);
  });

  it('a restart of the server mid-stream is a retriable error, and the next put connects again without losing a row', async () => {
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key', 'connection.url': url.replace('jdbc:mariadb:', 'jdbc:mysql:') });
    await task.put([row('restarted', 1, 'one')]);
    await mariadb().db.restart();
    await reader.end().catch(() => undefined);
    reader = await openReader();
    const err = (await task.put([row('restarted', 2, 'two')]).catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.retriable).toBe(true);
    expect(err.message).toMatch(/^Lost MySQL\/MariaDB at 127.0.0.1:\d+\/sinkdb/);
    await task.put([row('restarted', 2, 'two'), row('restarted', 3, 'three')]);
    expect((await rows('restarted')).map((r) => r.name)).toEqual(['one', 'two', 'three']);
  });

  it('hostile topic and field names (quotes, backticks, semicolons) are written as names, never as SQL', async () => {
    const topic = 'evil"; DROP TABLE victims; --`x`';
    const field = `na"me'; DELETE FROM victims; --\``;
    const schema = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field(field, Schema.STRING_SCHEMA).build();
    await query('CREATE TABLE victims (id int)');
    await query('INSERT INTO victims VALUES (1)');
    const task = sink({ 'auto.create': 'true', 'auto.evolve': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_value', 'pk.fields': 'id' });
    await task.put([rec(topic, null, Struct.from(schema, { id: 1, [field]: 'v1' })), rec(topic, null, Struct.from(schema, { id: 1, [field]: 'v2' }))]);
    expect(await rows(topic)).toEqual([{ id: '1', [field]: 'v2' }]);
    expect(await query('SELECT * FROM victims')).toEqual([{ id: 1 }]);
    const backtick = sink({ 'auto.create': 'true', 'table.name.format': 'x`; DROP TABLE victims; --' });
    await backtick.put([rec(topic, null, Struct.from(schema, { id: 2, [field]: 'v3' }))]);
    expect(await rows('x`; DROP TABLE victims; --')).toEqual([{ id: '2', [field]: 'v3' }]);
    expect(await query('SELECT * FROM victims')).toEqual([{ id: 1 }]);
  });

  it('names that cannot be written safely are refused with an error naming them: NUL, too long, and unquoted non-plain names', async () => {
    const task = sink({ 'auto.create': 'true' });
    const s = (name: string) => SchemaBuilder.struct().field(name, Schema.INT32_SCHEMA).build();
    await expect(task.put([rec('nul', null, Struct.from(s('a\0b'), { 'a\0b': 1 }))])).rejects.toThrow(/contains a NUL character/);
    await expect(task.put([rec('x'.repeat(65), null, Struct.from(s('id'), { id: 1 }))])).rejects.toThrow(/too long: MySQL and MariaDB names hold at most 64 characters/);
    await expect(task.put([rec('trailing ', null, Struct.from(s('id'), { id: 1 }))])).rejects.toThrow(/"trailing " ends with a space/);
    const bare = sink({ 'auto.create': 'true', 'quote.sql.identifiers': 'never' });
    await expect(bare.put([rec('bad;name', null, Struct.from(s('id'), { id: 1 }))])).rejects.toThrow(/"bad;name" cannot be written unquoted \(quote.sql.identifiers=never\)/);
    await bare.put([rec('plain_name', null, Struct.from(s('id'), { id: 1 }))]);
    expect(await rows('plain_name')).toEqual([{ id: '1' }]);
  });

  it('a wrong password is a clear, non-retriable error without the password; an unreachable server is retriable', async () => {
    const task = sink({ 'connection.password': 'not-the-Secret-123' });
    const err = (await task.put([row('nowhere', 1, 'a')]).catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/Authentication to MySQL\/MariaDB at 127.0.0.1:\d+\/sinkdb failed for user "sink"/);
    expect(err.message).not.toContain('not-the-Secret-123');
    const down = sink({ 'connection.url': `jdbc:mysql://127.0.0.1:1/${DATABASE}?password=inurl-secret` });
    const err2 = (await down.put([row('nowhere', 1, 'a')]).catch((e: unknown) => e)) as ConnectError;
    expect(err2.retriable).toBe(true);
    expect(err2.message).not.toContain('inurl-secret');
    const problems = await new JdbcSinkConnector('test').validate({ 'connection.url': url, 'connection.user': USER, 'connection.password': 'not-the-Secret-123', 'topics.regex': 'x.*' });
    expect(Object.keys(problems)).toEqual(['connection.password']);
    expect(await new JdbcSinkConnector('test').validate({ 'connection.url': url, 'connection.user': USER, 'connection.password': PASSWORD, 'topics.regex': 'x.*' })).toEqual({});
  });
});
