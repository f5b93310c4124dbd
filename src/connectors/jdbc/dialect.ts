// SQL dialects of the JDBC sink: MySQL/MariaDB and PostgreSQL. A dialect
// quotes identifiers, maps Connect schemas to column types, turns Connect
// values into bind parameters, and builds the statements. Values are always
// bind parameters (`?` for mysql2, `$n` for pg), never part of the SQL text.
//
// Identifier invariant: every table and column name reaches SQL through
// quote(), which either quotes it (backticks or double quotes, an embedded
// quote doubled) or, with quote.sql.identifiers=never, refuses anything but a
// plain name. NUL, the empty name and names longer than the server keeps
// (MySQL 64 characters, PostgreSQL 63 bytes, which it would silently cut) are
// refused in both modes.
//
// Temporal values are bound as text in UTC ('YYYY-MM-DD HH:MM:SS.ffffff'), so
// no driver time-zone conversion touches them and microseconds survive.

import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal, type Schema } from '../../connect/data/index.js';
import { DataError } from '../../connect/errors.js';
import type { DialectName } from './config.js';

export const DEBEZIUM = {
  DATE: 'io.debezium.time.Date',
  TIME: 'io.debezium.time.Time',
  MICRO_TIME: 'io.debezium.time.MicroTime',
  NANO_TIME: 'io.debezium.time.NanoTime',
  TIMESTAMP: 'io.debezium.time.Timestamp',
  MICRO_TIMESTAMP: 'io.debezium.time.MicroTimestamp',
  NANO_TIMESTAMP: 'io.debezium.time.NanoTimestamp',
  ZONED_TIMESTAMP: 'io.debezium.time.ZonedTimestamp',
  JSON: 'io.debezium.data.Json',
} as const;

/** A column as the sink writes it. */
export interface ColumnDef {
  readonly name: string;
  readonly schema: Schema;
  /** Part of the primary key (never NULL). */
  readonly pk: boolean;
}

export type Kind = 'date' | 'time' | 'timestamp' | 'zoned' | 'json' | 'decimal' | 'int' | 'bigint' | 'float' | 'boolean' | 'string' | 'bytes';

interface KindInfo {
  kind: Kind;
  /** Fraction digits of time/timestamp columns. */
  fsp?: number;
}

