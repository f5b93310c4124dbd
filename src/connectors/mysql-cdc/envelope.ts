// Debezium's event structures, as Debezium 3.x writes them (checked against
// its SchemaFactory, source info struct makers and published events):
//
// Change event value  `<topic>.Envelope`, version 2:
//   before   optional `<topic>.Value`      after  optional `<topic>.Value`
//   source   io.debezium.connector.{mysql|mariadb}.Source, version 1:
//            version, connector, name, ts_ms, snapshot (optional io.debezium.data.Enum,
//            default "false"), db, sequence?, ts_us?, ts_ns?, table?, server_id, gtid?,
//            file, pos, row, thread?, query?            (? = optional)
//   transaction  optional event.block, version 1 {id, total_order, data_collection_order}:
//            always null here (Debezium's provide.transaction.metadata is not offered),
//            but in the schema, as Debezium 3.x always puts it there
//   op       'c' | 'u' | 'd' | 'r' | 't'
//   ts_ms?, ts_us?, ts_ns?   when the connector processed the event
// Schema change key  io.debezium.connector.<kind>.SchemaChangeKey v1 {databaseName}
// Schema change value  io.debezium.connector.<kind>.SchemaChangeValue v1
//   {source, ts_ms, databaseName?, schemaName?, ddl?, tableChanges: [io.debezium.connector.schema.Change v1
//    {type, id, table: io.debezium.connector.schema.Table v1 {defaultCharsetName?, primaryKeyColumnNames?,
//     columns: [io.debezium.connector.schema.Column v1 {…}], comment?}}]}
// Heartbeat  key io.debezium.connector.common.ServerNameKey v1 {serverName},
//            value io.debezium.connector.common.Heartbeat v1 {ts_ms}, to __debezium-heartbeat.<prefix>

import { Schema, SchemaBuilder } from '../../connect/data/schema.js';
import { Struct } from '../../connect/data/struct.js';
import { DataError } from '../../connect/errors.js';
import type { TableChange } from './ddl.js';
import type { TableSchema } from './table-schema.js';
import { DEBEZIUM, debeziumColumnInfo } from './types.js';

/** Which Debezium connector the events imitate: MySqlConnector or MariaDbConnector. */
export type ConnectorKind = 'mysql' | 'mariadb';
export type Op = 'c' | 'u' | 'd' | 'r' | 't';
export type SnapshotMarker = 'true' | 'first' | 'first_in_data_collection' | 'last_in_data_collection' | 'last' | 'false' | 'incremental';

const SNAPSHOT_ALLOWED = 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental';

function perKind(build: (kind: ConnectorKind) => Schema): (kind: ConnectorKind) => Schema {
  const cache = new Map<ConnectorKind, Schema>();
  return (kind) => {
    let s = cache.get(kind);
    if (!s) cache.set(kind, (s = build(kind)));
    return s;
  };
}

// ---- source ---------------------------------------------------------------------------------------

/** The `source` block's schema. */
export const sourceSchema = perKind((kind) =>
  SchemaBuilder.struct()
    .name(`io.debezium.connector.${kind}.Source`)
    .version(1)
    .field('version', Schema.STRING_SCHEMA)
    .field('connector', Schema.STRING_SCHEMA)
    .field('name', Schema.STRING_SCHEMA)
    .field('ts_ms', Schema.INT64_SCHEMA)
    .field('snapshot', SchemaBuilder.string().name(DEBEZIUM.ENUM).version(1).parameter('allowed', SNAPSHOT_ALLOWED).defaultValue('false').optional())
    .field('db', Schema.STRING_SCHEMA)
    .field('sequence', Schema.OPTIONAL_STRING_SCHEMA)
    .field('ts_us', Schema.OPTIONAL_INT64_SCHEMA)
    .field('ts_ns', Schema.OPTIONAL_INT64_SCHEMA)
    .field('table', Schema.OPTIONAL_STRING_SCHEMA)
    .field('server_id', Schema.INT64_SCHEMA)
    .field('gtid', Schema.OPTIONAL_STRING_SCHEMA)
    .field('file', Schema.STRING_SCHEMA)
    .field('pos', Schema.INT64_SCHEMA)
    .field('row', Schema.INT32_SCHEMA)
    .field('thread', Schema.OPTIONAL_INT64_SCHEMA)
    .field('query', Schema.OPTIONAL_STRING_SCHEMA)
    .build(),
);

