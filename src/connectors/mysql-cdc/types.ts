// Debezium's default MySQL/MariaDB type mapping: a column definition → its
// Kafka Connect schema, and a converter from the column's value (as zongji
// reads it from the binlog, or as mysql2 returns it from a query) to the
// Connect value. Mapping and converters are built once per column per table
// schema version, never per row.
//
// Both value sources are configured to give the same textual forms:
//   zongji  {timezone: 'Z', dateStrings: true}
//   mysql2  {dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
//            decimalNumbers: false, jsonStrings: true} and session time_zone '+00:00'
// so DATE is 'YYYY-MM-DD', DATETIME/TIMESTAMP 'YYYY-MM-DD HH:MM:SS[.ffffff]'
// (TIMESTAMP in UTC), TIME '[-]HH:MM:SS[.ffffff]', DECIMAL and large BIGINT
// exact strings, BIT/BINARY/BLOB Buffers (BIT big-endian).
//
// Mapping (checked against Debezium 3.x BinlogValueConverters and its DDL
// parser's type table; where connect-reference.md's table differs, Debezium wins):
//   BOOLEAN (as written in DDL), BIT(1)  boolean
//   BIT(n>1)              bytes  io.debezium.data.Bits {length: n}, little-endian
//   TINYINT [UNSIGNED]    int16  (Debezium's parser maps every TINYINT to SMALLINT;
//                                TINYINT(1) stays int16, as Debezium without a custom converter)
//   SMALLINT              int16; UNSIGNED int32
//   MEDIUMINT [UNSIGNED]  int32
//   INT                   int32; UNSIGNED int64
//   BIGINT                int64; UNSIGNED: long → int64 (values ≥ 2^63 wrap, as Debezium),
//                                 precise → Decimal {scale 0, precision 20}
//   FLOAT, FLOAT(p≤24)    float32; FLOAT(p>24), FLOAT(M,D), DOUBLE float64; REAL float32
//   DECIMAL/NUMERIC(M,D)  precise: bytes Decimal {scale: D, connect.decimal.precision: M};
//                         double: float64; string: string (plain notation, all D digits)
//   CHAR, VARCHAR, *TEXT  string; MariaDB UUID, INET4, INET6 too (as text, also from the binlog's bytes)
//   BINARY, VARBINARY, *BLOB  bytes (BINARY(n) right-padded with zero bytes)
//   JSON                  string io.debezium.data.Json
//   ENUM / SET            string io.debezium.data.Enum / EnumSet {allowed: 'a,b'}
//   YEAR                  int32 io.debezium.time.Year
//   DATE                  int32 io.debezium.time.Date (days); connect: Kafka Date
//   TIME(p)               int64 io.debezium.time.MicroTime (µs);
//                         adaptive, p ≤ 3: int32 io.debezium.time.Time (ms); connect: Kafka Time
//   DATETIME(0-3)         int64 io.debezium.time.Timestamp (epoch ms, the value read as UTC)
//   DATETIME(4-6)         int64 io.debezium.time.MicroTimestamp (epoch µs); connect: Kafka Timestamp
//   TIMESTAMP(p)          string io.debezium.time.ZonedTimestamp, e.g. '2024-01-02T03:04:05.120Z'
//                         (exactly p fraction digits when p > 0, none when p = 0)
//   GEOMETRY family, VECTOR, unknown types: unsupported (the column is left
//   out with a warning; zongji decodes geometries to objects, not WKB).
// Zero and partial-zero dates ('0000-00-00', '2020-00-10'): null when the
// column is nullable, else the epoch (1970-01-01 / 0), as Debezium does.
// The zero YEAR '0000' is 0 from the snapshot and from the binlog alike.
// A column's DEFAULT becomes the field schema's default, converted the same
// way; CURRENT_TIMESTAMP on a NOT NULL DATETIME/TIMESTAMP becomes the epoch.

import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal } from '../../connect/data/logical.js';
import { Schema, SchemaBuilder } from '../../connect/data/schema.js';
import { DataError } from '../../connect/errors.js';

export type DecimalHandlingMode = 'precise' | 'double' | 'string';
export type TimePrecisionMode = 'adaptive_time_microseconds' | 'adaptive' | 'connect';
export type BigIntUnsignedHandlingMode = 'long' | 'precise';

