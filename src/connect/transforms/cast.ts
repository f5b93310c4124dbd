// Cast$Key / $Value: casts fields (`spec=f:int32,g:string`) or the whole value
// (`spec=int64`) to another primitive type, as Kafka's Cast: numbers narrow by
// truncation and wrap as Java's casts do, booleans are 1/0, strings parse,
// anything to string is its text (Dates in ISO-8601 UTC, bytes in base64),
// Decimals to numbers or text. Optionality of each field is kept. Tombstones
// pass through.

import { defineConfig, validator } from '../config/config-def.js';
import { ConfigError, DataError } from '../errors.js';
import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal } from '../data/logical.js';
import type { SchemaType } from '../data/schema.js';
import type { ConnectRecord } from '../record.js';
import { buildStruct, copySchemaBasics, FieldTransformation, REPLACE_NULL_WITH_DEFAULT, isNullish, operatingSchema, operatingValue, Schema, SchemaBuilder, Struct, withOperating } from './util.js';

const TARGETS = ['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string'] as const;
type Target = (typeof TARGETS)[number];
const WHOLE = '';

/** `f:type,…` or one type: field → target (the whole value under ''), or an error message. */
function parseSpec(items: readonly string[]): Map<string, Target> | string {
  const out = new Map<string, Target>();
  for (const item of items) {
    const parts = item.split(':');
    const [field, type] = parts.length === 1 ? [WHOLE, parts[0]!] : parts.length === 2 ? [parts[0]!, parts[1]!] : [null, ''];
    if (field === null || (parts.length === 2 && field === '')) return `Invalid cast mapping: ${item}`;
    const target = type.trim().toLowerCase();
    if (!(TARGETS as readonly string[]).includes(target)) return `Invalid type found in casting schema: ${type}; one of ${TARGETS.join(', ')}`;
    out.set(field, target as Target);
  }
  if (out.has(WHOLE) && out.size > 1) return 'Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec';
  if (out.size === 0) return 'Must specify at least one field to cast.';
  return out;
}

const spec = defineConfig([
  REPLACE_NULL_WITH_DEFAULT,
  {
    name: 'spec',
    type: 'list',
    required: true,
    validator: validator('list of colon-delimited pairs, e.g. foo:bar,abc:xyz', (v) => {
      const p = parseSpec(v as string[]);
      return typeof p === 'string' ? p : undefined;
    }),
    importance: 'high',
    doc: 'List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, float64, boolean, and string.',
  },
]);

const CASTABLE: readonly SchemaType[] = ['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string', 'bytes'];

function toNumber(value: unknown): number | bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Decimal) return value.toNumber();
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const t = value.trim();
    if (/^[+-]?\d+$/.test(t)) {
      const b = BigInt(t);
      return Number.isSafeInteger(Number(b)) ? Number(b) : b;
    }
    const n = Number(t);
    if (t === '' || Number.isNaN(n)) throw new DataError(`Value (${value}) was out of range for requested data type`);
    return n;
  }
  throw new DataError(`Unexpected type in Cast transformation: ${typeof value}`);
}

/** Java's narrowing of a long to `bits` bits. */
function wrap(value: number | bigint, bits: number): number {
  const n = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  return Number(BigInt.asIntN(bits, n));
}

export function castValue(value: unknown, target: Target): unknown {
  if (isNullish(value)) return null;
  switch (target) {
    case 'int8':
      return wrap(toNumber(value), 8);
    case 'int16':
      return wrap(toNumber(value), 16);
    case 'int32':
      return wrap(toNumber(value), 32);
    case 'int64': {
      const n = toNumber(value);
      const b = BigInt.asIntN(64, typeof n === 'bigint' ? n : BigInt(Math.trunc(n)));
      return Number.isSafeInteger(Number(b)) ? Number(b) : b;
    }
    case 'float32':
      return Math.fround(Number(toNumber(value)));
    case 'float64':
      return Number(toNumber(value));
    case 'boolean':
      if (typeof value === 'string') return value.trim().toLowerCase() === 'true';
      return Number(toNumber(value)) !== 0;
    case 'string':
      if (value instanceof Date) return value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      if (value instanceof Decimal) return value.toString();
      if (typeof value === 'object') throw new DataError(`Unexpected type in Cast transformation: ${(value as object).constructor?.name ?? 'object'}`);
      return String(value);
  }
}

function targetSchema(target: Target, optional: boolean): Schema {
  const b = SchemaBuilder.type(target);
  return (optional ? b.optional() : b).build();
}

function checkSource(schema: Schema, field: string): void {
  const logical = [Decimal.LOGICAL_NAME, ConnectDate.LOGICAL_NAME, ConnectTime.LOGICAL_NAME, ConnectTimestamp.LOGICAL_NAME];
  if (!CASTABLE.includes(schema.type) && !(schema.name && logical.includes(schema.name))) throw new DataError(`Cast transformation does not support casting from ${schema.type}${field ? ` (field "${field}")` : ''}`);
}

export class Cast extends FieldTransformation {
  protected readonly purpose = 'cast types';
  #casts = new Map<string, Target>();

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = spec.parse(config);
    this.replaceNullWithDefault = c['replace.null.with.default'];
    const parsed = parseSpec(c.spec);
    if (typeof parsed === 'string') throw new ConfigError({ field: 'spec', message: `Invalid value ${config.spec} for configuration spec: ${parsed}` });
    this.#casts = parsed;
  }

  override apply<R extends ConnectRecord>(record: R): R {
    const whole = this.#casts.get(WHOLE);
    if (!whole) return super.apply(record);
    const value = operatingValue(record, this.side);
    const schema = operatingSchema(record, this.side);
    if (!schema) return withOperating(record, this.side, null, castValue(value, whole));
    checkSource(schema, '');
    return withOperating(record, this.side, this.cache.get(schema, (s) => targetSchema(whole, s.optional)), castValue(value, whole));
  }

  protected applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R {
    for (const [f, t] of this.#casts) if (entries.has(f)) entries.set(f, castValue(entries.get(f), t));
    return this.withEntries(record, original, entries);
  }

  protected applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R {
    const updated = this.cache.get(schema, (s) => {
      const b = copySchemaBasics(s, SchemaBuilder.struct());
      for (const f of s.fields) {
        const t = this.#casts.get(f.name);
        if (t) checkSource(f.schema, f.name);
        b.field(f.name, t ? targetSchema(t, f.schema.optional) : f.schema);
      }
      return b.build();
    });
    return withOperating(
      record,
      this.side,
      updated,
      buildStruct(updated, (n) => {
        const t = this.#casts.get(n);
        return t ? castValue(this.fieldOf(struct, n), t) : this.fieldOf(struct, n);
      }),
    );
  }
}
