// The JDBC sink against a real PostgreSQL: a private server for this file
// (test/helpers/postgres.ts), written through JdbcSinkTask as the runtime
// drives it (start → put … → stop), read back with pg as text. The scenarios
// it shares with jdbc-sink-mariadb.test.ts are registered by
// test/helpers/jdbc-sink-suite.ts.
import { describe, expect, it } from 'vitest';
import { Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConfigError, ConnectError } from '../../src/connect/errors.js';
import type { SinkRecord } from '../../src/connect/record.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { maskSecrets } from '../../src/connect/config/config-def.js';
import { JdbcSinkConnector, JdbcSinkTask, jdbcSinkConfig, registerJdbcSink } from '../../src/connectors/jdbc/index.js';
import { jdbcSinkScenarios, key, rec, row, useJdbcSink, type Query } from '../helpers/jdbc-sink-suite.js';
import { useTestPostgres } from '../helpers/postgres.js';

const postgres = useTestPostgres();
const { sink, tasks } = useJdbcSink(postgres);
const query: Query = (sql, params) => postgres().query(sql, params);

/** Every row of a table, each column as PostgreSQL's text form, ordered by the first column. */
async function rows(table: string, orderBy = 1): Promise<Array<Record<string, string | null>>> {
  const pg = postgres();
  const cols = await pg.query<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [table]);
  const q = (s: string) => '"' + s.replaceAll('"', '""') + '"';
  return pg.query(`SELECT ${cols.map((c) => `${q(c.name)}::text AS ${q(c.name)}`).join(', ')} FROM ${q(table)} ORDER BY ${orderBy}`);
}