export interface TypeModes {
  readonly decimal: DecimalHandlingMode;
  readonly time: TimePrecisionMode;
  readonly bigintUnsigned: BigIntUnsignedHandlingMode;
}

export const DEFAULT_TYPE_MODES: TypeModes = Object.freeze({ decimal: 'precise', time: 'adaptive_time_microseconds', bigintUnsigned: 'long' });

/** A column as INFORMATION_SCHEMA, SHOW CREATE TABLE or a DDL statement describes it. */
export interface ColumnDef {
  readonly name: string;
  /** The column type as COLUMN_TYPE writes it: 'decimal(6,2)', 'int(10) unsigned', 'datetime(3)', "enum('a','b')". */
  readonly type: string;
  readonly nullable: boolean;
  /** The literal DEFAULT value, unquoted ('0', 'abc', '2020-01-01'); null for DEFAULT NULL; absent for none. */
  readonly default?: string | null;
  /** A non-literal DEFAULT as written: 'CURRENT_TIMESTAMP', 'current_timestamp(3)', '(uuid())'. */
  readonly defaultExpression?: string;
  readonly charset?: string | null;
  /** 1-based ordinal position. */
  readonly position: number;
  readonly autoIncrement?: boolean;
  readonly generated?: boolean;
  readonly comment?: string | null;
}

/** A parsed column type. */
export interface ColumnType {
  /** Canonical upper-case base type: 'INT', 'DECIMAL', 'VARCHAR', 'ENUM', 'DOUBLE', … */
  readonly name: string;
  /** (M), or the fractional seconds precision of TIME/DATETIME/TIMESTAMP; null when not given. */
  readonly length: number | null;
  /** (M,D): D; null when not given. */
  readonly scale: number | null;
  readonly unsigned: boolean;
  readonly zerofill: boolean;
  /** ENUM/SET values, unquoted, in order; null for other types. */
  readonly options: readonly string[] | null;
}

/** Synonyms → the canonical type name; SERIAL is BIGINT UNSIGNED. */
const SYNONYMS: Readonly<Record<string, string>> = {
  INT1: 'TINYINT',
  INT2: 'SMALLINT',
  INT3: 'MEDIUMINT',
  MIDDLEINT: 'MEDIUMINT',
  INTEGER: 'INT',
  INT4: 'INT',
  INT8: 'BIGINT',
  SERIAL: 'BIGINT',
  BOOL: 'BOOLEAN',
  DEC: 'DECIMAL',
  FIXED: 'DECIMAL',
  FLOAT4: 'FLOAT',
  FLOAT8: 'DOUBLE',
  'DOUBLE PRECISION': 'DOUBLE',
  CHARACTER: 'CHAR',
  'CHARACTER VARYING': 'VARCHAR',
  'CHAR VARYING': 'VARCHAR',
  NCHAR: 'CHAR',
  'NATIONAL CHAR': 'CHAR',
  'NATIONAL CHARACTER': 'CHAR',
  NVARCHAR: 'VARCHAR',
  'NCHAR VARCHAR': 'VARCHAR',
  'NCHAR VARYING': 'VARCHAR',
  'NATIONAL VARCHAR': 'VARCHAR',
  'NATIONAL CHAR VARYING': 'VARCHAR',
  'NATIONAL CHARACTER VARYING': 'VARCHAR',
  LONG: 'MEDIUMTEXT',
  'LONG VARCHAR': 'MEDIUMTEXT',
  'LONG VARBINARY': 'MEDIUMBLOB',
  GEOMCOLLECTION: 'GEOMETRYCOLLECTION',
};

const TEXT_TYPES = new Set(['CHAR', 'VARCHAR', 'TINYTEXT', 'TEXT', 'MEDIUMTEXT', 'LONGTEXT', 'UUID', 'INET4', 'INET6']);
const BINARY_TYPES = new Set(['BINARY', 'VARBINARY', 'TINYBLOB', 'BLOB', 'MEDIUMBLOB', 'LONGBLOB']);
const INT_TYPES = new Set(['TINYINT', 'SMALLINT', 'MEDIUMINT', 'INT', 'BIGINT']);

const CHARACTER_TYPES = new Set(['CHAR', 'VARCHAR', 'TINYTEXT', 'TEXT', 'MEDIUMTEXT', 'LONGTEXT', 'ENUM', 'SET']);

/** Whether columns of this (canonical) type have a character set, so CHARACTER SET and the table's default apply. */
export function isCharacterType(typeName: string): boolean {
  return CHARACTER_TYPES.has(typeName);
}

