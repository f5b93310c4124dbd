// Kafka Connect schemas: immutable descriptions of keys and values, built with
// SchemaBuilder and checked when built (a default value must fit its schema).
//
// In-memory value of each type (what Struct.put, validateValue and the
// converters accept and return):
//   int8 int16 int32   number (an integer in the type's range)
//   int64              number (a safe integer) or bigint (any int64); readers
//                      return a number when it is safe, else a bigint
//   float32 float64    number
//   boolean            boolean          string   string
//   bytes              Uint8Array (Buffer)
//   array              unknown[]
//   map                Map<key, value>; a plain object is accepted for string keys
//   struct             Struct (with an equal schema)
//   logical types      Decimal, or a JS Date (see logical.ts)
// A null value is allowed when the schema is optional or has a default.

import { DataError } from '../errors.js';
import { validateValue, valuesEqual } from './values.js';

export type SchemaType = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'boolean' | 'string' | 'bytes' | 'array' | 'map' | 'struct';

export const SCHEMA_TYPES: readonly SchemaType[] = ['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string', 'bytes', 'array', 'map', 'struct'];

export interface Field {
  readonly name: string;
  readonly index: number;
  readonly schema: Schema;
}

export interface SchemaProps {
  type: SchemaType;
  optional?: boolean;
  /** null or undefined: no default. */
  defaultValue?: unknown;
  name?: string | null;
  version?: number | null;
  doc?: string | null;
  parameters?: Record<string, string> | null;
  /** struct only, in order */
  fields?: ReadonlyArray<{ name: string; schema: Schema }>;
  /** map only */
  keySchema?: Schema | null;
  /** array (element) and map (value) only */
  valueSchema?: Schema | null;
}

// Positive results of structural comparison; schemas are immutable, so a pair once equal stays equal.
const knownEqual = new WeakMap<Schema, WeakSet<Schema>>();

export class Schema {
  readonly type: SchemaType;
  readonly optional: boolean;
  /** null when there is none. */
  readonly defaultValue: unknown;
  readonly name: string | null;
  readonly version: number | null;
  readonly doc: string | null;
  readonly parameters: Readonly<Record<string, string>> | null;
  readonly keySchema: Schema | null;
  readonly valueSchema: Schema | null;
  readonly #fields: readonly Field[] | null;
  readonly #byName: ReadonlyMap<string, Field> | null;

  constructor(props: SchemaProps) {
    this.type = props.type;
    this.optional = props.optional ?? false;
    this.name = props.name ?? null;
    this.version = props.version ?? null;
    this.doc = props.doc ?? null;
    this.parameters = props.parameters ? Object.freeze({ ...props.parameters }) : null;
    this.keySchema = props.keySchema ?? null;
    this.valueSchema = props.valueSchema ?? null;
    if (!SCHEMA_TYPES.includes(this.type)) throw new DataError(`Unknown schema type: ${String(this.type)}`);
    if (this.type === 'array' && !this.valueSchema) throw new DataError('An array schema needs an element (value) schema');
    if (this.type === 'map' && (!this.keySchema || !this.valueSchema)) throw new DataError('A map schema needs a key schema and a value schema');
    if (this.type === 'struct') {
      const fields: Field[] = [];
      const byName = new Map<string, Field>();
      for (const f of props.fields ?? []) {
        if (byName.has(f.name)) throw new DataError(`Cannot create field because of field name duplication: ${f.name}`, { path: f.name });
        const field: Field = Object.freeze({ name: f.name, index: fields.length, schema: f.schema });
        fields.push(field);
        byName.set(f.name, field);
      }
      this.#fields = Object.freeze(fields);
      this.#byName = byName;
    } else {
      if (props.fields?.length) throw new DataError(`Cannot add fields to a ${this.type} schema`);
      this.#fields = null;
      this.#byName = null;
    }
    const defaultValue = props.defaultValue ?? null;
    this.defaultValue = defaultValue;
    if (defaultValue !== null) {
      try {
        validateValue(this, defaultValue);
      } catch (err) {
        throw new DataError(`Invalid default value for ${this.describe()}: ${(err as Error).message}`, { cause: err });
      }
    }
    Object.freeze(this);
  }

