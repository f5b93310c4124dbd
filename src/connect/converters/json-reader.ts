// JSON text → Connect data, in Kafka JsonConverter's format (see json-writer.ts).
//
// Numbers stay exact: JSON.parse is used whenever every number in the text
// fits a double exactly (the common case, checked with native regexes); a
// text holding a number that does not (an int64 beyond 2^53, a decimal with
// more than 15 significant digits) is parsed by a small parser that keeps
// such numbers as JsonNumber (their text). Converting then gives int64 → a
// bigint, Decimal → every digit, float → the nearest double.

import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal } from '../data/logical.js';
import { Schema, SchemaBuilder, type SchemaType } from '../data/schema.js';
import { Struct } from '../data/struct.js';
import { DataError } from '../errors.js';
import { INT64_MAX, INT64_MIN, INT_RANGES } from '../data/values.js';
import { describeJson, PathError, rethrowAt, toDataError } from './json-path.js';
import { JSON_TYPE_NAMES } from './json-writer.js';

/** A JSON number that a double cannot hold exactly, kept as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
  get isInteger(): boolean {
    return !/[.eE]/.test(this.text);
  }
}

// ---- Parsing ---------------------------------------------------------------

const LONG_DIGITS = /\d[\d.]{15}/;
const STRINGS = /"[^"\\]*(?:\\.[^"\\]*)*"/g;
const LONG_NUMBERS = /-?\d[\d.]{15,}(?:[eE][+-]?\d+)?/g;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NUMBER_PARTS = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Whether the number written as `token` is exactly the double Number(token) (to 15 significant digits for fractions). */
function exactAsDouble(token: string): boolean {
  const m = NUMBER_PARTS.exec(token);
  if (!m) return false;
  if (m[2] === undefined && m[3] === undefined) return Number.isSafeInteger(Number(token));
  return (m[1]! + (m[2] ?? '')).replace(/^0+/, '').length <= 15 && Number.isFinite(Number(token));
}

function needsExactParse(text: string): boolean {
  if (!LONG_DIGITS.test(text)) return false;
  const bare = text.replace(STRINGS, '""');
  for (const m of bare.matchAll(LONG_NUMBERS)) if (!exactAsDouble(m[0])) return true;
  return false;
}

/** Parses JSON text; numbers a double cannot hold exactly become JsonNumber. Throws DataError on bad syntax. */
export function parseJson(text: string): unknown {
  try {
    return needsExactParse(text) ? new ExactParser(text).parseDocument() : JSON.parse(text);
  } catch (err) {
    throw new DataError(`Converting byte[] to Kafka Connect data failed due to serialization error: ${(err as Error).message}`, { cause: err });
  }
}

class ExactParser {
  #pos = 0;
  constructor(readonly text: string) {}

  parseDocument(): unknown {
    const v = this.#value();
    this.#ws();
    if (this.#pos !== this.text.length) this.#fail('unexpected data after the JSON value');
    return v;
  }

  #fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.#pos}`);
  }

  #ws(): void {
    const t = this.text;
    while (this.#pos < t.length && (t[this.#pos] === ' ' || t[this.#pos] === '\n' || t[this.#pos] === '\r' || t[this.#pos] === '\t')) this.#pos++;
  }

  #value(): unknown {
    this.#ws();
    const c = this.text[this.#pos];
    if (c === '{') return this.#object();
    if (c === '[') return this.#array();
    if (c === '"') return this.#string();
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.#pos;
    const m = NUMBER.exec(this.text);
    if (!m) this.#fail(c === undefined ? 'unexpected end of JSON input' : `unexpected character ${JSON.stringify(c)}`);
    this.#pos += m[0].length;
    return exactAsDouble(m[0]) ? Number(m[0]) : new JsonNumber(m[0]);
  }