/** Parses 'int(10) unsigned zerofill', 'decimal(6,2)', "enum('a','b')", 'double precision'. Throws DataError on anything else. */
export function parseColumnType(type: string): ColumnType {
  const text = type.trim();
  const open = text.indexOf('(');
  const head = (open < 0 ? text : text.slice(0, open)).trim().toUpperCase().split(/\s+/);
  let rest = '';
  let args: string | null = null;
  if (open >= 0) {
    const close = closingParen(text, open);
    if (close < 0) throw new DataError(`Unbalanced parentheses in column type ${JSON.stringify(type)}`);
    args = text.slice(open + 1, close);
    rest = text.slice(close + 1);
  }
  // Modifiers may follow the base words directly ('int unsigned') or the arguments ('int(10) unsigned').
  const modifiers = new Set<string>();
  const baseWords: string[] = [];
  for (const w of head) {
    if (w === 'UNSIGNED' || w === 'SIGNED' || w === 'ZEROFILL') modifiers.add(w);
    else if (modifiers.size === 0) baseWords.push(w);
  }
  for (const w of rest.trim().toUpperCase().split(/\s+/).filter(Boolean)) modifiers.add(w);
  const written = baseWords.join(' ');
  if (!/^[A-Z][A-Z0-9 ]*$/.test(written)) throw new DataError(`Not a column type: ${JSON.stringify(type)}`);
  const name = SYNONYMS[written] ?? written;
  let length: number | null = null;
  let scale: number | null = null;
  let options: string[] | null = null;
  if (name === 'ENUM' || name === 'SET') {
    options = args === null ? [] : parseQuotedList(args, type);
  } else if (args !== null && args.trim() !== '') {
    const m = /^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$/.exec(args);
    if (!m) throw new DataError(`Invalid arguments in column type ${JSON.stringify(type)}`);
    length = Number(m[1]);
    scale = m[2] === undefined ? null : Number(m[2]);
  }
  const zerofill = modifiers.has('ZEROFILL');
  // ZEROFILL implies UNSIGNED in MySQL.
  const unsigned = written === 'SERIAL' || modifiers.has('UNSIGNED') || zerofill;
  return { name, length, scale, unsigned, zerofill, options };
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) {
        if (text[i + 1] === quote) i++;
        else quote = null;
      }
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** "'a','b''c','d\\'e'" → ['a', "b'c", "d'e"]. */
function parseQuotedList(args: string, type: string): string[] {
  const out: string[] = [];
  const bad = (what: string): never => {
    throw new DataError(`${what} in column type ${JSON.stringify(type)}`);
  };
  let i = skipSpace(args, 0);
  while (i < args.length) {
    const lit = readQuoted(args, i) ?? bad('Invalid value list');
    out.push(lit.value);
    i = skipSpace(args, lit.end);
    if (i < args.length) {
      if (args[i] !== ',') bad('Invalid value list');
      i = skipSpace(args, i + 1);
    }
  }
  return out;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

/**
 * The SQL string literal whose opening quote (' or ") is at `start`: its value
 * with doubled quotes and backslash escapes undone, and the index after it.
 * null when there is no literal there or it is not terminated.
 */
export function readQuoted(text: string, start: number): { value: string; end: number } | null {
  const q = text[start];
  if (q !== "'" && q !== '"') return null;
  let value = '';
  for (let i = start + 1; i < text.length; ) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      value += unescapeChar(text[i + 1]!);
      i += 2;
    } else if (c !== q) {
      value += c;
      i++;
    } else if (text[i + 1] === q) {
      value += q;
      i += 2;
    } else return { value, end: i + 1 };
  }
  return null;
}

/** MySQL's backslash escapes inside string literals. */
function unescapeChar(c: string): string {
  switch (c) {
    case '0':
      return '\0';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'Z':
      return '\x1a';
    default:
      return c;
  }
}

// ---- Debezium's semantic type names ----------------------------------------------

export const DEBEZIUM = {
  BITS: 'io.debezium.data.Bits',
  JSON: 'io.debezium.data.Json',
  ENUM: 'io.debezium.data.Enum',
  ENUM_SET: 'io.debezium.data.EnumSet',
  YEAR: 'io.debezium.time.Year',
  DATE: 'io.debezium.time.Date',
  TIME: 'io.debezium.time.Time',
  MICRO_TIME: 'io.debezium.time.MicroTime',
  TIMESTAMP: 'io.debezium.time.Timestamp',
  MICRO_TIMESTAMP: 'io.debezium.time.MicroTimestamp',
  ZONED_TIMESTAMP: 'io.debezium.time.ZonedTimestamp',
} as const;