  /** The fields of a struct schema, in order. */
  get fields(): readonly Field[] {
    if (!this.#fields) throw new DataError(`Cannot list fields on non-struct type ${this.type}`);
    return this.#fields;
  }

  field(name: string): Field | undefined {
    if (!this.#byName) throw new DataError(`Cannot look up fields on non-struct type ${this.type}`);
    return this.#byName.get(name);
  }

  /** Structural equality, as Kafka's ConnectSchema.equals. */
  equals(other: unknown): boolean {
    if (other === this) return true;
    if (!(other instanceof Schema)) return false;
    if (knownEqual.get(this)?.has(other)) return true;
    const same =
      this.type === other.type &&
      this.optional === other.optional &&
      this.name === other.name &&
      this.version === other.version &&
      this.doc === other.doc &&
      paramsEqual(this.parameters, other.parameters) &&
      nullableSchemaEqual(this.keySchema, other.keySchema) &&
      nullableSchemaEqual(this.valueSchema, other.valueSchema) &&
      fieldsEqual(this.#fields, other.#fields) &&
      valuesEqual(this.defaultValue, other.defaultValue);
    if (same) {
      let set = knownEqual.get(this);
      if (!set) knownEqual.set(this, (set = new WeakSet()));
      set.add(other);
    }
    return same;
  }

  /** Short human form for messages: `int32`, `struct inventory.Value`, `optional string`. */
  describe(): string {
    return `${this.optional ? 'optional ' : ''}${this.type}${this.name ? ` ${this.name}` : ''}`;
  }

  toString(): string {
    return `Schema{${this.name ? this.name + ':' : ''}${this.type.toUpperCase()}}`;
  }

  static readonly INT8_SCHEMA = new Schema({ type: 'int8' });
  static readonly INT16_SCHEMA = new Schema({ type: 'int16' });
  static readonly INT32_SCHEMA = new Schema({ type: 'int32' });
  static readonly INT64_SCHEMA = new Schema({ type: 'int64' });
  static readonly FLOAT32_SCHEMA = new Schema({ type: 'float32' });
  static readonly FLOAT64_SCHEMA = new Schema({ type: 'float64' });
  static readonly BOOLEAN_SCHEMA = new Schema({ type: 'boolean' });
  static readonly STRING_SCHEMA = new Schema({ type: 'string' });
  static readonly BYTES_SCHEMA = new Schema({ type: 'bytes' });
  static readonly OPTIONAL_INT8_SCHEMA = new Schema({ type: 'int8', optional: true });
  static readonly OPTIONAL_INT16_SCHEMA = new Schema({ type: 'int16', optional: true });
  static readonly OPTIONAL_INT32_SCHEMA = new Schema({ type: 'int32', optional: true });
  static readonly OPTIONAL_INT64_SCHEMA = new Schema({ type: 'int64', optional: true });
  static readonly OPTIONAL_FLOAT32_SCHEMA = new Schema({ type: 'float32', optional: true });
  static readonly OPTIONAL_FLOAT64_SCHEMA = new Schema({ type: 'float64', optional: true });
  static readonly OPTIONAL_BOOLEAN_SCHEMA = new Schema({ type: 'boolean', optional: true });
  static readonly OPTIONAL_STRING_SCHEMA = new Schema({ type: 'string', optional: true });
  static readonly OPTIONAL_BYTES_SCHEMA = new Schema({ type: 'bytes', optional: true });
}

function nullableSchemaEqual(a: Schema | null, b: Schema | null): boolean {
  return a === b || (a !== null && a.equals(b));
}

function paramsEqual(a: Readonly<Record<string, string>> | null, b: Readonly<Record<string, string>> | null): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function fieldsEqual(a: readonly Field[] | null, b: readonly Field[] | null): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((f, i) => f.name === b[i]!.name && f.schema.equals(b[i]!.schema));
}

/**
 * Fluent construction, as Kafka's SchemaBuilder:
 *   SchemaBuilder.struct().name('inventory.Value').field('id', Schema.INT32_SCHEMA).optional().build()
 */
export class SchemaBuilder {
  readonly #props: SchemaProps & { fields: Array<{ name: string; schema: Schema }>; parameters: Record<string, string> | null };

  constructor(type: SchemaType) {
    this.#props = { type, fields: [], parameters: null };
  }

  static type(type: SchemaType): SchemaBuilder {
    return new SchemaBuilder(type);
  }
  static int8(): SchemaBuilder {
    return new SchemaBuilder('int8');
  }
  static int16(): SchemaBuilder {
    return new SchemaBuilder('int16');
  }
  static int32(): SchemaBuilder {
    return new SchemaBuilder('int32');
  }
  static int64(): SchemaBuilder {
    return new SchemaBuilder('int64');
  }
  static float32(): SchemaBuilder {
    return new SchemaBuilder('float32');
  }
  static float64(): SchemaBuilder {
    return new SchemaBuilder('float64');
  }
  static bool(): SchemaBuilder {
    return new SchemaBuilder('boolean');
  }
  static string(): SchemaBuilder {
    return new SchemaBuilder('string');
  }
  static bytes(): SchemaBuilder {
    return new SchemaBuilder('bytes');
  }
  static struct(): SchemaBuilder {
    return new SchemaBuilder('struct');
  }
  static array(valueSchema: Schema | SchemaBuilder): SchemaBuilder {
    const b = new SchemaBuilder('array');
    b.#props.valueSchema = toSchema(valueSchema);
    return b;
  }
  static map(keySchema: Schema | SchemaBuilder, valueSchema: Schema | SchemaBuilder): SchemaBuilder {
    const b = new SchemaBuilder('map');
    b.#props.keySchema = toSchema(keySchema);
    b.#props.valueSchema = toSchema(valueSchema);
    return b;
  }

  /** A builder holding everything `schema` has, to derive a changed copy. */
  static from(schema: Schema): SchemaBuilder {
    const b = new SchemaBuilder(schema.type);
    Object.assign(b.#props, {
      optional: schema.optional,
      defaultValue: schema.defaultValue,
      name: schema.name,
      version: schema.version,
      doc: schema.doc,
      parameters: schema.parameters ? { ...schema.parameters } : null,
      keySchema: schema.keySchema,
      valueSchema: schema.valueSchema,
      fields: schema.type === 'struct' ? schema.fields.map((f) => ({ name: f.name, schema: f.schema })) : [],
    });
    return b;
  }

  get type(): SchemaType {
    return this.#props.type;
  }

  optional(): this {
    this.#props.optional = true;
    return this;
  }
  required(): this {
    this.#props.optional = false;
    return this;
  }
  /** Checked against the finished schema in build(). */
  defaultValue(value: unknown): this {
    this.#props.defaultValue = value;
    return this;
  }
  name(name: string): this {
    this.#props.name = name;
    return this;
  }
  version(version: number): this {
    if (!Number.isInteger(version)) throw new DataError(`Schema version must be an integer, got ${version}`);
    this.#props.version = version;
    return this;
  }
  doc(doc: string): this {
    this.#props.doc = doc;
    return this;
  }
  parameter(key: string, value: string): this {
    (this.#props.parameters ??= {})[key] = value;
    return this;
  }
  parameters(params: Record<string, string>): this {
    for (const [k, v] of Object.entries(params)) this.parameter(k, v);
    return this;
  }
  field(name: string, schema: Schema | SchemaBuilder): this {
    if (this.#props.type !== 'struct') throw new DataError(`Cannot create fields on type ${this.#props.type}`);
    if (!name) throw new DataError('Field name must be non-empty');
    if (this.#props.fields.some((f) => f.name === name)) throw new DataError(`Cannot create field because of field name duplication: ${name}`, { path: name });
    this.#props.fields.push({ name, schema: toSchema(schema) });
    return this;
  }

  build(): Schema {
    return new Schema({ ...this.#props, fields: [...this.#props.fields] });
  }
}

function toSchema(s: Schema | SchemaBuilder): Schema {
  return s instanceof SchemaBuilder ? s.build() : s;
}
