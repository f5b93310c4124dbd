// Checking a value against its schema, and comparing values. Errors name the
// path of the bad value (`after.price`, `items[3]`, `tags["a"]`) so one bad
// column in a wide row is found at once. The value forms are listed in schema.ts.

import { DataError } from '../errors.js';
import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal } from './logical.js';
import type { Schema, SchemaType } from './schema.js';
import { Struct } from './struct.js';

/** The value ranges of the fixed-width integer types. */
export const INT_RANGES = { int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647] } as const satisfies Partial<Record<SchemaType, readonly [number, number]>>;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A short description of what a value is, for messages (never the value itself, which may be a secret). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new DataError(`Invalid value${path ? ` for field "${path}"` : ''}: expected ${expected}, got ${describeValue(value)}`, { path });
}

export function joinPath(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

/** Throws DataError naming the path unless `value` is a valid value of `schema`. */
export function validateValue(schema: Schema, value: unknown, path = ''): void {
  if (value === null || value === undefined) {
    if (schema.optional || schema.defaultValue !== null) return;
    throw new DataError(`Invalid value: null used for required ${path ? `field "${path}"` : 'value'}, schema type ${schema.type}`, { path });
  }
  if (schema.name !== null && validateLogical(schema, value, path)) return;
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32': {
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, schema.type, value);
      const [min, max] = INT_RANGES[schema.type];
      if (value < min || value > max) throw new DataError(`Invalid value${path ? ` for field "${path}"` : ''}: ${value} is out of range for ${schema.type}`, { path });
      return;
    }
    case 'int64':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return;
      if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) return;
      return fail(path, 'int64 (a safe integer number or a bigint in range)', value);
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') fail(path, schema.type, value);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(path, 'boolean', value);
      return;
    case 'string':
      if (typeof value !== 'string') fail(path, 'string', value);
      return;
    case 'bytes':
      if (!(value instanceof Uint8Array)) fail(path, 'bytes (Uint8Array or Buffer)', value);
      return;
    case 'array': {
      if (!Array.isArray(value)) fail(path, 'array', value);
      const elem = schema.valueSchema!;
      for (let i = 0; i < value.length; i++) validateValue(elem, value[i], `${path}[${i}]`);
      return;
    }
    case 'map': {
      const entries = mapEntries(value);
      if (!entries) return fail(path, 'Map', value);
      for (const [k, v] of entries) {
        const at = `${path}[${JSON.stringify(typeof k === 'bigint' ? String(k) : k) ?? String(k)}]`;
        validateValue(schema.keySchema!, k, at);
        validateValue(schema.valueSchema!, v, at);
      }
      return;
    }
    case 'struct': {
      if (!(value instanceof Struct)) return fail(path, `Struct${schema.name ? ` ${schema.name}` : ''}`, value);
      if (!value.schema.equals(schema)) {
        throw new DataError(`Invalid value${path ? ` for field "${path}"` : ''}: the Struct's schema (${value.schema.describe()}) does not match the field's schema (${schema.describe()})`, { path });
      }
      value.validate(path);
      return;
    }
  }
}

/** For logical types: validates and returns true; false when `schema.name` is not a logical type. */
function validateLogical(schema: Schema, value: unknown, path: string): boolean {
  switch (schema.name) {
    case Decimal.LOGICAL_NAME: {
      if (!(value instanceof Decimal)) fail(path, 'a Decimal (org.apache.kafka.connect.data.Decimal)', value);
      const scale = Decimal.scaleOf(schema);
      if (value.scale !== scale) throw new DataError(`Invalid value${path ? ` for field "${path}"` : ''}: Decimal scale ${value.scale} does not match the schema's scale ${scale}`, { path });
      return true;
    }
    case ConnectDate.LOGICAL_NAME:
      return checkLogicalDate(value, path, 'Date', (d) => ConnectDate.fromLogical(d));
    case ConnectTime.LOGICAL_NAME:
      return checkLogicalDate(value, path, 'Time', (d) => ConnectTime.fromLogical(d));
    case ConnectTimestamp.LOGICAL_NAME:
      return checkLogicalDate(value, path, 'Timestamp', (d) => ConnectTimestamp.fromLogical(d));
    default:
      return false;
  }
}

function checkLogicalDate(value: unknown, path: string, type: string, check: (d: Date) => number): true {
  if (!(value instanceof Date)) fail(path, `a Date (${type})`, value);
  try {
    check(value);
  } catch (err) {
    throw new DataError(`Invalid value${path ? ` for field "${path}"` : ''}: ${(err as Error).message}`, { path, cause: err });
  }
  return true;
}

/** The entries of a Map or of a plain object; undefined for anything else. */
export function mapEntries(value: unknown): Iterable<[unknown, unknown]> | undefined {
  if (value instanceof Map) return value.entries();
  if (isPlainObject(value)) return Object.entries(value);
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Deep equality of Connect values (bytes by content, Dates by time, Decimals by unscaled+scale, Structs by schema+values). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof Decimal) return a.equals(b);
  if (a instanceof Struct) return a.equals(b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => valuesEqual(v, b[i]));
  const ea = mapEntries(a);
  const eb = mapEntries(b);
  if (!ea || !eb) return false;
  const ma = new Map(ea);
  const mb = new Map(eb);
  if (ma.size !== mb.size) return false;
  for (const [k, v] of ma) if (!mb.has(k) || !valuesEqual(v, mb.get(k))) return false;
  return true;
}