/** Debezium's 'allowed' parameter: options joined by commas, a comma inside an option escaped as '\,'. */
export function allowedValues(options: readonly string[]): string {
  return options.map((o) => o.replace(/,/g, '\\,')).join(',');
}

// ---- Mapping ----------------------------------------------------------------------

export type ValueConverter = (value: unknown) => unknown;

/** How one column maps: its field schema and the converter for its values. */
export interface ColumnMapping {
  readonly schema: Schema;
  readonly convert: ValueConverter;
}

/** The column cannot be represented; `unsupported` says why (the caller leaves it out with a warning). */
export interface UnsupportedColumn {
  readonly unsupported: string;
}

interface Mapping {
  builder: () => SchemaBuilder;
  /** Converts a non-null value; `required` tells zero-date handling what to return. */
  convert: (value: unknown, required: boolean) => unknown;
}

/** The schema and converter of a column under the given modes. */
export function mapColumn(col: ColumnDef, modes: TypeModes = DEFAULT_TYPE_MODES): ColumnMapping | UnsupportedColumn {
  let type: ColumnType;
  try {
    type = parseColumnType(col.type);
  } catch (err) {
    return { unsupported: (err as Error).message };
  }
  const m = mappingFor(type, modes);
  if (typeof m === 'string') return { unsupported: m };
  const required = !col.nullable;
  const base = m.convert;
  // zongji reads an ENUM index 0 (the '' error value) as undefined: Debezium writes ''.
  const convert: ValueConverter =
    type.name === 'ENUM' ? (v) => (v === null ? null : v === undefined ? '' : base(v, required)) : (v) => (v === null || v === undefined ? null : base(v, required));
  const b = m.builder();
  if (col.nullable) b.optional();
  const def = defaultValue(col, type, convert);
  if (def !== null) b.defaultValue(def);
  return { schema: b.build(), convert };
}

const TIMESTAMP_FUNCTIONS = /^(current_timestamp|now|localtime|localtimestamp)\s*(\(\s*\d*\s*\))?$/i;

function defaultValue(col: ColumnDef, type: ColumnType, convert: ValueConverter): unknown {
  if (col.defaultExpression !== undefined) {
    // Debezium: CURRENT_TIMESTAMP on a NOT NULL temporal column is the epoch (the zero date's
    // value: 0, or '1970-01-01T00:00:00Z' without fraction digits); other expressions have no schema default.
    const temporal = type.name === 'DATETIME' || type.name === 'TIMESTAMP';
    return temporal && !col.nullable && TIMESTAMP_FUNCTIONS.test(col.defaultExpression.trim()) ? convert('0000-00-00 00:00:00') : null;
  }
  if (col.default === undefined || col.default === null) return null;
  try {
    return convert(col.default) ?? null;
  } catch {
    return null; // A default the type cannot hold: none, as Debezium (which logs and drops it).
  }
}