export interface SourceInfo {
  /** The connector's version (Debezium writes e.g. '3.2.1.Final'). */
  readonly version: string;
  /** topic.prefix */
  readonly name: string;
  /** When the change happened in the database (the binlog event's timestamp; the read time in a snapshot). */
  readonly tsMs: number;
  /** Default 'false'. */
  readonly snapshot?: SnapshotMarker;
  readonly db: string;
  readonly table?: string | null;
  readonly serverId: number;
  /** The transaction's GTID (MariaDB: '0-1-9'). */
  readonly gtid?: string | null;
  readonly file: string;
  readonly pos: number;
  readonly row: number;
  readonly thread?: number | null;
  readonly query?: string | null;
  readonly sequence?: string | null;
}

/** int64 nanoseconds from milliseconds: beyond 2^53, so a bigint. */
function nanosOf(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * 1_000_000n;
}

/** The `source` block of one event. */
export function makeSource(kind: ConnectorKind, info: SourceInfo): Struct {
  return Struct.unchecked(sourceSchema(kind), [
    info.version,
    kind,
    info.name,
    info.tsMs,
    info.snapshot ?? 'false',
    info.db,
    info.sequence ?? null,
    info.tsMs * 1000,
    nanosOf(info.tsMs),
    info.table ?? null,
    info.serverId,
    info.gtid ?? null,
    info.file,
    info.pos,
    info.row,
    info.thread ?? null,
    info.query ?? null,
  ]);
}

// ---- change event envelope -----------------------------------------------------------------------------

export const TRANSACTION_BLOCK_SCHEMA = SchemaBuilder.struct()
  .name('event.block')
  .version(1)
  .optional()
  .field('id', Schema.STRING_SCHEMA)
  .field('total_order', Schema.INT64_SCHEMA)
  .field('data_collection_order', Schema.INT64_SCHEMA)
  .build();

const envelopes = new WeakMap<Schema, Map<ConnectorKind, Schema>>();

/** The envelope schema around a table's value schema (`<topic>.Value` → `<topic>.Envelope`), built once per value schema. */
export function envelopeSchema(valueSchema: Schema, kind: ConnectorKind): Schema {
  let byKind = envelopes.get(valueSchema);
  if (!byKind) envelopes.set(valueSchema, (byKind = new Map()));
  let s = byKind.get(kind);
  if (!s) {
    const name = valueSchema.name?.replace(/\.Value$/, '.Envelope');
    if (!name || !name.endsWith('.Envelope')) throw new DataError(`Not a table value schema: ${valueSchema.describe()}`);
    s = SchemaBuilder.struct()
      .name(name)
      .version(2)
      .field('before', valueSchema)
      .field('after', valueSchema)
      .field('source', sourceSchema(kind))
      .field('transaction', TRANSACTION_BLOCK_SCHEMA)
      .field('op', Schema.STRING_SCHEMA)
      .field('ts_ms', Schema.OPTIONAL_INT64_SCHEMA)
      .field('ts_us', Schema.OPTIONAL_INT64_SCHEMA)
      .field('ts_ns', Schema.OPTIONAL_INT64_SCHEMA)
      .build();
    byKind.set(kind, s);
  }
  return s;
}

/** A change event value. `tsMs`: when the connector processed it. */
export function makeEnvelope(schema: Schema, op: Op, before: Struct | null, after: Struct | null, source: Struct, tsMs: number): Struct {
  return Struct.unchecked(schema, [before, after, source, null, op, tsMs, tsMs * 1000, nanosOf(tsMs)]);
}

// ---- schema change events --------------------------------------------------------------------------------------

const columnSchema = SchemaBuilder.struct()
  .name('io.debezium.connector.schema.Column')
  .version(1)
  .field('name', Schema.STRING_SCHEMA)
  .field('jdbcType', Schema.INT32_SCHEMA)
  .field('nativeType', Schema.OPTIONAL_INT32_SCHEMA)
  .field('typeName', Schema.STRING_SCHEMA)
  .field('typeExpression', Schema.OPTIONAL_STRING_SCHEMA)
  .field('charsetName', Schema.OPTIONAL_STRING_SCHEMA)
  .field('length', Schema.OPTIONAL_INT32_SCHEMA)
  .field('scale', Schema.OPTIONAL_INT32_SCHEMA)
  .field('position', Schema.INT32_SCHEMA)
  .field('optional', Schema.OPTIONAL_BOOLEAN_SCHEMA)
  .field('autoIncremented', Schema.OPTIONAL_BOOLEAN_SCHEMA)
  .field('generated', Schema.OPTIONAL_BOOLEAN_SCHEMA)
  .field('comment', Schema.OPTIONAL_STRING_SCHEMA)
  .field('defaultValueExpression', Schema.OPTIONAL_STRING_SCHEMA)
  .field('enumValues', SchemaBuilder.array(Schema.STRING_SCHEMA).optional())
  .build();

