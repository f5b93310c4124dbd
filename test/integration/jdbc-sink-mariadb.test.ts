// The JDBC sink against a real MariaDB (jdbc:mariadb:// and jdbc:mysql://, both
// through mysql2): a private server for this file (test/helpers/mariadb.ts),
// a user with a password and a database of its own, written through
// JdbcSinkTask as the runtime drives it (start → put … → stop), read back with
// mysql2 as text. The same behaviours as jdbc-sink-postgres.test.ts, with
// MySQL's types and limits; the scenarios both share are registered by
// test/helpers/jdbc-sink-suite.ts.
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal, Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConnectError, DataError } from '../../src/connect/errors.js';
import type { SinkRecord } from '../../src/connect/record.js';
import { JdbcSinkConnector, JdbcSinkTask } from '../../src/connectors/jdbc/index.js';
import { jdbcSinkScenarios, key, rec, row, useJdbcSink } from '../helpers/jdbc-sink-suite.js';
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
  jdbcSinkScenarios({ sink, rows, query, schemaScope: (column) => `${column} = DATABASE() AND `, json: { type: 'json', text: '{"y":1}' } });

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

  it('auto.evolve adds a nullable column for a new optional field; a new required field without default is an error naming it', async () => {
    const task = sink({ 'auto.create': 'true', 'auto.evolve': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key' });
    await task.put([row('evolving', 1, 'one')]);
    const v2 = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('name', Schema.STRING_SCHEMA).field('color', Schema.OPTIONAL_STRING_SCHEMA).build();
    await task.put([rec('evolving', key(2), Struct.from(v2, { id: 2, name: 'two', color: 'red' }))]);
    expect(await rows('evolving')).toEqual([
      { id: '1', name: 'one', qty: null, color: null },
      { id: '2', name: 'two', qty: null, color: 'red' },
    ]);
    const v3 = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('weight', Schema.INT32_SCHEMA).build();
    const err = await task.put([rec('evolving', key(3), Struct.from(v3, { id: 3, weight: 1 }))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/"weight" is required and has no default/);
    expect((err as Error).message).toMatch(/topic "evolving" partition 0 offset \d+/);
    const fixed = sink({ 'insert.mode': 'upsert', 'pk.mode': 'record_key' });
    const err2 = await fixed.put([rec('evolving', key(3), Struct.from(SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('size', Schema.OPTIONAL_INT32_SCHEMA).build(), { id: 3, size: 1 }))]).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/no column "size" and auto.evolve is false/);
  });

  it('every mapped type round-trips: Connect primitives, Decimal, Date, Time, Timestamp and the Debezium time and Json types', async () => {
    const named = (b: SchemaBuilder, name: string) => b.name(name).optional().build();
    const schema = SchemaBuilder.struct()
      .field('id', Schema.INT32_SCHEMA)
      .field('i8', Schema.OPTIONAL_INT8_SCHEMA)
      .field('i16', Schema.OPTIONAL_INT16_SCHEMA)
      .field('i64', Schema.OPTIONAL_INT64_SCHEMA)
      .field('f32', Schema.OPTIONAL_FLOAT32_SCHEMA)
      .field('f64', Schema.OPTIONAL_FLOAT64_SCHEMA)
      .field('flag', Schema.OPTIONAL_BOOLEAN_SCHEMA)
      .field('text', Schema.OPTIONAL_STRING_SCHEMA)
      .field('raw', Schema.OPTIONAL_BYTES_SCHEMA)
      .field('price', Decimal.builder(4).optional().build())
      .field('amount', Decimal.builder(2, 10).optional().build())
      .field('day', ConnectDate.builder().optional().build())
      .field('clock', ConnectTime.builder().optional().build())
      .field('at', ConnectTimestamp.builder().optional().build())
      .field('dbz_date', named(SchemaBuilder.int32(), 'io.debezium.time.Date'))
      .field('dbz_time', named(SchemaBuilder.int32(), 'io.debezium.time.Time'))
      .field('dbz_micro_time', named(SchemaBuilder.int64(), 'io.debezium.time.MicroTime'))
      .field('long_time', named(SchemaBuilder.int64(), 'io.debezium.time.MicroTime'))
      .field('dbz_nano_time', named(SchemaBuilder.int64(), 'io.debezium.time.NanoTime'))
      .field('dbz_ts', named(SchemaBuilder.int64(), 'io.debezium.time.Timestamp'))
      .field('dbz_micro_ts', named(SchemaBuilder.int64(), 'io.debezium.time.MicroTimestamp'))
      .field('dbz_nano_ts', named(SchemaBuilder.int64(), 'io.debezium.time.NanoTimestamp'))
      .field('dbz_zoned', named(SchemaBuilder.string(), 'io.debezium.time.ZonedTimestamp'))
      .field('doc', named(SchemaBuilder.string(), 'io.debezium.data.Json'))
      .build();
    const full = Struct.from(schema, {
      id: 1,
      i8: -128,
      i16: 32767,
      i64: 9007199254740993n,
      f32: 1.5,
      f64: 3.141592653589793,
      flag: true,
      text: 'héllo ✓ \'"`;',
      raw: Buffer.from([0, 1, 255]),
      price: Decimal.parse('-12345.6789'),
      amount: Decimal.parse('99999999.99'),
      day: new Date(Date.UTC(2024, 1, 29)),
      clock: new Date(Date.UTC(1970, 0, 1, 13, 45, 30, 123)),
      at: new Date(Date.UTC(1969, 11, 31, 23, 59, 58, 765)),
      dbz_date: 19782,
      dbz_time: 45_296_789,
      dbz_micro_time: 45_296_789_123,
      long_time: 90_000_000_001,
      dbz_nano_time: 45_296_789_123_456,
      dbz_ts: 1_700_000_000_123,
      dbz_micro_ts: 1_700_000_000_123_456,
      dbz_nano_ts: 1_700_000_000_123_456_789n,
      dbz_zoned: '2024-03-01T10:00:00.123456+02:00',
      doc: '{"a":[1,2],"b":"x"}',
    });
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_value', 'pk.fields': 'id' });
    await task.put([rec('types', null, full), rec('types', null, Struct.from(schema, { id: 2 }))]);
    const [got, empty] = await rows('types');
    expect(got).toEqual({
      id: '1',
      i8: '-128',
      i16: '32767',
      i64: '9007199254740993',
      f32: '1.5',
      f64: '3.141592653589793',
      flag: '1',
      text: 'héllo ✓ \'"`;',
      raw: '0001ff',
      price: '-12345.6789',
      amount: '99999999.99',
      day: '2024-02-29',
      clock: '13:45:30.123',
      at: '1969-12-31 23:59:58.765',
      dbz_date: '2024-02-29',
      dbz_time: '12:34:56.789',
      dbz_micro_time: '12:34:56.789123',
      long_time: '25:00:00.000001',
      dbz_nano_time: '12:34:56.789123',
      dbz_ts: '2023-11-14 22:13:20.123',
      dbz_micro_ts: '2023-11-14 22:13:20.123456',
      dbz_nano_ts: '2023-11-14 22:13:20.123456',
      dbz_zoned: '2024-03-01 08:00:00.123456',
      doc: '{"a":[1,2],"b":"x"}',
    });
    expect(Object.entries(empty!).filter(([k, v]) => k !== 'id' && v !== null)).toEqual([]);
    const types = await query<{ c: string; t: string }>("SELECT column_name AS c, column_type AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'types' AND column_name IN ('price', 'amount', 'dbz_zoned', 'at', 'dbz_micro_time') ORDER BY 1");
    expect(types.map((t) => `${t.c} ${t.t}`)).toEqual(['amount decimal(10,2)', 'at datetime(3)', 'dbz_micro_time time(6)', 'dbz_zoned datetime(6)', 'price decimal(65,4)']);
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