function mappingFor(t: ColumnType, modes: TypeModes): Mapping | string {
  const n = t.name;
  if (n === 'BOOLEAN') return { builder: () => SchemaBuilder.bool(), convert: toBoolean };
  if (n === 'BIT') {
    const bits = t.length ?? 1;
    if (bits === 1) return { builder: () => SchemaBuilder.bool(), convert: toBoolean };
    const size = Math.ceil(bits / 8);
    return { builder: () => SchemaBuilder.bytes().name(DEBEZIUM.BITS).version(1).parameter('length', String(bits)), convert: (v) => toBits(v, size) };
  }
  if (INT_TYPES.has(n)) return intMapping(n, t.unsigned, modes);
  if (n === 'FLOAT') {
    const single = t.scale === null && (t.length === null || t.length <= 24);
    return single ? { builder: () => SchemaBuilder.float32(), convert: toFloat32 } : { builder: () => SchemaBuilder.float64(), convert: toFloat64 };
  }
  if (n === 'REAL') return { builder: () => SchemaBuilder.float32(), convert: toFloat32 };
  if (n === 'DOUBLE') return { builder: () => SchemaBuilder.float64(), convert: toFloat64 };
  if (n === 'DECIMAL' || n === 'NUMERIC') return decimalMapping(t.length ?? 10, t.scale ?? 0, modes.decimal);
  if (n === 'UUID' || n === 'INET4' || n === 'INET6') return { builder: () => SchemaBuilder.string(), convert: (v) => toMariaDbText(n, v) };
  if (TEXT_TYPES.has(n)) return { builder: () => SchemaBuilder.string(), convert: toText };
  if (BINARY_TYPES.has(n)) {
    const pad = n === 'BINARY' ? (t.length ?? 1) : 0;
    return { builder: () => SchemaBuilder.bytes(), convert: (v) => toBytes(v, pad) };
  }
  if (n === 'JSON') return { builder: () => SchemaBuilder.string().name(DEBEZIUM.JSON).version(1), convert: toJsonText };
  if (n === 'ENUM') {
    const options = t.options ?? [];
    return { builder: () => SchemaBuilder.string().name(DEBEZIUM.ENUM).version(1).parameter('allowed', allowedValues(options)), convert: (v) => toEnum(v, options) };
  }
  if (n === 'SET') {
    const options = t.options ?? [];
    return { builder: () => SchemaBuilder.string().name(DEBEZIUM.ENUM_SET).version(1).parameter('allowed', allowedValues(options)), convert: (v) => toSet(v, options) };
  }
  if (n === 'YEAR') return { builder: () => SchemaBuilder.int32().name(DEBEZIUM.YEAR).version(1), convert: toYear };
  if (n === 'DATE') return dateMapping(modes.time);
  if (n === 'TIME') return timeMapping(t.length ?? 0, modes.time);
  if (n === 'DATETIME') return datetimeMapping(t.length ?? 0, modes.time);
  if (n === 'TIMESTAMP') {
    const fsp = t.length ?? 0;
    return { builder: () => SchemaBuilder.string().name(DEBEZIUM.ZONED_TIMESTAMP).version(1), convert: (v, required) => toZonedTimestamp(v, fsp, required) };
  }
  if (/^(GEOMETRY|POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)$/.test(n)) return `spatial type ${n} is not supported (zongji decodes it to objects, not WKB)`;
  return `type ${n} is not supported`;
}

function intMapping(n: string, unsigned: boolean, modes: TypeModes): Mapping {
  if (n === 'BIGINT') {
    if (!unsigned) return { builder: () => SchemaBuilder.int64(), convert: toInt64 };
    if (modes.bigintUnsigned === 'precise') {
      return { builder: () => Decimal.builder(0, 20), convert: (v) => new Decimal(toBigInt(v), 0) };
    }
    return { builder: () => SchemaBuilder.int64(), convert: toWrappedInt64 };
  }
  const wide = (n === 'SMALLINT' || n === 'INT') && unsigned;
  const type = n === 'TINYINT' || n === 'SMALLINT' ? (wide ? 'int32' : 'int16') : n === 'MEDIUMINT' || !wide ? 'int32' : 'int64';
  return { builder: () => SchemaBuilder.type(type), convert: toInt };
}

function decimalMapping(precision: number, scale: number, mode: DecimalHandlingMode): Mapping {
  if (mode === 'double') return { builder: () => SchemaBuilder.float64(), convert: toFloat64 };
  if (mode === 'string') return { builder: () => SchemaBuilder.string(), convert: (v) => toDecimal(v, scale).toString() };
  return { builder: () => Decimal.builder(scale, precision), convert: (v) => toDecimal(v, scale) };
}

function dateMapping(mode: TimePrecisionMode): Mapping {
  if (mode === 'connect') {
    return { builder: () => ConnectDate.builder(), convert: (v, required) => nullOr(toEpochDays(v, required), (days) => ConnectDate.toLogical(days)) };
  }
  return { builder: () => SchemaBuilder.int32().name(DEBEZIUM.DATE).version(1), convert: toEpochDays };
}

function timeMapping(fsp: number, mode: TimePrecisionMode): Mapping {
  if (mode === 'connect') return { builder: () => ConnectTime.builder(), convert: (v) => toConnectTime(v) };
  if (mode === 'adaptive' && fsp <= 3) return { builder: () => SchemaBuilder.int32().name(DEBEZIUM.TIME).version(1), convert: (v) => Math.floor(toMicrosOfTime(v) / 1000) };
  return { builder: () => SchemaBuilder.int64().name(DEBEZIUM.MICRO_TIME).version(1), convert: toMicrosOfTime };
}

