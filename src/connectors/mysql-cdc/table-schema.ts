// A table's structure (TableSchema), read from INFORMATION_SCHEMA rows or
// from SHOW CREATE TABLE text, and what follows from it for one topic prefix
// and set of type modes, built once per table schema version:
//   key schema    `<prefix>.<db>.<table>.Key`    the primary key columns in key
//                                                order; none without a primary key
//   value schema  `<prefix>.<db>.<table>.Value`  every column in table order, less
//                                                excluded and unsupported ones; optional
//                                                (it is the envelope's before/after)
// and the row converters: a row object by column name (zongji's, or mysql2's)
// → the key and value Structs. The topic name is `<prefix>.<db>.<table>` with
// characters Kafka does not allow replaced by '_', as Debezium does.

import type { Schema } from '../../connect/data/schema.js';
import { SchemaBuilder } from '../../connect/data/schema.js';
import { Struct } from '../../connect/data/struct.js';
import { DataError } from '../../connect/errors.js';
import { parseCreateTable } from './ddl.js';
import { DEFAULT_TYPE_MODES, isCharacterType, mapColumn, parseColumnType, readQuoted, type ColumnDef, type TypeModes, type ValueConverter } from './types.js';

export interface TableSchema {
  readonly db: string;
  readonly table: string;
  /** In table order, positions 1..n. */
  readonly columns: readonly ColumnDef[];
  /** Primary key column names in key order; empty without a primary key. */
  readonly primaryKey: readonly string[];
  /** The table's default character set, null when unknown. */
  readonly charset: string | null;
  readonly comment?: string | null;
}

// ---- Reading a table's structure ------------------------------------------------------------

/** A row of `SELECT … FROM INFORMATION_SCHEMA.COLUMNS` (column names upper- or lower-case). */
export interface InformationSchemaColumn {
  readonly [column: string]: unknown;
  readonly COLUMN_NAME: string;
  readonly COLUMN_TYPE: string;
  readonly IS_NULLABLE: string;
  readonly COLUMN_DEFAULT: string | null;
  readonly ORDINAL_POSITION: number | string;
  readonly COLUMN_KEY?: string | null;
  readonly CHARACTER_SET_NAME?: string | null;
  readonly EXTRA?: string | null;
  readonly COLUMN_COMMENT?: string | null;
}

/** A row of `INFORMATION_SCHEMA.KEY_COLUMN_USAGE` for the table's PRIMARY constraint. */
export interface KeyColumnUsage {
  readonly [column: string]: unknown;
  readonly COLUMN_NAME: string;
  readonly ORDINAL_POSITION: number | string;
  readonly CONSTRAINT_NAME?: string;
}

/**
 * MariaDB (10.2.7+) writes COLUMN_DEFAULT as SQL: 'NULL', quoted strings,
 * bare numbers, current_timestamp(). MySQL writes literals unquoted, SQL NULL
 * for DEFAULT NULL, and marks expressions DEFAULT_GENERATED in EXTRA.
 */
export type ServerFlavor = 'mariadb' | 'mysql';

export interface InformationSchemaOptions {
  /** KEY_COLUMN_USAGE rows of the PRIMARY constraint, for the key order; without them, COLUMN_KEY 'PRI' columns in table order. */
  readonly keyColumns?: readonly KeyColumnUsage[];
  /** The table's default character set (INFORMATION_SCHEMA.TABLES via its collation). */
  readonly charset?: string | null;
  readonly comment?: string | null;
  /** Default 'mariadb'. */
  readonly flavor?: ServerFlavor;
}

type AnyRow = Readonly<Record<string, unknown>>;

function field(row: AnyRow, name: string): unknown {
  return row[name] ?? row[name.toLowerCase()];
}

/** The table's structure from its INFORMATION_SCHEMA.COLUMNS rows (any order). */
export function tableSchemaFromInformationSchema(db: string, table: string, rows: readonly InformationSchemaColumn[], opts: InformationSchemaOptions = {}): TableSchema {
  const flavor = opts.flavor ?? 'mariadb';
  const columns = [...rows]
    .sort((a, b) => Number(field(a, 'ORDINAL_POSITION')) - Number(field(b, 'ORDINAL_POSITION')))
    .map((r, i): ColumnDef => {
      const name = String(field(r, 'COLUMN_NAME'));
      const type = String(field(r, 'COLUMN_TYPE'));
      const extra = String(field(r, 'EXTRA') ?? '');
      const charset = field(r, 'CHARACTER_SET_NAME');
      const comment = field(r, 'COLUMN_COMMENT');
      const col: { -readonly [K in keyof ColumnDef]: ColumnDef[K] } = {
        name,
        type,
        nullable: String(field(r, 'IS_NULLABLE')).toUpperCase() === 'YES',
        charset: typeof charset === 'string' && isCharacterType(safeTypeName(type)) ? charset : null,
        position: i + 1,
        ...informationSchemaDefault(field(r, 'COLUMN_DEFAULT'), extra, flavor),
      };
      if (/auto_increment/i.test(extra)) col.autoIncrement = true;
      if (/generated|virtual|persistent|stored/i.test(extra.replace(/default_generated/i, ''))) col.generated = true;
      if (typeof comment === 'string' && comment !== '') col.comment = comment;
      return col;
    });
  let primaryKey: string[];
  if (opts.keyColumns && opts.keyColumns.length > 0) {
    primaryKey = [...opts.keyColumns]
      .filter((k) => (field(k, 'CONSTRAINT_NAME') ?? 'PRIMARY') === 'PRIMARY')
      .sort((a, b) => Number(field(a, 'ORDINAL_POSITION')) - Number(field(b, 'ORDINAL_POSITION')))
      .map((k) => String(field(k, 'COLUMN_NAME')));
  } else {
    primaryKey = rows.filter((r) => field(r, 'COLUMN_KEY') === 'PRI').map((r) => String(field(r, 'COLUMN_NAME')));
    primaryKey = columns.filter((c) => primaryKey.includes(c.name)).map((c) => c.name);
  }
  return { db, table, columns, primaryKey, charset: opts.charset ?? null, comment: opts.comment ?? null };
}