/** What a schema is written as. Arrays, maps and structs are not columns. */
export function kindOf(schema: Schema, column: string): KindInfo {
  switch (schema.name) {
    case Decimal.LOGICAL_NAME:
      return { kind: 'decimal' };
    case ConnectDate.LOGICAL_NAME:
    case DEBEZIUM.DATE:
      return { kind: 'date' };
    case ConnectTime.LOGICAL_NAME:
    case DEBEZIUM.TIME:
      return { kind: 'time', fsp: 3 };
    case DEBEZIUM.MICRO_TIME:
    case DEBEZIUM.NANO_TIME:
      return { kind: 'time', fsp: 6 };
    case ConnectTimestamp.LOGICAL_NAME:
    case DEBEZIUM.TIMESTAMP:
      return { kind: 'timestamp', fsp: 3 };
    case DEBEZIUM.MICRO_TIMESTAMP:
    case DEBEZIUM.NANO_TIMESTAMP:
      return { kind: 'timestamp', fsp: 6 };
    case DEBEZIUM.ZONED_TIMESTAMP:
      return { kind: 'zoned', fsp: 6 };
    case DEBEZIUM.JSON:
      return { kind: 'json' };
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      return { kind: 'int' };
    case 'int64':
      return { kind: 'bigint' };
    case 'float32':
    case 'float64':
      return { kind: 'float' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
      return { kind: 'string' };
    case 'bytes':
      return { kind: 'bytes' };
    default:
      throw new DataError(`Field "${column}" has schema ${schema.describe()}, which no SQL column type holds (arrays, maps and structs are not supported; flatten them first)`, { path: column });
  }
}

export interface Dialect {
  readonly name: DialectName;
  /** The identifier as SQL text; throws DataError naming it if it cannot be written safely. */
  quote(identifier: string): string;
  /** The column type of a schema. */
  columnType(col: ColumnDef): string;
  /** A Connect value as a bind parameter for a column of this schema. */
  bind(schema: Schema, value: unknown, column: string): unknown;
  /** The bind placeholder of parameter n (1-based). */
  placeholder(n: number): string;
  /** How many bind parameters one statement may hold. */
  readonly maxParams: number;
  createTable(table: string, columns: readonly ColumnDef[]): string;
  addColumns(table: string, columns: readonly ColumnDef[]): string[];
  /** INSERT of `rows` rows (or upsert when `upsertKeys` is given). */
  insert(table: string, columns: readonly string[], rows: number, upsertKeys: readonly string[] | null): string;
  update(table: string, set: readonly string[], keys: readonly string[]): string;
  deleteRows(table: string, keys: readonly string[], rows: number): string;
  /** SQL and params listing the columns of a table: rows of { name }; none when it does not exist. */
  columnsQuery(table: string): { sql: string; params: unknown[] };
  /** How the server compares column names (MySQL ignores case). */
  columnKey(name: string): string;
}

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

abstract class BaseDialect implements Dialect {
  abstract readonly name: DialectName;
  abstract readonly maxParams: number;
  protected abstract readonly quoteChar: string;
  protected abstract tooLong(identifier: string): string | undefined;

  constructor(protected readonly quoting: boolean) {}

  quote(identifier: string): string {
    const shown = JSON.stringify(identifier.length > 80 ? identifier.slice(0, 80) + '…' : identifier);
    if (identifier.length === 0) throw new DataError('An empty table or column name cannot be written');
    if (identifier.includes('\0')) throw new DataError(`The name ${shown} contains a NUL character, which no ${this.name} identifier may hold`, { path: identifier });
    const long = this.tooLong(identifier);
    if (long) throw new DataError(`The name ${shown} is too long: ${long}`, { path: identifier });
    if (!this.quoting) {
      if (!PLAIN_IDENTIFIER.test(identifier)) throw new DataError(`The name ${shown} cannot be written unquoted (quote.sql.identifiers=never): only letters, digits, _ and $, not starting with a digit; set quote.sql.identifiers=always or rename it`, { path: identifier });
      return identifier;
    }
    const q = this.quoteChar;
    return q + identifier.split(q).join(q + q) + q;
  }

  abstract columnType(col: ColumnDef): string;
  abstract placeholder(n: number): string;
  abstract insert(table: string, columns: readonly string[], rows: number, upsertKeys: readonly string[] | null): string;
  abstract columnsQuery(table: string): { sql: string; params: unknown[] };
  abstract columnKey(name: string): string;
  protected abstract bindBoolean(value: boolean): unknown;
  protected abstract bindZoned(text: string, column: string): string;

  protected params(from: number, count: number): string {
    return Array.from({ length: count }, (_, i) => this.placeholder(from + i)).join(',');
  }

  protected valuesRows(columns: number, rows: number): string {
    return Array.from({ length: rows }, (_, r) => `(${this.params(r * columns + 1, columns)})`).join(',');
  }

  createTable(table: string, columns: readonly ColumnDef[]): string {
    const defs = columns.map((c) => `${this.quote(c.name)} ${this.columnType(c)}${c.pk || !c.schema.optional ? ' NOT NULL' : ' NULL'}`);
    const pk = columns.filter((c) => c.pk).map((c) => this.quote(c.name));
    if (pk.length > 0) defs.push(`PRIMARY KEY(${pk.join(',')})`);
    return `CREATE TABLE IF NOT EXISTS ${this.quote(table)} (\n${defs.join(',\n')})`;
  }

  addColumns(table: string, columns: readonly ColumnDef[]): string[] {
    return columns.map((c) => `ALTER TABLE ${this.quote(table)} ADD ${this.quote(c.name)} ${this.columnType(c)} NULL`);
  }

  update(table: string, set: readonly string[], keys: readonly string[]): string {
    let n = 1;
    const assignments = set.map((c) => `${this.quote(c)}=${this.placeholder(n++)}`).join(',');
    const where = keys.map((c) => `${this.quote(c)}=${this.placeholder(n++)}`).join(' AND ');
    return `UPDATE ${this.quote(table)} SET ${assignments} WHERE ${where}`;
  }

  deleteRows(table: string, keys: readonly string[], rows: number): string {
    const cols = keys.length === 1 ? this.quote(keys[0]!) : `(${keys.map((k) => this.quote(k)).join(',')})`;
    const list = keys.length === 1 ? this.params(1, rows) : this.valuesRows(keys.length, rows);
    return `DELETE FROM ${this.quote(table)} WHERE ${cols} IN (${list})`;
  }

  bind(schema: Schema, value: unknown, column: string): unknown {
    if (value === null || value === undefined) return null;
    // Per value of every row: the kind is looked up once per schema, and the error built only when thrown.
    let kind = kinds.get(schema);
    if (kind === undefined) kinds.set(schema, (kind = kindOf(schema, column).kind));
    switch (kind) {
      case 'decimal':
        if (value instanceof Decimal) return value.toString();
        if (value instanceof Uint8Array) return Decimal.fromBytes(value, Decimal.scaleOf(schema)).toString();
        throw badValue(schema, column, 'expected a Decimal');
      case 'date':
        return formatDate(schema.name === ConnectDate.LOGICAL_NAME ? toDate(value, schema, column) : new Date(Number(value) * 86_400_000));
      case 'time': {
        if (schema.name === ConnectTime.LOGICAL_NAME) return formatTimeOfDay(BigInt(toDate(value, schema, column).getTime()) * 1000n);
        const n = toBigInt(value, schema, column);
        if (schema.name === DEBEZIUM.MICRO_TIME) return formatTimeOfDay(n);
        if (schema.name === DEBEZIUM.NANO_TIME) return formatTimeOfDay(n / 1000n);
        return formatTimeOfDay(n * 1000n);
      }
      case 'timestamp': {
        if (schema.name === ConnectTimestamp.LOGICAL_NAME) {
          const d = toDate(value, schema, column);
          // Years 0000–9999 (toISOString's 24-character form): no BigInt arithmetic needed.
          const iso = Number.isNaN(d.getTime()) ? '' : d.toISOString();
          if (iso.length === 24) return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
          return formatTimestamp(BigInt(d.getTime()) * 1000n);
        }
        const n = toBigInt(value, schema, column);
        if (schema.name === DEBEZIUM.MICRO_TIMESTAMP) return formatTimestamp(n);
        if (schema.name === DEBEZIUM.NANO_TIMESTAMP) return formatTimestamp(floorDiv(n, 1000n));
        return formatTimestamp(n * 1000n);
      }
      case 'zoned':
        if (typeof value !== 'string') throw badValue(schema, column, 'expected an ISO-8601 string');
        return this.bindZoned(value, column);
      case 'json':
        return typeof value === 'string' ? value : JSON.stringify(value);
      case 'bigint':
        return typeof value === 'bigint' ? value.toString() : value;
      case 'boolean':
        return this.bindBoolean(Boolean(value));
      case 'bytes':
        return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
      default:
        return value;
    }
  }
}

/** The kind of each schema a bound value had (schemas are shared by the records of a batch). */
const kinds = new WeakMap<Schema, Kind>();

function badValue(schema: Schema, column: string, what: string): DataError {
  return new DataError(`Field "${column}" (${schema.describe()}): ${what}`, { path: column });
}

function toDate(value: unknown, schema: Schema, column: string): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  throw badValue(schema, column, 'expected a Date');
}