function datetimeMapping(fsp: number, mode: TimePrecisionMode): Mapping {
  if (mode === 'connect') {
    return { builder: () => ConnectTimestamp.builder(), convert: (v, required) => nullOr(toEpochMillis(v, required), (ms) => new Date(ms)) };
  }
  if (fsp <= 3) return { builder: () => SchemaBuilder.int64().name(DEBEZIUM.TIMESTAMP).version(1), convert: toEpochMillis };
  return { builder: () => SchemaBuilder.int64().name(DEBEZIUM.MICRO_TIMESTAMP).version(1), convert: toEpochMicros };
}

function nullOr<T>(v: T | null, f: (v: T) => unknown): unknown {
  return v === null ? null : f(v);
}

// ---- Converters for non-null values -------------------------------------------------

function invalid(expected: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value) : value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
  throw new DataError(`expected ${expected}, got ${shown}`);
}

function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (v instanceof Uint8Array) return v.some((b) => b !== 0);
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
    if (/^[+-]?\d+(\.\d*)?$/.test(s)) return Number(s) !== 0;
  }
  return invalid('a boolean', v);
}

function toInt(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : typeof v === 'bigint' ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) return invalid('an integer', v);
  return n;
}

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return BigInt(v.trim());
  return invalid('an integer', v);
}

/** int64 as a number when safe, else a bigint. */
function int64Value(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

function toInt64(v: unknown): number | bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  return int64Value(toBigInt(v));
}

const TWO_63 = 1n << 63n;

/** BIGINT UNSIGNED in long mode: values ≥ 2^63 wrap to negative, as Debezium's long mode does. */
function toWrappedInt64(v: unknown): number | bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  const b = toBigInt(v);
  return int64Value(b >= TWO_63 ? b - (1n << 64n) : b);
}

function toFloat64(v: unknown): number {
  if (typeof v === 'number') return v;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isNaN(n) ? invalid('a number', v) : n;
}

/**
 * A float32 as the shortest decimal that reads back as the same float32, as
 * Java's Float.toString: the binlog's 1.100000023841858 and the query's 1.1
 * both become 1.1.
 */
function toFloat32(v: unknown): number {
  const f = Math.fround(toFloat64(v));
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p <= 9; p++) {
    const n = Number(f.toPrecision(p));
    if (Math.fround(n) === f) return n;
  }
  return f;
}

function toDecimal(v: unknown, scale: number): Decimal {
  if (v instanceof Decimal) return v.setScale(scale);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return Decimal.from(v, scale);
  return invalid('a decimal', v);
}

function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return invalid('a string', v);
}

