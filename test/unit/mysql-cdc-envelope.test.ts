import { describe, expect, it } from 'vitest';
import { JsonConverter } from '../../src/connect/converters/json.js';
import type { Schema } from '../../src/connect/data/schema.js';
import { applyDdl, catalogOf } from '../../src/connectors/mysql-cdc/ddl.js';
import {
  envelopeSchema,
  heartbeatTopic,
  makeEnvelope,
  makeHeartbeatKey,
  makeHeartbeatValue,
  makeSchemaChangeKey,
  makeSchemaChangeValue,
  makeSource,
  type SourceInfo,
} from '../../src/connectors/mysql-cdc/envelope.js';
import { tableRecordSchemas, tableSchemaFromCreateTable } from '../../src/connectors/mysql-cdc/table-schema.js';

const json = new JsonConverter();
json.configure({});
const text = (schema: Schema, value: unknown) => json.fromConnectData('t', schema, value)!.toString('utf8');
const schemaText = (schema: Schema, value: unknown) => {
  const t = text(schema, value);
  return t.slice('{"schema":'.length, t.indexOf(',"payload":'));
};

// The table of a published Debezium 3.2.1 MySQL event, and that event's value schema as JsonConverter wrote it.
const CUSTOMERS = tableSchemaFromCreateTable(
  'mydb',
  'CREATE TABLE `customers` (`id` int(11) NOT NULL, `first_name` varchar(255) DEFAULT NULL, `last_name` varchar(255) DEFAULT NULL, `email` varchar(255) DEFAULT NULL, PRIMARY KEY (`id`))',
);
const DEBEZIUM_321_VALUE_SCHEMA =
  '{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"first_name"},{"type":"string","optional":true,"field":"last_name"},{"type":"string","optional":true,"field":"email"}],"optional":true,"name":"dbserver1.mydb.customers.Value","field":"before"},{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"first_name"},{"type":"string","optional":true,"field":"last_name"},{"type":"string","optional":true,"field":"email"}],"optional":true,"name":"dbserver1.mydb.customers.Value","field":"after"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":true,"field":"table"},{"type":"int64","optional":false,"field":"server_id"},{"type":"string","optional":true,"field":"gtid"},{"type":"string","optional":false,"field":"file"},{"type":"int64","optional":false,"field":"pos"},{"type":"int32","optional":false,"field":"row"},{"type":"int64","optional":true,"field":"thread"},{"type":"string","optional":true,"field":"query"}],"optional":false,"name":"io.debezium.connector.mysql.Source","version":1,"field":"source"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}],"optional":false,"name":"dbserver1.mydb.customers.Envelope","version":2}';

const SOURCE: SourceInfo = { version: '3.2.1.Final', name: 'dbserver1', tsMs: 1755598922000, db: 'mydb', table: 'customers', serverId: 1, file: 'binlog.000003', pos: 168709, row: 0, thread: 12 };

