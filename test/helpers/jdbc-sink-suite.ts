// What the JDBC sink's tests against real databases share
// (test/integration/jdbc-sink-*.test.ts): tasks started against the file's
// server and stopped after each test, the records they are given, and the
// scenarios whose assertions hold for every dialect. What differs between
// dialects is a parameter here or stays in the test file.
import { afterEach, expect, it } from 'vitest';
import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal, Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConnectError, DataError } from '../../src/connect/errors.js';
import { sinkRecord, type SinkRecord } from '../../src/connect/record.js';
import { JdbcSinkTask } from '../../src/connectors/jdbc/index.js';

/** Where and as whom the sink writes. */
export interface JdbcSinkTarget {
  jdbcUrl: string;
  user: string;
  password: string;
}

/** Rows of a table, each value as text, ordered by column `orderBy` (1-based). */
export type RowsOf = (table: string, orderBy?: number) => Promise<Array<Record<string, string | null>>>;

/** SQL as the sink's user; resolves with the rows. */
export type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * `sink(config)`: a JdbcSinkTask started against `target()` (read at each
 * start, so a target known only in beforeAll works) with `config` on top;
 * every task started here or pushed on `tasks` is stopped after each test.
 */
export function useJdbcSink(target: () => JdbcSinkTarget): { sink: (config: Record<string, string>) => JdbcSinkTask; tasks: JdbcSinkTask[] } {
  const tasks: JdbcSinkTask[] = [];
  afterEach(async () => {
    for (const t of tasks.splice(0)) await t.stop();
  });
  function sink(config: Record<string, string>): JdbcSinkTask {
    const { jdbcUrl, user, password } = target();
    const task = new JdbcSinkTask('test');
    task.start({ 'connection.url': jdbcUrl, 'connection.user': user, 'connection.password': password, ...config });
    tasks.push(task);
    return task;
  }
  return { sink, tasks };
}

let offset = 0;
/** A sink record at the next offset; the schemas are the Structs' own unless given. */
export function rec(topic: string, key: unknown, value: unknown, opts: { keySchema?: Schema | null; valueSchema?: Schema | null; partition?: number } = {}): SinkRecord {
  return sinkRecord({
    topic,
    kafkaPartition: opts.partition ?? 0,
    kafkaOffset: offset++,
    key,
    keySchema: opts.keySchema ?? (key instanceof Struct ? key.schema : null),
    value,
    valueSchema: opts.valueSchema ?? (value instanceof Struct ? value.schema : null),
    timestampType: 'CREATE_TIME',
  });
}

export const KEY = SchemaBuilder.struct().name('Key').field('id', Schema.INT32_SCHEMA).build();
export const VALUE = SchemaBuilder.struct().name('Value').field('id', Schema.INT32_SCHEMA).field('name', Schema.STRING_SCHEMA).field('qty', Schema.OPTIONAL_INT64_SCHEMA).build();
export const key = (id: number) => Struct.from(KEY, { id });
export const value = (id: number, name: string, qty: number | null = null) => Struct.from(VALUE, { id, name, qty });
export const row = (topic: string, id: number, name: string, qty: number | null = null) => rec(topic, key(id), value(id, name, qty));

export interface JdbcSinkScenarios {
  /** From useJdbcSink. */
  sink: (config: Record<string, string>) => JdbcSinkTask;
  rows: RowsOf;
  query: Query;
  /** The condition on `column` (a table_schema), with a trailing AND, that keeps information_schema to the sink's own database; '' where it holds only that. */
  schemaScope: (column: string) => string;
  /** The column type for JSON in a table the test creates, and how a row's {"y":1} in it reads back as text. */
  json: { type: string; text: string };
  /** Whether the dialect's run also checks that a new required field with a default is added with that default. */
  evolve: { requiredWithDefault: boolean };
  /**
   * The type round-trip: how the values whose text differs by dialect read
   * back; longTime, where a TIME holds more than a day, is what a MicroTime of
   * 25 hours reads back as; columns is SQL giving column names (c) and types (t)
   * of table types, and what they must be.
   */
  types: { text: { flag: string; raw: string; dbz_zoned: string; doc: string }; longTime?: string; columns: { sql: string; expected: string[] } };
}