function toBigInt(value: unknown, schema: Schema, column: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw badValue(schema, column, 'expected an integer');
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

const pad = (n: number | bigint, width = 2) => String(n).padStart(width, '0');

function formatDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new DataError('Invalid date');
  const y = d.getUTCFullYear();
  return `${y < 0 ? '-' : ''}${pad(Math.abs(y), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Microseconds of a day (a MySQL TIME may exceed 24 h or be negative) as [-]HH:MM:SS.ffffff. */
function formatTimeOfDay(micros: bigint): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  const secs = abs / 1_000_000n;
  return `${neg ? '-' : ''}${pad(secs / 3600n)}:${pad((secs / 60n) % 60n)}:${pad(secs % 60n)}.${pad(abs % 1_000_000n, 6)}`;
}

/** Microseconds since the epoch as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC. */
function formatTimestamp(micros: bigint): string {
  const ms = floorDiv(micros, 1000n);
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) throw new DataError(`Timestamp out of range: ${micros} µs`);
  const frac = micros - floorDiv(micros, 1_000_000n) * 1_000_000n;
  return `${formatDate(d)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(frac, 6)}`;
}

/** An ISO-8601 instant with an offset, in UTC with its sub-second digits kept (to µs). */
function zonedToUtc(text: string, column: string): string {
  const m = /^(\d{4,}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(text.trim());
  const ms = m ? Date.parse(`${m[1]}T${m[2]}${m[4] === 'Z' ? 'Z' : m[4]!.length === 3 ? m[4] + ':00' : m[4]!.includes(':') ? m[4] : m[4]!.slice(0, 3) + ':' + m[4]!.slice(3)}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new DataError(`Field "${column}": ${JSON.stringify(text)} is not an ISO-8601 timestamp with an offset`, { path: column });
  const micros = BigInt(ms) * 1000n + BigInt((m[3] ?? '').slice(0, 6).padEnd(6, '0'));
  return formatTimestamp(micros);
}