describe('change event envelope', () => {
  const customers = tableRecordSchemas(CUSTOMERS, { prefix: 'dbserver1' });
  const envelope = envelopeSchema(customers.valueSchema, 'mysql');

  it("has Debezium 3.x's schema, to the byte, as JsonConverter writes it", () => {
    const after = customers.value({ id: 230, first_name: 'John230', last_name: 'Doe230', email: 'john.doe230@example.com' });
    const event = makeEnvelope(envelope, 'c', null, after, makeSource('mysql', SOURCE), 1755598922571);
    event.validate();
    expect(schemaText(envelope, event)).toBe(DEBEZIUM_321_VALUE_SCHEMA);
    expect(JSON.parse(text(envelope, event)).payload).toEqual({
      before: null,
      after: { id: 230, first_name: 'John230', last_name: 'Doe230', email: 'john.doe230@example.com' },
      source: {
        version: '3.2.1.Final',
        connector: 'mysql',
        name: 'dbserver1',
        ts_ms: 1755598922000,
        snapshot: 'false',
        db: 'mydb',
        sequence: null,
        ts_us: 1755598922000000,
        ts_ns: 1755598922000000000,
        table: 'customers',
        server_id: 1,
        gtid: null,
        file: 'binlog.000003',
        pos: 168709,
        row: 0,
        thread: 12,
        query: null,
      },
      transaction: null,
      op: 'c',
      ts_ms: 1755598922571,
      ts_us: 1755598922571000,
      ts_ns: 1755598922571000000,
    });
  });

  it('keeps the fields in order: before, after, source, transaction, op, ts_ms, ts_us, ts_ns', () => {
    expect(envelope.fields.map((f) => f.name)).toEqual(['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns']);
    expect(envelope.field('source')!.schema.fields.map((f) => f.name)).toEqual(['version', 'connector', 'name', 'ts_ms', 'snapshot', 'db', 'sequence', 'ts_us', 'ts_ns', 'table', 'server_id', 'gtid', 'file', 'pos', 'row', 'thread', 'query']);
  });

  it('writes int64 nanoseconds exactly', () => {
    const event = makeEnvelope(envelope, 'd', customers.value({ id: 1 }), null, makeSource('mysql', { ...SOURCE, tsMs: 1782327979001 }), 1782327979817);
    const t = text(envelope, event);
    expect(t).toContain('"ts_ns":1782327979001000000');
    expect(t).toContain('"ts_ns":1782327979817000000}}');
  });

  it('builds the envelope schema once per value schema and connector', () => {
    expect(envelopeSchema(customers.valueSchema, 'mysql')).toBe(envelope);
    expect(envelopeSchema(customers.valueSchema, 'mariadb')).not.toBe(envelope);
    expect(() => envelopeSchema(customers.keySchema!, 'mysql')).toThrow(/Not a table value schema/);
  });

  it('carries every op, with before and after as the op needs them', () => {
    const row = customers.value({ id: 1, first_name: 'a' });
    const updated = customers.value({ id: 1, first_name: 'b' });
    const source = makeSource('mysql', SOURCE);
    const cases: Array<[Parameters<typeof makeEnvelope>[1], typeof row | null, typeof row | null]> = [
      ['c', null, row],
      ['u', row, updated],
      ['d', row, null],
      ['r', null, row],
      ['t', null, null],
    ];
    for (const [op, before, after] of cases) {
      const e = makeEnvelope(envelope, op, before, after, source, 1);
      e.validate();
      const payload = JSON.parse(text(envelope, e)).payload;
      expect([payload.op, payload.before?.first_name ?? null, payload.after?.first_name ?? null]).toEqual([op, before?.get('first_name') ?? null, after?.get('first_name') ?? null]);
    }
  });

  it('marks snapshot reads in source.snapshot', () => {
    for (const marker of ['first', 'true', 'last', 'last_in_data_collection'] as const) {
      const e = makeEnvelope(envelope, 'r', null, customers.value({ id: 1 }), makeSource('mysql', { ...SOURCE, snapshot: marker }), 1);
      expect(JSON.parse(text(envelope, e)).payload.source.snapshot).toBe(marker);
    }
  });

  it("MariaDbConnector's variant: io.debezium.connector.mariadb.Source, connector 'mariadb', MariaDB GTIDs", () => {
    const e = envelopeSchema(customers.valueSchema, 'mariadb');
    const event = makeEnvelope(e, 'c', null, customers.value({ id: 1 }), makeSource('mariadb', { ...SOURCE, gtid: '0-1-37', thread: null }), 1);
    event.validate();
    const out = JSON.parse(text(e, event));
    expect(out.schema.fields[2]).toMatchObject({ name: 'io.debezium.connector.mariadb.Source', version: 1, field: 'source' });
    expect(out.payload.source).toMatchObject({ connector: 'mariadb', gtid: '0-1-37', thread: null });
    expect(schemaText(e, event)).toBe(DEBEZIUM_321_VALUE_SCHEMA.replace('connector.mysql.Source', 'connector.mariadb.Source'));
  });
});

