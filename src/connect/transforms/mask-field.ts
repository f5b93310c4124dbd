// MaskField$Key / $Value: replaces the named fields' values with the type's
// empty value (0, false, "", empty bytes/array/map, Decimal 0, epoch Date), or
// with `replacement` parsed into the field's type (numbers and strings only).
// Tombstones pass through.

import { defineConfig, nonEmptyString } from '../config/config-def.js';
import { DataError } from '../errors.js';
import { Decimal } from '../data/logical.js';
import type { Schema } from '../data/schema.js';
import type { ConnectRecord } from '../record.js';
import { buildStruct, FieldTransformation, isNullish, nonEmptyList, Struct, withOperating } from './util.js';

const spec = defineConfig([
  { name: 'fields', type: 'list', required: true, validator: nonEmptyList, importance: 'high', doc: 'Names of fields to mask.' },
  { name: 'replacement', type: 'string', default: null, validator: nonEmptyString, importance: 'low', doc: 'Custom value replacement, that will be applied to all fields values (numeric or non-empty string values only).' },
]);

/** The empty value of a value's kind (schemaless) or of a schema. */
function emptyOf(value: unknown, schema: Schema | null): unknown {
  if (schema?.name === Decimal.LOGICAL_NAME || value instanceof Decimal) return new Decimal(0n, schema ? Decimal.scaleOf(schema) : (value as Decimal).scale);
  if (value instanceof Date) return new Date(0);
  const type = schema?.type;
  if (type === 'boolean' || typeof value === 'boolean') return false;
  if (type === 'int64' && typeof value === 'bigint') return 0n;
  if (type === 'int8' || type === 'int16' || type === 'int32' || type === 'int64' || type === 'float32' || type === 'float64' || typeof value === 'number') return 0;
  if (typeof value === 'bigint') return 0n;
  if (type === 'string' || typeof value === 'string') return '';
  if (type === 'bytes' || value instanceof Uint8Array) return new Uint8Array(0);
  if (type === 'array' || Array.isArray(value)) return [];
  if (type === 'map' || value instanceof Map) return value instanceof Map ? new Map() : {};
  throw new DataError(`Cannot mask value of type ${schema?.type ?? typeof value}`);
}

function replacementFor(value: unknown, schema: Schema | null, replacement: string, field: string): unknown {
  const type = schema?.type;
  const numeric = typeof value === 'number' || typeof value === 'bigint' || (type !== undefined && ['int8', 'int16', 'int32', 'int64', 'float32', 'float64'].includes(type));
  if (schema?.name === Decimal.LOGICAL_NAME || value instanceof Decimal) return Decimal.parse(replacement).setScale(schema ? Decimal.scaleOf(schema) : (value as Decimal).scale);
  if (numeric) {
    const n = Number(replacement);
    if (replacement.trim() === '' || Number.isNaN(n)) throw new DataError(`Unable to convert ${replacement} to a number for masking field "${field}"`);
    if (type && type !== 'float32' && type !== 'float64' && !Number.isInteger(n)) throw new DataError(`Unable to convert ${replacement} to ${type} for masking field "${field}"`);
    return typeof value === 'bigint' ? BigInt(n) : n;
  }
  if (type === 'string' || typeof value === 'string') return replacement;
  throw new DataError(`Cannot mask value of type ${type ?? typeof value} with custom replacement (field "${field}")`);
}

export class MaskField extends FieldTransformation {
  protected readonly purpose = 'masking fields';
  #fields = new Set<string>();
  #replacement: string | null = null;

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = spec.parse(config);
    this.#fields = new Set(c.fields);
    this.#replacement = c.replacement;
  }

  #mask(value: unknown, schema: Schema | null, field: string): unknown {
    if (isNullish(value)) return value ?? null;
    return this.#replacement === null ? emptyOf(value, schema) : replacementFor(value, schema, this.#replacement, field);
  }

  protected applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R {
    for (const f of this.#fields) if (entries.has(f)) entries.set(f, this.#mask(entries.get(f), null, f));
    return this.withEntries(record, original, entries);
  }

  protected applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R {
    const masked = buildStruct(schema, (n) => (this.#fields.has(n) ? this.#mask(struct.get(n), schema.field(n)!.schema, n) : struct.get(n)));
    return withOperating(record, this.side, schema, masked);
  }
}