class MySqlDialect extends BaseDialect {
  readonly name = 'mysql';
  readonly maxParams = 65_535;
  protected readonly quoteChar = '`';

  protected tooLong(identifier: string): string | undefined {
    return [...identifier].length > 64 ? 'MySQL and MariaDB names hold at most 64 characters' : undefined;
  }

  override quote(identifier: string): string {
    if (/ $/.test(identifier)) throw new DataError(`The name ${JSON.stringify(identifier)} ends with a space, which MySQL and MariaDB names may not`, { path: identifier });
    return super.quote(identifier);
  }

  columnType(col: ColumnDef): string {
    const { kind, fsp } = kindOf(col.schema, col.name);
    switch (kind) {
      case 'decimal': {
        const scale = Math.max(0, Decimal.scaleOf(col.schema));
        const precision = Number(col.schema.parameters?.[Decimal.PRECISION_FIELD] ?? 65);
        return `DECIMAL(${Math.min(Math.max(precision, scale, 1), 65)},${scale})`;
      }
      case 'date':
        return 'DATE';
      case 'time':
        return `TIME(${fsp})`;
      case 'timestamp':
      case 'zoned':
        return `DATETIME(${fsp})`;
      case 'json':
        return 'JSON';
      case 'int':
        return { int8: 'TINYINT', int16: 'SMALLINT' }[col.schema.type as string] ?? 'INT';
      case 'bigint':
        return 'BIGINT';
      case 'float':
        return col.schema.type === 'float32' ? 'FLOAT' : 'DOUBLE';
      case 'boolean':
        return 'TINYINT';
      case 'string':
        return col.pk ? 'VARCHAR(256)' : 'TEXT';
      case 'bytes':
        return col.pk ? 'VARBINARY(1024)' : 'LONGBLOB';
    }
  }

  placeholder(): string {
    return '?';
  }