/** Registers the scenarios every dialect shares: insert, upsert and update modes, the pk modes, tombstones, auto.evolve, the type round-trip, transactions, schemaless values. */
export function jdbcSinkScenarios({ sink, rows, query, schemaScope, json, evolve, types }: JdbcSinkScenarios): void {
  it('insert mode, pk.mode=none: auto.create makes the table and every record is a row', async () => {
    const task = sink({ 'auto.create': 'true' });
    await task.put([row('plain', 1, 'a', 5), row('plain', 2, 'b'), row('plain', 1, 'a again')]);
    expect(await rows('plain', 2)).toEqual([
      { id: '1', name: 'a', qty: '5' },
      { id: '1', name: 'a again', qty: null },
      { id: '2', name: 'b', qty: null },
    ]);
    const pk = await query(`SELECT 1 FROM information_schema.table_constraints WHERE ${schemaScope('table_schema')}table_name = 'plain' AND constraint_type = 'PRIMARY KEY'`);
    expect(pk).toEqual([]);
  });

  it('upsert with pk.mode=record_key: the primary key is the key, an update wins, and redelivering the same batch changes nothing', async () => {
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key' });
    const batch = [row('upserts', 1, 'one'), row('upserts', 2, 'two'), row('upserts', 1, 'one, updated', 7)];
    await task.put(batch);
    await task.put(batch);
    await task.put(batch.slice(0, 2).concat(batch.slice(2)));
    expect(await rows('upserts')).toEqual([
      { id: '1', name: 'one, updated', qty: '7' },
      { id: '2', name: 'two', qty: null },
    ]);
    const pk = await query<{ column_name: string }>(`SELECT k.column_name FROM information_schema.key_column_usage k WHERE ${schemaScope('k.table_schema')}k.table_name = 'upserts'`);
    // MySQL may name the column COLUMN_NAME whatever the alias says.
    expect(pk.map((p) => p.column_name ?? (p as Record<string, string>)['COLUMN_NAME'])).toEqual(['id']);
  });

  it('pk.mode=kafka: topic, partition and offset are the key, so redelivery under upsert is harmless', async () => {
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'kafka' });
    const batch = [rec('kafkapk', null, value(1, 'x'), { partition: 3 }), rec('kafkapk', null, value(2, 'y'), { partition: 3 })];
    await task.put(batch);
    await task.put(batch);
    const got = await rows('kafkapk', 3);
    expect(got).toEqual(batch.map((b) => ({ __connect_topic: 'kafkapk', __connect_partition: '3', __connect_offset: String(b.kafkaOffset), id: String((b.value as Struct).get('id')), name: (b.value as Struct).get('name'), qty: null })));
  });

  it('pk.mode=record_value with pk.fields and fields.whitelist', async () => {
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_value', 'pk.fields': 'id', 'fields.whitelist': 'name' });
    await task.put([rec('byvalue', null, value(1, 'a', 10)), rec('byvalue', null, value(1, 'b', 11))]);
    expect(await rows('byvalue')).toEqual([{ id: '1', name: 'b' }]);
  });

  it('pk.mode=record_key with a primitive key: one column, pk.fields naming it or __connect_key', async () => {
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key' });
    const v = SchemaBuilder.struct().field('note', Schema.STRING_SCHEMA).build();
    await task.put([rec('primkey', 'k1', Struct.from(v, { note: 'n1' }), { keySchema: Schema.STRING_SCHEMA }), rec('primkey', 'k1', Struct.from(v, { note: 'n2' }), { keySchema: Schema.STRING_SCHEMA })]);
    expect(await rows('primkey')).toEqual([{ __connect_key: 'k1', note: 'n2' }]);
    const named = sink({ 'auto.create': 'true', 'pk.mode': 'record_key', 'pk.fields': 'code', 'table.name.format': 'primkey_named' });
    await named.put([rec('t', 42, Struct.from(v, { note: 'x' }), { keySchema: Schema.INT64_SCHEMA })]);
    expect(await rows('primkey_named')).toEqual([{ code: '42', note: 'x' }]);
  });

  it('update mode changes existing rows only', async () => {
    await sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key' }).put([row('updates', 1, 'one'), row('updates', 2, 'two')]);
    const task = sink({ 'insert.mode': 'update', 'pk.mode': 'record_key' });
    await task.put([row('updates', 2, 'TWO', 2), row('updates', 3, 'three')]);
    expect(await rows('updates')).toEqual([
      { id: '1', name: 'one', qty: null },
      { id: '2', name: 'TWO', qty: '2' },
    ]);
  });

  it('tombstones delete with delete.enabled, in record order with the writes around them; skipped without it; nothing to do for a table that does not exist', async () => {
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_key', 'delete.enabled': 'true', 'table.name.format': 'deletes' });
    await task.put([row('d', 1, 'one'), row('d', 2, 'two'), row('d', 3, 'three')]);
    await task.put([rec('d', key(1), null, { valueSchema: VALUE }), rec('d', key(3), null), row('d', 3, 'three again'), rec('d', key(2), null), rec('d', key(9), null)]);
    expect(await rows('deletes')).toEqual([{ id: '3', name: 'three again', qty: null }]);
    const keep = sink({ 'insert.mode': 'upsert', 'pk.mode': 'record_key', 'table.name.format': 'deletes' });
    await keep.put([rec('d', key(3), null)]);
    expect(await rows('deletes')).toHaveLength(1);
    await task.put([rec('never_created', key(1), null)]);
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
    if (evolve.requiredWithDefault) {
      const withDefault = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('name', Schema.STRING_SCHEMA).field('rank', SchemaBuilder.int32().defaultValue(9).build()).build();
      await task.put([rec('evolving', key(4), Struct.from(withDefault, { id: 4, name: 'four' }))]);
      expect((await rows('evolving')).at(-1)).toEqual({ id: '4', name: 'four', qty: null, color: null, rank: '9' });
    }
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
    const builder = SchemaBuilder.struct()
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
      .field('dbz_micro_time', named(SchemaBuilder.int64(), 'io.debezium.time.MicroTime'));
    if (types.longTime !== undefined) builder.field('long_time', named(SchemaBuilder.int64(), 'io.debezium.time.MicroTime'));
    const schema = builder
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
      ...(types.longTime !== undefined ? { long_time: 90_000_000_001 } : {}),
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
      flag: types.text.flag,
      text: 'héllo ✓ \'"`;',
      raw: types.text.raw,
      price: '-12345.6789',
      amount: '99999999.99',
      day: '2024-02-29',
      clock: '13:45:30.123',
      at: '1969-12-31 23:59:58.765',
      dbz_date: '2024-02-29',
      dbz_time: '12:34:56.789',
      dbz_micro_time: '12:34:56.789123',
      ...(types.longTime !== undefined ? { long_time: types.longTime } : {}),
      dbz_nano_time: '12:34:56.789123',
      dbz_ts: '2023-11-14 22:13:20.123',
      dbz_micro_ts: '2023-11-14 22:13:20.123456',
      dbz_nano_ts: '2023-11-14 22:13:20.123456',
      dbz_zoned: types.text.dbz_zoned,
      doc: types.text.doc,
    });
    expect(Object.entries(empty!).filter(([k, v]) => k !== 'id' && v !== null)).toEqual([]);
    const columns = await query<{ c: string; t: string }>(types.columns.sql);
    expect(columns.map((t) => `${t.c} ${t.t}`)).toEqual(types.columns.expected);
  });

  it('one transaction per put: a record the server refuses mid-batch leaves nothing of the batch, and the error names it', async () => {
    const task = sink({ 'auto.create': 'true', 'pk.mode': 'record_key' });
    await task.put([row('atomic', 5, 'existing')]);
    const bad = row('atomic', 5, 'duplicate key');
    const err = await task.put([row('atomic', 1, 'a'), row('atomic', 2, 'b'), bad, row('atomic', 3, 'c')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(`topic "atomic" partition 0 offset ${bad.kafkaOffset}`);
    expect((err as ConnectError).retriable).toBe(false);
    expect(await rows('atomic')).toEqual([{ id: '5', name: 'existing', qty: null }]);
    await task.put([row('atomic', 1, 'a')]);
    expect(await rows('atomic')).toHaveLength(2);
  });

  it('a batch over several tables is one transaction too', async () => {
    const task = sink({ 'auto.create': 'true', 'pk.mode': 'record_key' });
    await task.put([row('multi_a', 1, 'a'), row('multi_b', 1, 'b')]);
    const err = await task.put([row('multi_a', 2, 'a2'), row('multi_b', 1, 'dup')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(await rows('multi_a')).toHaveLength(1);
  });

  it('schemaless values are written to an existing table, and refused with a clear error when the table would have to be created', async () => {
    await query(`CREATE TABLE loose (id int PRIMARY KEY, name text, tags ${json.type})`);
    const task = sink({ 'auto.create': 'true', 'insert.mode': 'upsert', 'pk.mode': 'record_value', 'pk.fields': 'id' });
    await task.put([rec('loose', null, { id: 1, name: 'a', tags: ['x'] }), rec('loose', null, { id: 1, name: 'b', tags: { y: 1 } })]);
    expect(await rows('loose')).toEqual([{ id: '1', name: 'b', tags: json.text }]);
    await expect(task.put([rec('loose_missing', null, { id: 1 })])).rejects.toThrow(/a record without a schema cannot create it/);
  });
}
