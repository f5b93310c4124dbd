// TimestampConverter$Key / $Value: converts a timestamp between a string (in
// `format`, a Java SimpleDateFormat pattern), a unix number (`unix.precision`),
// and Connect's Date, Time and Timestamp logical types — of one field
// (`field`) or of the whole key/value (`field` empty). The input type is read
// from the schema, or from the JS value when schemaless. Optionality is kept.

import { defineConfig, oneOf } from '../config/config-def.js';
import { ConfigError, DataError } from '../errors.js';
import { ConnectDate, ConnectTime, ConnectTimestamp } from '../data/logical.js';
import type { ConnectRecord } from '../record.js';
import { JavaDateFormat } from './java-date.js';
import { buildStruct, copySchemaBasics, FieldTransformation, REPLACE_NULL_WITH_DEFAULT, isNullish, operatingSchema, operatingValue, Schema, SchemaBuilder, Struct, withOperating } from './util.js';

const TYPES = ['string', 'unix', 'Date', 'Time', 'Timestamp'] as const;
type TsType = (typeof TYPES)[number];
const PRECISIONS = ['seconds', 'milliseconds', 'microseconds', 'nanoseconds'] as const;
const MS_PER_DAY = 86_400_000;

const spec = defineConfig([
  REPLACE_NULL_WITH_DEFAULT,
  { name: 'target.type', type: 'string', required: true, validator: oneOf(TYPES), importance: 'high', doc: 'The desired timestamp representation: string, unix, Date, Time, or Timestamp.' },
  { name: 'field', type: 'string', default: '', importance: 'high', doc: 'The field containing the timestamp, or empty if the entire value is a timestamp.' },
  { name: 'format', type: 'string', default: '', importance: 'medium', doc: 'A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when type=string or used to parse the input if the input is a string.' },
  { name: 'unix.precision', type: 'string', default: 'milliseconds', validator: oneOf(PRECISIONS), importance: 'low', doc: 'The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or nanoseconds. Used to generate the output when type=unix or used to parse the input if the input is a Long.' },
]);

function typeOfSchema(schema: Schema): TsType {
  if (schema.name === ConnectTimestamp.LOGICAL_NAME) return 'Timestamp';
  if (schema.name === ConnectDate.LOGICAL_NAME) return 'Date';
  if (schema.name === ConnectTime.LOGICAL_NAME) return 'Time';
  if (schema.type === 'string') return 'string';
  if (schema.type === 'int64') return 'unix';
  throw new DataError(`Schema ${schema.describe()} does not correspond to a known timestamp type format`);
}

function typeOfValue(value: unknown): TsType {
  if (value instanceof Date) return 'Timestamp';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number' || typeof value === 'bigint') return 'unix';
  throw new DataError(`TimestampConverter does not support ${typeof value} objects as timestamps`);
}

function schemaFor(type: TsType, optional: boolean): Schema {
  const b = type === 'string' ? SchemaBuilder.string() : type === 'unix' ? SchemaBuilder.int64() : type === 'Date' ? ConnectDate.builder() : type === 'Time' ? ConnectTime.builder() : ConnectTimestamp.builder();
  return (optional ? b.optional() : b).build();
}

export class TimestampConverter extends FieldTransformation {
  protected readonly purpose = 'converting timestamp formats';
  #field = '';
  #target: TsType = 'Timestamp';
  #format: JavaDateFormat | null = null;
  #precision: (typeof PRECISIONS)[number] = 'milliseconds';

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = spec.parse(config);
    this.replaceNullWithDefault = c['replace.null.with.default'];
    this.#field = c.field;
    this.#target = c['target.type'] as TsType;
    this.#precision = c['unix.precision'] as (typeof PRECISIONS)[number];
    if (this.#target === 'string' && c.format === '') throw new ConfigError({ field: 'format', message: 'Invalid value for configuration format: TimestampConverter requires format option to be specified when using string timestamps' });
    if (c.format !== '') {
      try {
        this.#format = new JavaDateFormat(c.format);
      } catch (err) {
        throw new ConfigError({ field: 'format', message: `Invalid value ${c.format} for configuration format: ${(err as Error).message}` });
      }
    }
  }

  /** Any supported input → epoch ms (as a Date). */
  #toDate(value: unknown, type: TsType): Date {
    switch (type) {
      case 'string':
        if (!this.#format) throw new DataError('TimestampConverter requires format option to be specified when using string timestamps');
        try {
          return this.#format.parse(value as string);
        } catch (err) {
          throw new DataError(`Could not parse timestamp: value (${String(value)}) does not match pattern (${this.#format.pattern})`, { cause: err });
        }
      case 'unix': {
        const n = typeof value === 'bigint' ? value : BigInt(Math.trunc(value as number));
        const ms = this.#precision === 'seconds' ? n * 1000n : this.#precision === 'microseconds' ? n / 1000n : this.#precision === 'nanoseconds' ? n / 1_000_000n : n;
        return new Date(Number(ms));
      }
      default:
        return value as Date;
    }
  }

  #fromDate(d: Date): unknown {
    const ms = d.getTime();
    switch (this.#target) {
      case 'string':
        return this.#format!.format(d);
      case 'unix': {
        const n = BigInt(ms);
        const out = this.#precision === 'seconds' ? n / 1000n : this.#precision === 'microseconds' ? n * 1000n : this.#precision === 'nanoseconds' ? n * 1_000_000n : n;
        return Number.isSafeInteger(Number(out)) ? Number(out) : out;
      }
      case 'Date':
        return new Date(Math.floor(ms / MS_PER_DAY) * MS_PER_DAY);
      case 'Time':
        return new Date(((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY);
      case 'Timestamp':
        return new Date(ms);
    }
  }

  #convert(value: unknown, type: TsType): unknown {
    return isNullish(value) ? null : this.#fromDate(this.#toDate(value, type));
  }

  override apply<R extends ConnectRecord>(record: R): R {
    if (this.#field !== '') return super.apply(record);
    const value = operatingValue(record, this.side);
    const schema = operatingSchema(record, this.side);
    if (!schema) return withOperating(record, this.side, null, isNullish(value) ? null : this.#convert(value, typeOfValue(value)));
    return withOperating(record, this.side, schemaFor(this.#target, schema.optional), this.#convert(value, typeOfSchema(schema)));
  }

  protected applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R {
    const v = entries.get(this.#field);
    if (!isNullish(v)) entries.set(this.#field, this.#convert(v, typeOfValue(v)));
    return this.withEntries(record, original, entries);
  }

  protected applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R {
    const field = schema.field(this.#field);
    if (!field) throw new DataError(`Unknown field: ${this.#field}`);
    const updated = this.cache.get(schema, (s) => {
      const b = copySchemaBasics(s, SchemaBuilder.struct());
      for (const f of s.fields) b.field(f.name, f.name === this.#field ? schemaFor(this.#target, f.schema.optional) : f.schema);
      return b.build();
    });
    const inType = typeOfSchema(field.schema);
    return withOperating(record, this.side, updated, buildStruct(updated, (n) => (n === this.#field ? this.#convert(this.fieldOf(struct, n), inType) : this.fieldOf(struct, n))));
  }
}