  insert(table: string, columns: readonly string[], rows: number, upsertKeys: readonly string[] | null): string {
    let sql = `INSERT INTO ${this.quote(table)} (${columns.map((c) => this.quote(c)).join(',')}) VALUES ${this.valuesRows(columns.length, rows)}`;
    if (upsertKeys) {
      const keys = new Set(upsertKeys);
      const rest = columns.filter((c) => !keys.has(c));
      const set = (rest.length > 0 ? rest : upsertKeys.slice(0, 1)).map((c) => `${this.quote(c)}=VALUES(${this.quote(c)})`);
      sql += ` ON DUPLICATE KEY UPDATE ${set.join(',')}`;
    }
    return sql;
  }

  columnsQuery(table: string) {
    return { sql: 'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', params: [table] };
  }

  columnKey(name: string): string {
    return name.toLowerCase();
  }

  protected bindBoolean(value: boolean): unknown {
    return value ? 1 : 0;
  }

  protected bindZoned(text: string, column: string): string {
    return zonedToUtc(text, column);
  }
}

class PostgresDialect extends BaseDialect {
  readonly name = 'postgres';
  readonly maxParams = 65_535;
  protected readonly quoteChar = '"';

  protected tooLong(identifier: string): string | undefined {
    return Buffer.byteLength(identifier, 'utf8') > 63 ? 'PostgreSQL names hold at most 63 bytes (longer ones would be cut silently)' : undefined;
  }

  columnType(col: ColumnDef): string {
    const { kind, fsp } = kindOf(col.schema, col.name);
    switch (kind) {
      case 'decimal': {
        const precision = col.schema.parameters?.[Decimal.PRECISION_FIELD];
        const scale = Math.max(0, Decimal.scaleOf(col.schema));
        return precision === undefined ? 'DECIMAL' : `DECIMAL(${Math.min(Math.max(Number(precision), scale, 1), 1000)},${scale})`;
      }
      case 'date':
        return 'DATE';
      case 'time':
        return `TIME(${fsp})`;
      case 'timestamp':
        return `TIMESTAMP(${fsp})`;
      case 'zoned':
        return `TIMESTAMPTZ(${fsp})`;
      case 'json':
        return 'JSONB';
      case 'int':
        return col.schema.type === 'int32' ? 'INT' : 'SMALLINT';
      case 'bigint':
        return 'BIGINT';
      case 'float':
        return col.schema.type === 'float32' ? 'REAL' : 'DOUBLE PRECISION';
      case 'boolean':
        return 'BOOLEAN';
      case 'string':
        return 'TEXT';
      case 'bytes':
        return 'BYTEA';
    }
  }

  placeholder(n: number): string {
    return `$${n}`;
  }

  insert(table: string, columns: readonly string[], rows: number, upsertKeys: readonly string[] | null): string {
    let sql = `INSERT INTO ${this.quote(table)} (${columns.map((c) => this.quote(c)).join(',')}) VALUES ${this.valuesRows(columns.length, rows)}`;
    if (upsertKeys) {
      const keys = new Set(upsertKeys);
      const rest = columns.filter((c) => !keys.has(c));
      const conflict = `ON CONFLICT (${upsertKeys.map((c) => this.quote(c)).join(',')})`;
      sql += rest.length === 0 ? ` ${conflict} DO NOTHING` : ` ${conflict} DO UPDATE SET ${rest.map((c) => `${this.quote(c)}=EXCLUDED.${this.quote(c)}`).join(',')}`;
    }
    return sql;
  }

  // Unquoted, PostgreSQL folds a name to lower case.
  columnsQuery(table: string) {
    return { sql: 'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', params: [this.quoting ? table : table.toLowerCase()] };
  }

  columnKey(name: string): string {
    return this.quoting ? name : name.toLowerCase();
  }

  protected bindBoolean(value: boolean): unknown {
    return value;
  }

  protected bindZoned(text: string, column: string): string {
    return zonedToUtc(text, column) + '+00';
  }
}

export function createDialect(name: DialectName, quoteIdentifiers: boolean): Dialect {
  return name === 'postgres' ? new PostgresDialect(quoteIdentifiers) : new MySqlDialect(quoteIdentifiers);
}