describe('JDBC sink into PostgreSQL', () => {
  jdbcSinkScenarios({
    sink,
    rows,
    query,
    schemaScope: () => '',
    json: { type: 'jsonb', text: '{"y": 1}' },
    evolve: { requiredWithDefault: true },
    types: {
      text: { flag: 'true', raw: '\\x0001ff', dbz_zoned: '2024-03-01 08:00:00.123456+00', doc: '{"a": [1, 2], "b": "x"}' },
      columns: {
        sql: "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'types' AND column_name IN ('price', 'amount', 'dbz_zoned', 'doc', 'at')  ORDER BY 1",
        expected: ['amount numeric', 'at timestamp without time zone', 'dbz_zoned timestamp with time zone', 'doc jsonb', 'price numeric'],
      },
    },
  });

  it('is registered under its Confluent class name and JdbcSink', () => {
    const registry = createPluginRegistry();
    registerJdbcSink(registry);
    expect(registry.resolveConnector('io.confluent.connect.jdbc.JdbcSinkConnector').type).toBe('sink');
    expect(registry.resolveConnector('JdbcSink').class).toBe('io.confluent.connect.jdbc.JdbcSinkConnector');
  });

  it('auto.create by several invocations at once (one per partition, as event source mappings run them) creates the table once and writes every row', async () => {
    const config = { 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key' };
    for (let round = 0; round < 5; round++) {
      const topic = `race_${round}`;
      const writers = Array.from({ length: 4 }, () => sink(config));
      await Promise.all(writers.map((t, i) => t.put([row(topic, i * 10 + 1, 'a'), row(topic, i * 10 + 2, 'b')])));
      expect((await rows(topic)).map((r) => r['id']).sort()).toEqual(['1', '11', '12', '2', '21', '22', '31', '32']);
    }
  });

  it('batch.size and the bind-parameter limit split a put into several statements of one transaction', async () => {
    const small = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key', 'batch.size': '2' });
    await small.put([1, 2, 3, 4, 5].map((i) => row('chunks', i, `n${i}`)));
    expect((await rows('chunks')).map((r) => r.name)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    const big = sink({ 'auto.create': 'true', 'pk.mode': 'record_key', 'batch.size': '100000' });
    const many = Array.from({ length: 30_000 }, (_, i) => row('many', i, `n${i}`, i));
    await big.put(many);
    expect(await postgres().query('SELECT count(*)::int AS n, sum(qty)::text AS s FROM many')).toEqual([{ n: 30_000, s: String((29_999 * 30_000) / 2) }]);
  });

  it('with a dead letter queue (errantRecordReporter), a bad record and one the server refuses are reported and the rest of the batch is written', async () => {
    const reported: Array<{ offset: number; message: string }> = [];
    const pg = postgres();
    const task = new JdbcSinkTask('test');
    const context = { connectorName: 'c', taskId: 0, logger: console as never, signal: new AbortController().signal, requestCommit: () => undefined, errantRecordReporter: { report: async (r: SinkRecord, e: Error) => void reported.push({ offset: r.kafkaOffset, message: e.message }) } };
    task.start({ 'connection.url': pg.jdbcUrl, 'connection.user': pg.user, 'connection.password': pg.password, 'auto.create': 'true', 'pk.mode': 'record_key' }, context);
    tasks.push(task);
    await task.put([row('dlq', 1, 'one')]);
    const notAStruct = rec('dlq', key(7), 'just a string', { valueSchema: Schema.STRING_SCHEMA });
    const duplicate = row('dlq', 1, 'again');
    await task.put([row('dlq', 2, 'two'), notAStruct, duplicate, row('dlq', 3, 'three')]);
    expect(reported.map((r) => r.offset)).toEqual([notAStruct.kafkaOffset, duplicate.kafkaOffset]);
    expect(reported[1]!.message).toMatch(/duplicate key/);
    expect((await rows('dlq')).map((r) => r.name)).toEqual(['one', 'two', 'three']);
  });

  it('a connection the server dropped is a retriable error, and the next put connects again', async () => {
    const pg = postgres();
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key' });
    await task.put([row('reconnect', 1, 'one')]);
    await pg.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()", [pg.user]);
    const err = (await task.put([row('reconnect', 2, 'two')]).catch((e: unknown) => e)) as ConnectError | undefined;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err!.retriable).toBe(true);
    expect(err!.message).toMatch(/^Lost PostgreSQL at 127.0.0.1:\d+\/sink/);
    await task.put([row('reconnect', 2, 'two'), row('reconnect', 3, 'three')]);
    expect((await rows('reconnect')).map((r) => r.name)).toEqual(['one', 'two', 'three']);
  });

  it('quote.sql.identifiers=never: mixed-case names fold to lower case as PostgreSQL does, and the table still evolves', async () => {
    const task = sink({ 'auto.create': 'true', 'auto.evolve': 'true', 'quote.sql.identifiers': 'never', 'table.name.format': 'Folded_${topic}' });
    const v1 = SchemaBuilder.struct().field('Id', Schema.INT32_SCHEMA).build();
    const v2 = SchemaBuilder.struct().field('Id', Schema.INT32_SCHEMA).field('Extra', Schema.OPTIONAL_STRING_SCHEMA).build();
    await task.put([rec('T', null, Struct.from(v1, { Id: 1 }))]);
    await task.put([rec('T', null, Struct.from(v2, { Id: 2, Extra: 'x' }))]);
    expect(await rows('folded_t')).toEqual([
      { id: '1', extra: null },
      { id: '2', extra: 'x' },
    ]);
  });

  it('hostile topic and field names (quotes, backticks, semicolons) are written as names, never as SQL', async () => {
    const topic = 'evil"; DROP TABLE victims; --`x`';
    const field = `na"me'; DELETE FROM victims; --\``;
    const schema = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field(field, Schema.STRING_SCHEMA).build();
    await postgres().query('CREATE TABLE victims (id int)');
    await postgres().query('INSERT INTO victims VALUES (1)');
    const task = sink({ 'auto.create': 'true', 'auto.evolve': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_value', 'pk.fields': 'id' });
    await task.put([rec(topic, null, Struct.from(schema, { id: 1, [field]: 'v1' })), rec(topic, null, Struct.from(schema, { id: 1, [field]: 'v2' }))]);
    expect(await rows(topic)).toEqual([{ id: '1', [field]: 'v2' }]);
    expect(await postgres().query('SELECT * FROM victims')).toEqual([{ id: 1 }]);
  });

  it('names that cannot be written safely are refused with an error naming them: NUL, too long, and unquoted non-plain names', async () => {
    const task = sink({ 'auto.create': 'true' });
    const s = (name: string) => SchemaBuilder.struct().field(name, Schema.INT32_SCHEMA).build();
    await expect(task.put([rec('nul', null, Struct.from(s('a\0b'), { 'a\0b': 1 }))])).rejects.toThrow(/contains a NUL character/);
    await expect(task.put([rec('x'.repeat(64), null, Struct.from(s('id'), { id: 1 }))])).rejects.toThrow(/too long: PostgreSQL names hold at most 63 bytes/);
    const bare = sink({ 'auto.create': 'true', 'quote.sql.identifiers': 'never' });
    await expect(bare.put([rec('bad;name', null, Struct.from(s('id'), { id: 1 }))])).rejects.toThrow(/"bad;name" cannot be written unquoted \(quote.sql.identifiers=never\)/);
    await bare.put([rec('plain_name', null, Struct.from(s('id'), { id: 1 }))]);
    expect(await rows('plain_name')).toEqual([{ id: '1' }]);
  });

  it('a wrong password is a clear, non-retriable error without the password; an unreachable server is retriable', async () => {
    const pg = postgres();
    const task = sink({ 'connection.password': 'not-the-Secret-123' });
    const err = (await task.put([row('nowhere', 1, 'a')]).catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.retriable).toBe(false);
    expect(err.message).toMatch(/Authentication to PostgreSQL at 127.0.0.1:\d+\/sink failed for user "slipway"/);
    expect(err.message).not.toContain('not-the-Secret-123');
    const down = sink({ 'connection.url': `jdbc:postgresql://127.0.0.1:1/${pg.database}?password=inurl-secret` });
    const err2 = (await down.put([row('nowhere', 1, 'a')]).catch((e: unknown) => e)) as ConnectError;
    expect(err2.retriable).toBe(true);
    expect(err2.message).not.toContain('inurl-secret');
    const problems = await new JdbcSinkConnector('test').validate({ 'connection.url': pg.jdbcUrl, 'connection.user': pg.user, 'connection.password': 'not-the-Secret-123', topics: 't' });
    expect(Object.keys(problems)).toEqual(['connection.password']);
    expect(problems['connection.password']!.join()).not.toContain('not-the-Secret-123');
    expect(await new JdbcSinkConnector('test').validate({ 'connection.url': pg.jdbcUrl, 'connection.user': pg.user, 'connection.password': pg.password, topics: 't' })).toEqual({});
    expect(await new JdbcSinkConnector('test').validate({ 'connection.url': pg.jdbcUrl, 'connection.user': pg.user, 'connection.password': pg.password })).toEqual({ topics: ['Must configure one of topics or topics.regex'] });
  });

  it('TLS as the JDBC URL asks for it: sslmode=require encrypts; verify-full refuses a self-signed certificate', async () => {
    const pg = postgres();
    const task = sink({ 'connection.url': `${pg.jdbcUrl}?sslmode=require`, 'auto.create': 'true' });
    await task.put([row('over_tls', 1, 'secret')]);
    const ssl = await pg.query<{ ssl: boolean }>('SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = $1 AND a.pid <> pg_backend_pid()', [pg.user]);
    expect(ssl).toEqual([{ ssl: true }]);
    const strict = sink({ 'connection.url': `${pg.jdbcUrl}?sslmode=verify-full` });
    const err = (await strict.put([row('over_tls', 2, 'x')]).catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.message).toMatch(/Cannot connect to PostgreSQL at 127.0.0.1:\d+\/sink: .*(self[- ]signed|certificate)/i);
  });

  it("config is checked as Confluent's: delete.enabled needs pk.mode=record_key, upsert needs a key, the URL must be JDBC", () => {
    const start = (c: Record<string, string>) => () => new JdbcSinkTask('t').start({ 'connection.url': 'jdbc:postgresql://h/db', ...c });
    expect(start({ 'delete.enabled': 'true', 'pk.mode': 'record_value' })).toThrow(ConfigError);
    expect(start({ 'delete.enabled': 'true', 'pk.mode': 'record_value' })).toThrow(/Primary key mode must be 'record_key' when delete support is enabled/);
    expect(start({ 'insert.mode': 'upsert' })).toThrow(/insert.mode=upsert needs a primary key/);
    expect(start({ 'connection.url': 'postgres://h/db' })).toThrow(/connection.url/);
    expect(start({ 'max.retries': '3', 'retry.backoff.ms': '100', topics: 'a,b' })).not.toThrow();
    expect(maskSecrets({ 'connection.password': 'pw', 'connection.user': 'u' }, jdbcSinkConfig)).toEqual({ 'connection.password': '[hidden]', 'connection.user': 'u' });
  });
});