describe('schema change events', () => {
  const catalog = catalogOf([CUSTOMERS]);

  it("key: io.debezium.connector.mysql.SchemaChangeKey {databaseName}", () => {
    const key = makeSchemaChangeKey('mysql', 'mydb');
    expect(text(key.schema, key)).toBe('{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"databaseName"}],"optional":false,"name":"io.debezium.connector.mysql.SchemaChangeKey","version":1},"payload":{"databaseName":"mydb"}}');
  });

  it('value: source, ts_ms, databaseName, schemaName, ddl and the tableChanges with the full table', () => {
    const ddl = "ALTER TABLE customers ADD COLUMN size ENUM('S','M') NOT NULL DEFAULT 'S' COMMENT 'fit'";
    const r = applyDdl(catalog, ddl, 'mydb');
    if (r.kind !== 'changed') throw new Error(r.kind);
    const value = makeSchemaChangeValue('mysql', { source: makeSource('mysql', { ...SOURCE, table: null, query: null }), tsMs: 1701326309000, databaseName: 'mydb', ddl, tableChanges: r.changes });
    value.validate();
    const out = JSON.parse(text(value.schema, value));
    expect(out.schema.name).toBe('io.debezium.connector.mysql.SchemaChangeValue');
    expect(out.schema.version).toBe(1);
    expect(out.schema.fields.map((f: { field: string }) => f.field)).toEqual(['source', 'ts_ms', 'databaseName', 'schemaName', 'ddl', 'tableChanges']);
    expect(out.schema.fields[5].items).toMatchObject({ type: 'struct', name: 'io.debezium.connector.schema.Change', version: 1 });
    expect(out.schema.fields[5].items.fields[2]).toMatchObject({ name: 'io.debezium.connector.schema.Table', version: 1, field: 'table' });
    expect(out.schema.fields[5].items.fields[2].fields[2].items.fields.map((f: { field: string }) => f.field)).toEqual([
      'name',
      'jdbcType',
      'nativeType',
      'typeName',
      'typeExpression',
      'charsetName',
      'length',
      'scale',
      'position',
      'optional',
      'autoIncremented',
      'generated',
      'comment',
      'defaultValueExpression',
      'enumValues',
    ]);
    expect(out.payload).toMatchObject({ ts_ms: 1701326309000, databaseName: 'mydb', schemaName: null, ddl });
    expect(out.payload.tableChanges).toHaveLength(1);
    const change = out.payload.tableChanges[0];
    expect(change.type).toBe('ALTER');
    expect(change.id).toBe('"mydb"."customers"');
    expect(change.table.primaryKeyColumnNames).toEqual(['id']);
    expect(change.table.columns[0]).toEqual({
      name: 'id',
      jdbcType: 4,
      nativeType: null,
      typeName: 'INT',
      typeExpression: 'INT',
      charsetName: null,
      length: 11,
      scale: null,
      position: 1,
      optional: false,
      autoIncremented: false,
      generated: false,
      comment: null,
      defaultValueExpression: null,
      enumValues: null,
    });
    expect(change.table.columns[4]).toMatchObject({ name: 'size', jdbcType: 1, typeName: 'ENUM', position: 5, optional: false, comment: 'fit', defaultValueExpression: 'S', enumValues: ["'S'", "'M'"] });
  });

  it('a DROP TABLE lists the dropped table; the MariaDB variant has its own names', () => {
    const r = applyDdl(catalog, 'DROP TABLE customers', 'mydb');
    if (r.kind !== 'changed') throw new Error(r.kind);
    const value = makeSchemaChangeValue('mariadb', { source: makeSource('mariadb', SOURCE), tsMs: 1, databaseName: 'mydb', ddl: 'DROP TABLE customers', tableChanges: r.changes });
    value.validate();
    const out = JSON.parse(text(value.schema, value));
    expect(out.schema.name).toBe('io.debezium.connector.mariadb.SchemaChangeValue');
    expect(out.payload.tableChanges.map((c: { type: string; id: string }) => [c.type, c.id])).toEqual([['DROP', '"mydb"."customers"']]);
    expect(makeSchemaChangeKey('mariadb', 'mydb').schema.name).toBe('io.debezium.connector.mariadb.SchemaChangeKey');
  });
});

describe('heartbeats', () => {
  it('go to __debezium-heartbeat.<prefix> with key {serverName} and value {ts_ms}', () => {
    expect(heartbeatTopic('dbserver1')).toBe('__debezium-heartbeat.dbserver1');
    const key = makeHeartbeatKey('dbserver1');
    const value = makeHeartbeatValue(1700000000000);
    expect(text(key.schema, key)).toBe('{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],"optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1},"payload":{"serverName":"dbserver1"}}');
    expect(text(value.schema, value)).toBe('{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1},"payload":{"ts_ms":1700000000000}}');
  });
});
