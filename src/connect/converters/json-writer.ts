// Connect data → JSON text, in Kafka JsonConverter's format.
//
// Schema JSON (asJsonSchema), keys in this order:
//   {"type":T, ["items":S | "keys":S,"values":S | "fields":[S+"field"...]],
//    "optional":B, ["name":N], ["version":V], ["doc":D], ["parameters":{...}], ["default":J]}
// with T one of int8 int16 int32 int64 float double boolean string bytes array
// map struct, and each struct field being its schema's JSON with "field":name
// appended last.
//
// Payload: integers and floats as JSON numbers (NaN and ±Infinity as the
// strings "NaN", "Infinity", "-Infinity", as Jackson writes them); bytes as
// base64; maps with string keys as objects, other maps as [[k, v], ...];
// Decimal as base64 of its two's-complement unscaled bytes (BASE64) or a plain
// JSON number with every digit (NUMERIC); Date/Time/Timestamp as their int.
//
// Speed: each schema's JSON and a writer function per schema are built once
// and kept in WeakMaps keyed by the schema object, so a record costs one walk
// over its values and no schema work.

import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal } from '../data/logical.js';
import type { Schema, SchemaType } from '../data/schema.js';
import { Struct } from '../data/struct.js';
import { describeValue, INT64_MAX, INT64_MIN, INT_RANGES, isPlainObject } from '../data/values.js';
import { PathError, rethrowAt, toDataError } from './json-path.js';

export type DecimalFormat = 'BASE64' | 'NUMERIC';

export interface JsonWriterOptions {
  decimalFormat: DecimalFormat;
  /** A null value of a schema with a default is written as the default (Kafka's replace.null.with.default). */
  replaceNullWithDefault: boolean;
}

/** Connect type → JsonConverter's type name. */
export const JSON_TYPE_NAMES: Readonly<Record<SchemaType, string>> = {
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float32: 'float',
  float64: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
  array: 'array',
  map: 'map',
  struct: 'struct',
};

type Write = (value: unknown) => string;


function mismatch(expected: string, value: unknown): never {
  throw new PathError(`expected ${expected}, got ${describeValue(value)}`);
}

function base64(bytes: Uint8Array): string {
  return '"' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') + '"';
}

function writeFloat(v: number): string {
  return Number.isFinite(v) ? String(v) : `"${String(v)}"`;
}

function writeInt64(v: unknown): string {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX) return v.toString();
  return mismatch('int64', v);
}

export class JsonWriter {
  readonly #opts: JsonWriterOptions;
  readonly #writers = new WeakMap<Schema, Write>();
  readonly #schemaJson = new WeakMap<Schema, string>();

  constructor(opts: JsonWriterOptions) {
    this.#opts = opts;
  }

  /** The payload JSON of `value` (schemaless when `schema` is null). Throws DataError naming the path. */
  payload(schema: Schema | null, value: unknown): string {
    try {
      return schema ? this.#writer(schema)(value) : this.#schemaless(value);
    } catch (err) {
      throw toDataError(err, 'Converting Kafka Connect data to JSON failed');
    }
  }

  /** The schema's JSON text, built once per schema object. */
  schemaJson(schema: Schema): string {
    let json = this.#schemaJson.get(schema);
    if (json === undefined) {
      json = this.#buildSchemaJson(schema);
      this.#schemaJson.set(schema, json);
    }
    return json;
  }