  #string(): string {
    const t = this.text;
    const start = this.#pos;
    let escaped = false;
    for (let i = start + 1; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 0x5c) escaped = true;
      else if (c === 0x22) {
        this.#pos = i + 1;
        return escaped ? (JSON.parse(t.slice(start, i + 1)) as string) : t.slice(start + 1, i);
      } else if (c < 0x20) this.#fail('control character in string');
      if (c === 0x5c) i++;
    }
    return this.#fail('unterminated string');
  }

  #expect(c: string): void {
    this.#ws();
    if (this.text[this.#pos] !== c) this.#fail(`expected ${JSON.stringify(c)}`);
    this.#pos++;
  }

  #object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.#pos++;
    this.#ws();
    if (this.text[this.#pos] === '}') {
      this.#pos++;
      return out;
    }
    for (;;) {
      this.#ws();
      if (this.text[this.#pos] !== '"') this.#fail('expected a property name');
      const key = this.#string();
      this.#expect(':');
      Object.defineProperty(out, key, { value: this.#value(), enumerable: true, writable: true, configurable: true });
      this.#ws();
      if (this.text[this.#pos] === ',') {
        this.#pos++;
        continue;
      }
      this.#expect('}');
      return out;
    }
  }

  #array(): unknown[] {
    const out: unknown[] = [];
    this.#pos++;
    this.#ws();
    if (this.text[this.#pos] === ']') {
      this.#pos++;
      return out;
    }
    for (;;) {
      out.push(this.#value());
      this.#ws();
      if (this.text[this.#pos] === ',') {
        this.#pos++;
        continue;
      }
      this.#expect(']');
      return out;
    }
  }
}

// ---- Schemas ---------------------------------------------------------------

const TYPES_BY_JSON_NAME: Readonly<Record<string, SchemaType>> = Object.fromEntries(Object.entries(JSON_TYPE_NAMES).map(([type, name]) => [name, type as SchemaType]));

function isObject(json: unknown): json is Record<string, unknown> {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}

/** A Connect schema from its JsonConverter JSON (asConnectSchema); null for JSON null. Throws DataError. */
export function schemaFromJson(json: unknown, replaceNullWithDefault = true): Schema | null {
  try {
    return buildSchema(json, replaceNullWithDefault);
  } catch (err) {
    throw toDataError(err, 'Invalid schema in JSON');
  }
}

function buildSchema(json: unknown, replaceNull: boolean): Schema | null {
  if (json === null) return null;
  if (!isObject(json)) throw new PathError(`a schema must be a JSON object, got ${describeJson(json)}`);
  const type = typeof json['type'] === 'string' ? TYPES_BY_JSON_NAME[json['type']] : undefined;
  if (json['type'] === undefined || typeof json['type'] !== 'string') throw new PathError("Schema must contain 'type' field");
  if (!type) throw new PathError(`Unknown schema type: ${json['type']}`);
  const sub = (key: string): Schema => {
    if (json[key] === undefined || json[key] === null) throw new PathError(`a ${json['type']} schema must have "${key}"`);
    try {
      return buildSchema(json[key], replaceNull)!;
    } catch (err) {
      return rethrowAt(err, key);
    }
  };
  let b: SchemaBuilder;
  if (type === 'array') b = SchemaBuilder.array(sub('items'));
  else if (type === 'map') b = SchemaBuilder.map(sub('keys'), sub('values'));
  else b = SchemaBuilder.type(type);
  if (type === 'struct') {
    const fields = json['fields'];
    if (!Array.isArray(fields)) throw new PathError('Struct schema\'s "fields" argument is not an array.');
    for (const f of fields) {
      const name = isObject(f) ? f['field'] : undefined;
      if (typeof name !== 'string') throw new PathError("Struct schema's field name not specified properly");
      try {
        b.field(name, buildSchema(f, replaceNull)!);
      } catch (err) {
        rethrowAt(err, name);
      }
    }
  }
  if (json['optional'] === true) b.optional();
  if (typeof json['name'] === 'string') b.name(json['name']);
  if (typeof json['version'] === 'number' && Number.isInteger(json['version'])) b.version(json['version']);
  if (typeof json['doc'] === 'string') b.doc(json['doc']);
  const params = json['parameters'];
  if (isObject(params)) {
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== 'string') throw new PathError('Schema parameters must have string values.');
      b.parameter(k, v);
    }
  }
  if (json['default'] !== undefined && json['default'] !== null) {
    b.defaultValue(valueAt(b.build(), json['default'], replaceNull));
  }
  return b.build();
}

// ---- Values ----------------------------------------------------------------

/** A Connect value from payload JSON; with schema null, JSON as JS (objects plain, big integers as bigint). Throws DataError naming the path. */
export function valueFromJson(schema: Schema | null, json: unknown, replaceNullWithDefault = true): unknown {
  try {
    return schema ? valueAt(schema, json, replaceNullWithDefault) : schemaless(json);
  } catch (err) {
    throw toDataError(err, 'Converting JSON to Kafka Connect data failed');
  }
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function expected(what: string, json: unknown): never {
  throw new PathError(`expected ${what}, got ${json instanceof JsonNumber ? 'number' : describeJson(json)}`);
}

function integer(json: unknown, what: string): number | bigint {
  if (typeof json === 'number' && Number.isInteger(json)) return json;
  if (json instanceof JsonNumber && json.isInteger) return BigInt(json.text);
  return expected(what, json);
}

function valueAt(schema: Schema, json: unknown, replaceNull: boolean): unknown {
  if (json === null || json === undefined) {
    if (schema.defaultValue !== null && replaceNull) return schema.defaultValue;
    if (schema.optional) return null;
    throw new PathError(`Invalid null value for required ${schema.type} field`);
  }
  switch (schema.name) {
    case Decimal.LOGICAL_NAME: {
      const scale = Decimal.scaleOf(schema);
      if (typeof json === 'number') return Decimal.from(json, scale);
      if (json instanceof JsonNumber) return Decimal.parse(json.text).setScale(scale);
      if (typeof json === 'string') return Decimal.fromBytes(Buffer.from(json, 'base64'), scale);
      return expected('a Decimal (number or base64 bytes)', json);
    }
    case ConnectDate.LOGICAL_NAME:
      return ConnectDate.toLogical(Number(integer(json, 'an int32 (Date)')));
    case ConnectTime.LOGICAL_NAME:
      return ConnectTime.toLogical(Number(integer(json, 'an int32 (Time)')));
    case ConnectTimestamp.LOGICAL_NAME:
      return ConnectTimestamp.toLogical(integer(json, 'an int64 (Timestamp)'));
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32': {
      const n = integer(json, schema.type);
      const [min, max] = INT_RANGES[schema.type];
      if (typeof n === 'bigint' || n < min || n > max) throw new PathError(`${String(n)} is out of range for ${schema.type}`);
      return n;
    }
    case 'int64': {
      const n = integer(json, 'int64');
      if (typeof n === 'number') return n;
      if (n < INT64_MIN || n > INT64_MAX) throw new PathError(`${n} is out of range for int64`);
      return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    }
    case 'float32':
    case 'float64':
      if (typeof json === 'number') return json;
      if (json instanceof JsonNumber) return Number(json.text);
      if (typeof json === 'string' && json in NON_FINITE) return NON_FINITE[json];
      return expected(schema.type, json);
    case 'boolean':
      return typeof json === 'boolean' ? json : expected('boolean', json);
    case 'string':
      return typeof json === 'string' ? json : expected('string', json);
    case 'bytes':
      return typeof json === 'string' ? Buffer.from(json, 'base64') : expected('bytes (base64 string)', json);
    case 'array': {
      if (!Array.isArray(json)) return expected('array', json);
      const elem = schema.valueSchema!;
      const out = new Array<unknown>(json.length);
      let i = 0;
      try {
        for (; i < json.length; i++) out[i] = valueAt(elem, json[i], replaceNull);
      } catch (err) {
        rethrowAt(err, `[${i}]`);
      }
      return out;
    }
    case 'map': {
      const out = new Map<unknown, unknown>();
      const keySchema = schema.keySchema!;
      const valueSchema = schema.valueSchema!;
      if (keySchema.type === 'string') {
        if (!isObject(json)) throw new PathError(`Maps with string fields should be encoded as JSON objects, but found ${describeJson(json)}`);
        for (const [k, v] of Object.entries(json)) {
          try {
            out.set(valueAt(keySchema, k, replaceNull), valueAt(valueSchema, v, replaceNull));
          } catch (err) {
            rethrowAt(err, `[${JSON.stringify(k)}]`);
          }
        }
        return out;
      }
      if (!Array.isArray(json)) throw new PathError(`Maps with non-string fields should be encoded as JSON array of tuples, but found ${describeJson(json)}`);
      json.forEach((entry, i) => {
        if (!Array.isArray(entry) || entry.length !== 2) throw new PathError(`Found invalid map entry at index ${i}: expected an array [key, value]`);
        try {
          out.set(valueAt(keySchema, entry[0], replaceNull), valueAt(valueSchema, entry[1], replaceNull));
        } catch (err) {
          rethrowAt(err, `[${i}]`);
        }
      });
      return out;
    }
    case 'struct': {
      if (!isObject(json)) throw new PathError(`Structs should be encoded as JSON objects, but found ${describeJson(json)}`);
      const fields = schema.fields;
      const values = new Array<unknown>(fields.length);
      let i = 0;
      try {
        for (; i < fields.length; i++) values[i] = valueAt(fields[i]!.schema, json[fields[i]!.name], replaceNull);
      } catch (err) {
        rethrowAt(err, fields[i]!.name);
      }
      return Struct.unchecked(schema, values);
    }
  }
}

function schemaless(json: unknown): unknown {
  if (json instanceof JsonNumber) return json.isInteger ? BigInt(json.text) : Number(json.text);
  if (Array.isArray(json)) return json.map(schemaless);
  if (isObject(json)) {
    for (const [k, v] of Object.entries(json)) {
      if (typeof v === 'object' && v !== null) json[k] = schemaless(v);
    }
  }
  return json;
}