/** MariaDB's UUID, INET4 and INET6 come from the binlog as raw bytes: their text, as the server writes it. */
function toMariaDbText(type: string, v: unknown): string {
  if (!(v instanceof Uint8Array)) return toText(v);
  const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (type === 'UUID' && b.length === 16) {
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  if (type === 'INET4' && b.length === 4) return [...b].join('.');
  if (type === 'INET6' && b.length === 16) return inet6Text(b);
  return invalid(`a ${type} value`, v);
}

/** RFC 5952 text of an IPv6 address: the longest run of two or more zero groups as '::', IPv4-mapped as ::ffff:a.b.c.d. */
function inet6Text(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${[...b.subarray(12)].join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j > i ? j : i + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function toBytes(v: unknown, pad: number): Uint8Array {
  let b: Buffer;
  if (Buffer.isBuffer(v)) b = v;
  else if (v instanceof Uint8Array) b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  else if (typeof v === 'string') b = Buffer.from(v, 'utf8');
  else return invalid('bytes', v);
  if (b.length >= pad) return b;
  const out = Buffer.alloc(pad);
  b.copy(out);
  return out;
}

/** MySQL's BIT is big-endian; Debezium's Bits are little-endian, `size` bytes. */
function toBits(v: unknown, size: number): Uint8Array {
  const out = Buffer.alloc(size);
  if (v instanceof Uint8Array) {
    for (let i = 0; i < v.length && i < size; i++) out[i] = v[v.length - 1 - i]!;
    return out;
  }
  let n = typeof v === 'boolean' ? BigInt(v) : toBigInt(v);
  for (let i = 0; i < size && n > 0n; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

function toJsonText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return toText(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function toEnum(v: unknown, options: readonly string[]): string {
  if (typeof v === 'string') return v;
  // A 1-based index (the binlog's form); 0 is MySQL's '' error value.
  if (typeof v === 'number' && Number.isInteger(v)) return options[v - 1] ?? '';
  return invalid('an ENUM value', v);
}

function toSet(v: unknown, options: readonly string[]): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join(',');
  if (typeof v === 'number' || typeof v === 'bigint') {
    // A bit mask of options (the binlog's form).
    let bits = BigInt(v);
    const chosen: string[] = [];
    for (let i = 0; bits > 0n; i++, bits >>= 1n) if (bits & 1n && i < options.length) chosen.push(options[i]!);
    return chosen.join(',');
  }
  return invalid('a SET value', v);
}

/**
 * YEAR: 1901–2155, or 0 for the zero year '0000'. The binlog stores a YEAR as
 * one byte, year − 1900, with 0 for '0000'; zongji (like Debezium's binlog
 * deserializer) adds 1900 to every byte, so the zero year arrives as 1900, a
 * year the column cannot hold. It is 0, as the snapshot's query reads it.
 */
function toYear(v: unknown): number {
  const year = v instanceof Date ? v.getUTCFullYear() : toInt(v);
  return year === 1900 ? 0 : year;
}

// ---- Temporal values ---------------------------------------------------------------------

const MS_PER_DAY = 86_400_000;
const DATETIME_RE = /^\s*(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d{1,9}))?)?\s*$/;

/** Calendar parts of a DATE/DATETIME/TIMESTAMP text (or a JS Date read as UTC); null for zero, partial-zero and invalid dates. */
interface DateTimeParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  /** Fraction digits as written ('' when none). */
  frac: string;
}

function dateTimeParts(v: unknown, what: string): DateTimeParts | null {
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) return invalid(what, 'Invalid Date');
    return {
      y: v.getUTCFullYear(),
      mo: v.getUTCMonth() + 1,
      d: v.getUTCDate(),
      h: v.getUTCHours(),
      mi: v.getUTCMinutes(),
      s: v.getUTCSeconds(),
      frac: String(v.getUTCMilliseconds()).padStart(3, '0'),
    };
  }
  if (typeof v !== 'string') return invalid(what, v);
  const m = DATETIME_RE.exec(v);
  if (!m) return invalid(what, v);
  const p = { y: Number(m[1]), mo: Number(m[2]), d: Number(m[3]), h: Number(m[4] ?? 0), mi: Number(m[5] ?? 0), s: Number(m[6] ?? 0), frac: m[7] ?? '' };
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > daysInMonth(p.y, p.mo) || p.y < 1) return null;
  if (p.h > 23 || p.mi > 59 || p.s > 59) return invalid(what, v);
  return p;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (exact for every year, unlike Date.UTC for years < 100). */
export function epochDay(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function epochSeconds(p: DateTimeParts): number {
  return epochDay(p.y, p.mo, p.d) * 86400 + p.h * 3600 + p.mi * 60 + p.s;
}

function fractionMicros(frac: string): number {
  return frac === '' ? 0 : Number(frac.padEnd(6, '0').slice(0, 6));
}

/** Days since the epoch; a zero date is null (nullable column) or 0. */
function toEpochDays(v: unknown, required: boolean): number | null {
  const p = dateTimeParts(v, 'a DATE');
  if (!p) return required ? 0 : null;
  return epochDay(p.y, p.mo, p.d);
}

/** Epoch milliseconds of a DATETIME read as UTC; a zero date is null (nullable) or 0. */
function toEpochMillis(v: unknown, required: boolean): number | null {
  const p = dateTimeParts(v, 'a DATETIME');
  if (!p) return required ? 0 : null;
  return epochSeconds(p) * 1000 + Math.floor(fractionMicros(p.frac) / 1000);
}

/** Epoch microseconds of a DATETIME read as UTC: a number when safe, else a bigint. */
function toEpochMicros(v: unknown, required: boolean): number | bigint | null {
  const p = dateTimeParts(v, 'a DATETIME');
  if (!p) return required ? 0 : null;
  const s = epochSeconds(p);
  const us = fractionMicros(p.frac);
  const n = s * 1_000_000 + us;
  return Number.isSafeInteger(n) ? n : BigInt(s) * 1_000_000n + BigInt(us);
}

const EPOCH_ZONED = '1970-01-01T00:00:00Z';

/** A TIMESTAMP (UTC text) as Debezium's ZonedTimestamp: ISO-8601 with 'Z', exactly `fsp` fraction digits when fsp > 0. */
function toZonedTimestamp(v: unknown, fsp: number, required: boolean): string | null {
  const p = dateTimeParts(v, 'a TIMESTAMP');
  if (!p) return required ? EPOCH_ZONED : null;
  const frac = fsp > 0 ? '.' + p.frac.padEnd(fsp, '0').slice(0, fsp) : '';
  return `${pad(p.y, 4)}-${pad(p.mo, 2)}-${pad(p.d, 2)}T${pad(p.h, 2)}:${pad(p.mi, 2)}:${pad(p.s, 2)}${frac}Z`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

const TIME_RE = /^\s*(-)?(\d+):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d{1,9}))?\s*$/;