  #buildSchemaJson(schema: Schema): string {
    let s = '{"type":"' + JSON_TYPE_NAMES[schema.type] + '"';
    if (schema.type === 'array') s += ',"items":' + this.schemaJson(schema.valueSchema!);
    else if (schema.type === 'map') s += ',"keys":' + this.schemaJson(schema.keySchema!) + ',"values":' + this.schemaJson(schema.valueSchema!);
    else if (schema.type === 'struct') {
      s += ',"fields":[' + schema.fields.map((f) => this.schemaJson(f.schema).slice(0, -1) + ',"field":' + JSON.stringify(f.name) + '}').join(',') + ']';
    }
    s += ',"optional":' + schema.optional;
    if (schema.name !== null) s += ',"name":' + JSON.stringify(schema.name);
    if (schema.version !== null) s += ',"version":' + schema.version;
    if (schema.doc !== null) s += ',"doc":' + JSON.stringify(schema.doc);
    if (schema.parameters !== null) s += ',"parameters":' + JSON.stringify(schema.parameters);
    if (schema.defaultValue !== null) s += ',"default":' + this.payload(schema, schema.defaultValue);
    return s + '}';
  }

  #writer(schema: Schema): Write {
    let w = this.#writers.get(schema);
    if (w) return w;
    const write = this.#nonNullWriter(schema);
    const writeNull = this.#nullWriter(schema, write);
    w = (v) => (v === null || v === undefined ? writeNull() : write(v));
    this.#writers.set(schema, w);
    return w;
  }

  #nullWriter(schema: Schema, write: Write): () => string {
    if (schema.defaultValue !== null && this.#opts.replaceNullWithDefault) {
      let json: string | undefined;
      return () => (json ??= write(schema.defaultValue));
    }
    if (schema.optional) return () => 'null';
    return () => {
      throw new PathError('null value for a field that is required and has no default value');
    };
  }

  #nonNullWriter(schema: Schema): Write {
    switch (schema.name) {
      case Decimal.LOGICAL_NAME: {
        const scale = Decimal.scaleOf(schema);
        const numeric = this.#opts.decimalFormat === 'NUMERIC';
        return (v) => {
          if (!(v instanceof Decimal)) return mismatch('Decimal', v);
          if (v.scale !== scale) throw new PathError(`Decimal scale ${v.scale} does not match the schema's scale ${scale}`);
          return numeric ? v.toString() : base64(Decimal.toBytes(v));
        };
      }
      case ConnectDate.LOGICAL_NAME:
        return (v) => (v instanceof Date ? String(ConnectDate.fromLogical(v)) : mismatch('Date', v));
      case ConnectTime.LOGICAL_NAME:
        return (v) => (v instanceof Date ? String(ConnectTime.fromLogical(v)) : mismatch('Date (Time)', v));
      case ConnectTimestamp.LOGICAL_NAME:
        return (v) => (v instanceof Date ? String(ConnectTimestamp.fromLogical(v)) : mismatch('Date (Timestamp)', v));
    }
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32': {
        const [min, max] = INT_RANGES[schema.type];
        const type = schema.type;
        return (v) => {
          if (typeof v !== 'number' || !Number.isInteger(v)) return mismatch(type, v);
          if (v < min || v > max) throw new PathError(`${v} is out of range for ${type}`);
          return String(v);
        };
      }
      case 'int64':
        return writeInt64;
      case 'float32':
      case 'float64':
        return (v) => (typeof v === 'number' ? writeFloat(v) : mismatch(schema.type, v));
      case 'boolean':
        return (v) => (v === true ? 'true' : v === false ? 'false' : mismatch('boolean', v));
      case 'string':
        return (v) => (typeof v === 'string' ? JSON.stringify(v) : mismatch('string', v));
      case 'bytes':
        return (v) => (v instanceof Uint8Array ? base64(v) : mismatch('bytes', v));
      case 'array': {
        const elem = this.#writer(schema.valueSchema!);
        return (v) => {
          if (!Array.isArray(v)) return mismatch('array', v);
          let out = '[';
          let i = 0;
          try {
            for (; i < v.length; i++) out += (i > 0 ? ',' : '') + elem(v[i]);
          } catch (err) {
            rethrowAt(err, `[${i}]`);
          }
          return out + ']';
        };
      }
      case 'map': {
        const writeKey = this.#writer(schema.keySchema!);
        const writeValue = this.#writer(schema.valueSchema!);
        const asObject = schema.keySchema!.type === 'string';
        return (v) => {
          const entries = v instanceof Map ? [...v.entries()] : isPlainObject(v) ? Object.entries(v) : mismatch('Map', v);
          const parts: string[] = [];
          for (const [k, val] of entries) {
            try {
              parts.push(asObject ? writeKey(k) + ':' + writeValue(val) : '[' + writeKey(k) + ',' + writeValue(val) + ']');
            } catch (err) {
              rethrowAt(err, `[${typeof k === 'string' ? JSON.stringify(k) : String(k)}]`);
            }
          }
          return asObject ? '{' + parts.join(',') + '}' : '[' + parts.join(',') + ']';
        };
      }
      case 'struct': {
        const fields = schema.fields;
        const prefixes = fields.map((f, i) => (i === 0 ? '{' : ',') + JSON.stringify(f.name) + ':');
        const writers = fields.map((f) => this.#writer(f.schema));
        return (v) => {
          if (!(v instanceof Struct)) return mismatch(`Struct${schema.name ? ` ${schema.name}` : ''}`, v);
          if (v.schema !== schema && !v.schema.equals(schema)) throw new PathError(`the Struct's schema (${v.schema.describe()}) does not match the schema (${schema.describe()})`);
          if (fields.length === 0) return '{}';
          let out = '';
          let i = 0;
          try {
            for (; i < fields.length; i++) out += prefixes[i] + writers[i]!(v.valueAt(i));
          } catch (err) {
            rethrowAt(err, fields[i]!.name);
          }
          return out + '}';
        };
      }
    }
  }

  /** JSON for a value without a schema, its type inferred. Decimals are written as plain numbers (there is no schema to hold the scale). */
  #schemaless(v: unknown): string {
    if (v === null || v === undefined) return 'null';
    switch (typeof v) {
      case 'string':
        return JSON.stringify(v);
      case 'number':
        return writeFloat(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'bigint':
        return v.toString();
    }
    if (v instanceof Uint8Array) return base64(v);
    if (v instanceof Decimal) return v.toString();
    if (v instanceof Date) return String(ConnectTimestamp.fromLogical(v));
    if (v instanceof Struct) return this.#writer(v.schema)(v);
    if (Array.isArray(v)) return '[' + v.map((e, i) => this.#schemalessAt(e, `[${i}]`)).join(',') + ']';
    const entries = v instanceof Map ? [...v.entries()] : isPlainObject(v) ? Object.entries(v) : undefined;
    if (!entries) throw new PathError(`a ${describeValue(v)} cannot be converted to JSON without a schema`);
    if (entries.every(([k]) => typeof k === 'string')) {
      return '{' + entries.map(([k, e]) => JSON.stringify(k) + ':' + this.#schemalessAt(e, `[${JSON.stringify(k)}]`)).join(',') + '}';
    }
    return '[' + entries.map(([k, e]) => '[' + this.#schemaless(k) + ',' + this.#schemalessAt(e, `[${String(k)}]`) + ']').join(',') + ']';
  }

  #schemalessAt(v: unknown, segment: string): string {
    try {
      return this.#schemaless(v);
    } catch (err) {
      return rethrowAt(err, segment);
    }
  }
}

let plainWriter: JsonWriter | undefined;

/** JSON text of any Connect value without a schema, decimals as plain numbers (StringConverter uses it for structured values). */
export function writeSchemaless(value: unknown): string {
  return (plainWriter ??= new JsonWriter({ decimalFormat: 'NUMERIC', replaceNullWithDefault: true })).payload(null, value);
}
