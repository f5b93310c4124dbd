// What the SMTs share, as Kafka's transforms.util: which part of a record a
// `$Key`/`$Value` variant works on, the "must be a Struct" / "must be a map"
// checks with Kafka's messages, and copying a schema's basics onto a new one.
//
// A schemaless map is a plain object or a Map; a transform hands back the same
// form it was given. Records are never mutated: a transform returns a spread
// copy (see record.ts).

import { validator, type ConfigSpec, type Validator } from '../config/config-def.js';
import { DataError } from '../errors.js';
import type { Transformation } from '../plugin.js';
import type { ConnectRecord } from '../record.js';
import { Schema, SchemaBuilder } from '../data/schema.js';
import { Struct } from '../data/struct.js';
import { describeValue, isPlainObject } from '../data/values.js';

/** Which part of the record a `$Key` / `$Value` variant operates on. */
export type Side = 'key' | 'value';

export const KAFKA_PACKAGE = 'org.apache.kafka.connect.transforms';

export function operatingSchema(record: ConnectRecord, side: Side): Schema | null {
  return (side === 'key' ? record.keySchema : record.valueSchema) ?? null;
}

export function operatingValue(record: ConnectRecord, side: Side): unknown {
  return side === 'key' ? record.key : record.value;
}

/** A copy of `record` with the operated-on schema and value replaced. */
export function withOperating<R extends ConnectRecord>(record: R, side: Side, schema: Schema | null, value: unknown): R {
  return side === 'key' ? { ...record, keySchema: schema, key: value } : { ...record, valueSchema: schema, value };
}

export function requireStruct(value: unknown, purpose: string): Struct {
  if (!(value instanceof Struct)) throw new DataError(`Only Struct objects supported for [${purpose}], found: ${describeValue(value ?? null)}`);
  return value;
}

/** The entries of a schemaless map (plain object or Map with string keys), copied. */
export function requireMap(value: unknown, purpose: string): Map<string, unknown> {
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [String(k), v]));
  if (isPlainObject(value)) return new Map(Object.entries(value));
  throw new DataError(`Only Map objects supported in absence of schema for [${purpose}], found: ${describeValue(value ?? null)}`);
}

/** `entries` in the form `like` had: a Map stays a Map, anything else becomes a plain object. */
export function sameMapForm(like: unknown, entries: Map<string, unknown>): Map<string, unknown> | Record<string, unknown> {
  return like instanceof Map ? entries : Object.fromEntries(entries);
}

export function requireSchema(schema: Schema | null, purpose: string): Schema {
  if (!schema) throw new DataError(`Schema required for [${purpose}]`);
  return schema;
}


/** A builder with `schema`'s name, version, doc, parameters and optionality, and no fields. */
export function copySchemaBasics(schema: Schema, builder: SchemaBuilder = new SchemaBuilder(schema.type)): SchemaBuilder {
  if (schema.name !== null) builder.name(schema.name);
  if (schema.version !== null) builder.version(schema.version);
  if (schema.doc !== null) builder.doc(schema.doc);
  if (schema.parameters) builder.parameters({ ...schema.parameters });
  if (schema.optional) builder.optional();
  return builder;
}

/** The schema as optional (same everything else); itself when it already is. */
export function asOptional(schema: Schema): Schema {
  return schema.optional ? schema : SchemaBuilder.from(schema).optional().build();
}

/** Memoizes a derived schema per input schema (Kafka keeps an LRU cache; schemas here are immutable objects). */
export class SchemaCache {
  readonly #map = new WeakMap<Schema, Schema>();

  get(schema: Schema, make: (s: Schema) => Schema): Schema {
    let out = this.#map.get(schema);
    if (!out) this.#map.set(schema, (out = make(schema)));
    return out;
  }
}

/**
 * Kafka's shape of a field-level SMT with `$Key`/`$Value` variants: a null
 * key/value (a tombstone) passes unchanged; otherwise a schemaless map or a
 * Struct with its schema goes to the matching half.
 */
export abstract class FieldTransformation implements Transformation {
  /** Derived schemas, one per input schema. */
  protected readonly cache = new SchemaCache();
  /** What Kafka's "Only Struct objects supported for [...]" messages name. */
  protected abstract readonly purpose: string;

  /** Kafka 3.8's `replace.null.with.default` (KIP-1040): read a null field as its schema's default. */
  protected replaceNullWithDefault = true;

  constructor(readonly side: Side) {}

  abstract config(): ConfigSpec<unknown>;
  abstract configure(config: Readonly<Record<string, string>>): void;
  /** `entries` is a copy, free to change; `original` the map as the record had it. */
  protected abstract applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R;
  protected abstract applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R;

  apply<R extends ConnectRecord>(record: R): R {
    const value = operatingValue(record, this.side);
    if (isNullish(value)) return record;
    const schema = operatingSchema(record, this.side);
    if (!schema) return this.applySchemaless(record, requireMap(value, this.purpose), value);
    if (schema.type !== 'struct') throw new DataError(`Only Struct objects supported for [${this.purpose}], found: ${schema.type}`);
    return this.applyWithSchema(record, requireStruct(value, this.purpose), schema);
  }

  /** A field's value, its default in place of null unless `replace.null.with.default=false`. */
  protected fieldOf(struct: Struct, name: string): unknown {
    return this.replaceNullWithDefault ? struct.get(name) : struct.getWithoutDefault(name);
  }

  /** The record with the operated-on side replaced by `entries`, in the form `original` had. */
  protected withEntries<R extends ConnectRecord>(record: R, original: unknown, entries: Map<string, unknown>): R {
    return withOperating(record, this.side, null, sameMapForm(original, entries));
  }
}

/** A struct of `schema` whose values come from `valueOf(field name)` (each already valid for its field). */
export function buildStruct(schema: Schema, valueOf: (name: string) => unknown): Struct {
  return Struct.unchecked(
    schema,
    schema.fields.map((f) => valueOf(f.name)),
  );
}

/** Kafka 3.8's key (KIP-1040), shared by the transforms that read Struct fields. */
export const REPLACE_NULL_WITH_DEFAULT = {
  name: 'replace.null.with.default',
  type: 'boolean',
  default: true,
  importance: 'medium',
  doc: 'Whether to replace fields that have a default value and that are null to the default value. When set to true, the default value is used, otherwise null is used.',
} as const;

/** A list config that must name at least one non-empty element (Kafka's NonEmptyListValidator). */
export const nonEmptyList: Validator = validator('non-empty list', (v) => {
  if (!Array.isArray(v) || v.length === 0) return 'Empty list';
  return v.some((s) => s === '') ? 'String must be non-empty' : undefined;
});

/** Parses `old:new,…` (ReplaceField's renames). Returns an error message or the map. */
export function parseRenames(list: readonly string[]): Map<string, string> | string {
  const out = new Map<string, string>();
  for (const item of list) {
    const parts = item.split(':');
    if (parts.length !== 2 || !parts[0] || !parts[1]) return `Invalid rename mapping: ${item}`;
    out.set(parts[0], parts[1]);
  }
  return out;
}

/** Whether a value is a record's "empty" value: null or undefined. */
export function isNullish(v: unknown): v is null | undefined {
  return v === null || v === undefined;
}

export { Schema, SchemaBuilder, Struct };