/** A TIME ('-838:59:59.000000' … '838:59:59.000000') as signed microseconds. */
function toMicrosOfTime(v: unknown): number {
  if (typeof v !== 'string') return invalid('a TIME', v);
  const m = TIME_RE.exec(v);
  if (!m) return invalid('a TIME', v);
  const us = (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1_000_000 + fractionMicros(m[5] ?? '');
  return m[1] ? -us : us;
}

function toConnectTime(v: unknown): Date {
  const ms = Math.floor(toMicrosOfTime(v) / 1000);
  if (ms < 0 || ms >= MS_PER_DAY) throw new DataError(`TIME ${JSON.stringify(v)} is outside one day, which Kafka Connect's Time cannot hold (time.precision.mode=connect)`);
  return new Date(ms);
}

// ---- Debezium's column metadata (schema change events' tableChanges) --------------------------

/** java.sql.Types codes, as Debezium's DDL parser assigns them. */
const JDBC_TYPES: Readonly<Record<string, number>> = {
  BOOLEAN: 16,
  BIT: -7,
  TINYINT: 5,
  SMALLINT: 5,
  MEDIUMINT: 4,
  INT: 4,
  YEAR: 4,
  BIGINT: -5,
  FLOAT: 6,
  REAL: 7,
  DOUBLE: 8,
  DECIMAL: 3,
  NUMERIC: 2,
  CHAR: 1,
  ENUM: 1,
  SET: 1,
  VARCHAR: 12,
  TINYTEXT: 12,
  TEXT: 12,
  MEDIUMTEXT: 12,
  LONGTEXT: 12,
  BINARY: -2,
  VARBINARY: -3,
  TINYBLOB: 2004,
  BLOB: 2004,
  MEDIUMBLOB: 2004,
  LONGBLOB: 2004,
  DATE: 91,
  TIME: 92,
  DATETIME: 93,
  TIMESTAMP: 2014,
};
const JDBC_OTHER = 1111;

export interface DebeziumColumnInfo {
  readonly jdbcType: number;
  /** 'INT UNSIGNED', 'VARCHAR', 'DECIMAL', 'ENUM', … */
  readonly typeName: string;
  readonly typeExpression: string;
  readonly length: number | null;
  readonly scale: number | null;
  /** ENUM/SET options quoted as in the DDL: ["'a'", "'b'"]. */
  readonly enumValues: readonly string[] | null;
}

/** The type facts Debezium's tableChanges carry for a column. */
export function debeziumColumnInfo(col: ColumnDef): DebeziumColumnInfo {
  let t: ColumnType;
  try {
    t = parseColumnType(col.type);
  } catch {
    const name = col.type.trim().toUpperCase();
    return { jdbcType: JDBC_OTHER, typeName: name, typeExpression: name, length: null, scale: null, enumValues: null };
  }
  const typeName = t.name + (t.unsigned ? ' UNSIGNED' : '') + (t.zerofill ? ' ZEROFILL' : '');
  const decimal = t.name === 'DECIMAL' || t.name === 'NUMERIC';
  return {
    jdbcType: JDBC_TYPES[t.name] ?? JDBC_OTHER,
    typeName,
    typeExpression: typeName,
    length: t.length ?? (decimal ? 10 : null),
    scale: t.scale ?? (decimal ? 0 : null),
    enumValues: t.options ? t.options.map((o) => `'${o.replace(/'/g, "''")}'`) : null,
  };
}