function safeTypeName(type: string): string {
  try {
    return parseColumnType(type).name;
  } catch {
    return '';
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const BIT_LITERAL = /^b'([01]*)'$/i;

function informationSchemaDefault(raw: unknown, extra: string, flavor: ServerFlavor): Pick<ColumnDef, 'default' | 'defaultExpression'> {
  if (raw === null || raw === undefined) return {};
  const s = String(raw);
  const bits = BIT_LITERAL.exec(s);
  if (bits) return { default: String(BigInt('0b' + (bits[1] || '0'))) };
  if (flavor === 'mysql') return /DEFAULT_GENERATED/i.test(extra) ? { defaultExpression: s } : { default: s };
  if (s === 'NULL') return { default: null };
  const literal = s.startsWith("'") ? readQuoted(s, 0) : null;
  if (literal && literal.end === s.length) return { default: literal.value };
  if (NUMBER.test(s)) return { default: s };
  return { defaultExpression: s };
}

/** The table's structure from SHOW CREATE TABLE's text. Throws DataError when it cannot be read. */
export function tableSchemaFromCreateTable(db: string, createTableSql: string, databaseCharset: string | null = null): TableSchema {
  return parseCreateTable(createTableSql, db, databaseCharset);
}

// ---- Record schemas and row converters ---------------------------------------------------------------

/** A row by column name, as zongji and mysql2 give it. */
export type Row = Readonly<Record<string, unknown>>;

export interface RecordSchemaOptions {
  /** topic.prefix */
  readonly prefix: string;
  readonly modes?: TypeModes;
  /** Whether a column goes into the value (column.include/exclude.list); the key keeps every primary key column. */
  readonly columnFilter?: (db: string, table: string, column: string) => boolean;
}

export interface TableRecordSchemas {
  readonly table: TableSchema;
  /** `<prefix>.<db>.<table>`, sanitized. */
  readonly topic: string;
  /** null without a primary key (the record key is then null, as Debezium). */
  readonly keySchema: Schema | null;
  readonly valueSchema: Schema;
  /** The columns the value holds, in order. */
  readonly valueColumns: readonly ColumnDef[];
  /** Columns left out because their type is not supported, with the reason (to log as warnings). */
  readonly skipped: ReadonlyArray<{ readonly column: string; readonly reason: string }>;
  key(row: Row): Struct | null;
  value(row: Row): Struct;
}

/** `<prefix>.<db>.<table>` with every character outside [a-zA-Z0-9._-] replaced by '_'. */
export function topicNameOf(prefix: string, db: string, table: string): string {
  return `${prefix}.${db}.${table}`.replace(/[^a-zA-Z0-9._-]/g, '_');
}

interface Converted {
  readonly schema: Schema;
  readonly names: readonly string[];
  readonly columns: readonly ColumnDef[];
  readonly convert: (row: Row) => Struct;
}

/** Key and value schemas and converters of one table schema version. */
export function tableRecordSchemas(table: TableSchema, opts: RecordSchemaOptions): TableRecordSchemas {
  const modes = opts.modes ?? DEFAULT_TYPE_MODES;
  const topic = topicNameOf(opts.prefix, table.db, table.table);
  const skipped: Array<{ column: string; reason: string }> = [];
  const mapped = new Map<string, { schema: Schema; convert: ValueConverter }>();
  for (const col of table.columns) {
    const m = mapColumn(col, modes);
    if ('unsupported' in m) skipped.push({ column: col.name, reason: m.unsupported });
    else mapped.set(col.name, m);
  }
  const filter = opts.columnFilter;
  const valueCols = table.columns.filter((c) => mapped.has(c.name) && (!filter || filter(table.db, table.table, c.name)));
  const value = structConverter(table, `${topic}.Value`, valueCols, mapped, true);
  const keyCols = table.primaryKey.map((k) => table.columns.find((c) => c.name === k)).filter((c): c is ColumnDef => c !== undefined && mapped.has(c.name));
  const key = keyCols.length > 0 ? structConverter(table, `${topic}.Key`, keyCols, mapped, false) : null;
  return {
    table,
    topic,
    keySchema: key?.schema ?? null,
    valueSchema: value.schema,
    valueColumns: value.columns,
    skipped,
    key: key ? key.convert : () => null,
    value: value.convert,
  };
}

function structConverter(table: TableSchema, name: string, cols: readonly ColumnDef[], mapped: ReadonlyMap<string, { schema: Schema; convert: ValueConverter }>, optional: boolean): Converted {
  const b = SchemaBuilder.struct().name(name);
  if (optional) b.optional();
  for (const c of cols) b.field(c.name, mapped.get(c.name)!.schema);
  const schema = b.build();
  const names = cols.map((c) => c.name);
  const converters = cols.map((c) => mapped.get(c.name)!.convert);
  const n = names.length;
  const convert = (row: Row): Struct => {
    const values = new Array<unknown>(n);
    let i = 0;
    try {
      for (; i < n; i++) values[i] = converters[i]!(row[names[i]!]);
    } catch (err) {
      const col = cols[i]!;
      throw new DataError(`Cannot convert column ${table.db}.${table.table}.${col.name} (${col.type}): ${(err as Error).message}`, { path: col.name, cause: err });
    }
    return Struct.unchecked(schema, values);
  };
  return { schema, names, columns: cols, convert };
}