const tableSchema = SchemaBuilder.struct()
  .name('io.debezium.connector.schema.Table')
  .version(1)
  .field('defaultCharsetName', Schema.OPTIONAL_STRING_SCHEMA)
  .field('primaryKeyColumnNames', SchemaBuilder.array(Schema.STRING_SCHEMA).optional())
  .field('columns', SchemaBuilder.array(columnSchema))
  .field('comment', Schema.OPTIONAL_STRING_SCHEMA)
  .build();

export const CHANGE_SCHEMA = SchemaBuilder.struct()
  .name('io.debezium.connector.schema.Change')
  .version(1)
  .field('type', Schema.STRING_SCHEMA)
  .field('id', Schema.STRING_SCHEMA)
  .field('table', tableSchema)
  .build();

export const schemaChangeKeySchema = perKind((kind) => SchemaBuilder.struct().name(`io.debezium.connector.${kind}.SchemaChangeKey`).version(1).field('databaseName', Schema.STRING_SCHEMA).build());

export const schemaChangeValueSchema = perKind((kind) =>
  SchemaBuilder.struct()
    .name(`io.debezium.connector.${kind}.SchemaChangeValue`)
    .version(1)
    .field('source', sourceSchema(kind))
    .field('ts_ms', Schema.INT64_SCHEMA)
    .field('databaseName', Schema.OPTIONAL_STRING_SCHEMA)
    .field('schemaName', Schema.OPTIONAL_STRING_SCHEMA)
    .field('ddl', Schema.OPTIONAL_STRING_SCHEMA)
    .field('tableChanges', SchemaBuilder.array(CHANGE_SCHEMA))
    .build(),
);

export function makeSchemaChangeKey(kind: ConnectorKind, databaseName: string): Struct {
  return Struct.unchecked(schemaChangeKeySchema(kind), [databaseName]);
}

export interface SchemaChange {
  readonly source: Struct;
  readonly tsMs: number;
  readonly databaseName: string | null;
  readonly ddl: string | null;
  readonly tableChanges: readonly TableChange[];
}

/** A schema change event value (to the topic named topic.prefix). */
export function makeSchemaChangeValue(kind: ConnectorKind, change: SchemaChange): Struct {
  return Struct.unchecked(schemaChangeValueSchema(kind), [change.source, change.tsMs, change.databaseName, null, change.ddl, change.tableChanges.map(changeStruct)]);
}

/** Debezium's TableId.toDoubleQuotedString: "db"."table". */
export function doubleQuotedId(db: string, table: string): string {
  return `"${db}"."${table}"`;
}

function changeStruct(change: TableChange): Struct {
  return Struct.unchecked(CHANGE_SCHEMA, [change.type, doubleQuotedId(change.table.db, change.table.table), tableStruct(change.table)]);
}

function tableStruct(t: TableSchema): Struct {
  const columns = t.columns.map((c) => {
    const info = debeziumColumnInfo(c);
    const defaultText = c.defaultExpression ?? c.default ?? null;
    return Struct.unchecked(columnSchema, [
      c.name,
      info.jdbcType,
      null,
      info.typeName,
      info.typeExpression,
      c.charset ?? null,
      info.length,
      info.scale,
      c.position,
      c.nullable,
      c.autoIncrement ?? false,
      c.generated ?? false,
      c.comment ?? null,
      defaultText,
      info.enumValues ? [...info.enumValues] : null,
    ]);
  });
  return Struct.unchecked(tableSchema, [t.charset, [...t.primaryKey], columns, t.comment ?? null]);
}

// ---- heartbeats -----------------------------------------------------------------------------------------------------

export const HEARTBEAT_KEY_SCHEMA = SchemaBuilder.struct().name('io.debezium.connector.common.ServerNameKey').version(1).field('serverName', Schema.STRING_SCHEMA).build();
export const HEARTBEAT_VALUE_SCHEMA = SchemaBuilder.struct().name('io.debezium.connector.common.Heartbeat').version(1).field('ts_ms', Schema.INT64_SCHEMA).build();

/** `__debezium-heartbeat.<prefix>` */
export function heartbeatTopic(topicPrefix: string): string {
  return `__debezium-heartbeat.${topicPrefix}`;
}

export function makeHeartbeatKey(serverName: string): Struct {
  return Struct.unchecked(HEARTBEAT_KEY_SCHEMA, [serverName]);
}

export function makeHeartbeatValue(tsMs: number): Struct {
  return Struct.unchecked(HEARTBEAT_VALUE_SCHEMA, [tsMs]);
}
