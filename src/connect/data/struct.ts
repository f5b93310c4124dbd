// A Struct: the value of a struct schema, one slot per field in schema order.
// Every put is checked against the field's schema; validate() checks that all
// required fields are set. Errors name the field.

import { DataError } from '../errors.js';
import type { Field, Schema } from './schema.js';
import { joinPath, validateValue, valuesEqual } from './values.js';

export class Struct {
  readonly schema: Schema;
  readonly #values: unknown[];

  constructor(schema: Schema) {
    if (schema.type !== 'struct') throw new DataError(`Not a struct schema: ${schema.describe()}`);
    this.schema = schema;
    this.#values = new Array<unknown>(schema.fields.length).fill(null);
  }

  /** A struct with the given field values (each checked), e.g. `Struct.from(schema, { id: 1, name: 'a' })`. */
  static from(schema: Schema, values: Record<string, unknown>): Struct {
    const s = new Struct(schema);
    for (const [name, value] of Object.entries(values)) s.put(name, value);
    return s;
  }

  /**
   * A struct from values already converted for (and so valid against) each
   * field's schema, in field order, without checking them again. For
   * converters, which build every value from the schema itself.
   */
  static unchecked(schema: Schema, values: readonly unknown[]): Struct {
    const s = new Struct(schema);
    for (let i = 0; i < s.#values.length; i++) s.#values[i] = values[i] ?? null;
    return s;
  }

  #field(name: string): Field {
    const f = this.schema.field(name);
    if (!f) throw new DataError(`"${name}" is not a valid field name of struct ${this.schema.name ?? '(unnamed)'}`, { path: name });
    return f;
  }

  /** Sets a field; throws DataError naming the field if the value does not fit its schema. */
  put(fieldName: string, value: unknown): this {
    const f = this.#field(fieldName);
    validateValue(f.schema, value, fieldName);
    this.#values[f.index] = value ?? null;
    return this;
  }

  /** The field's value; if unset (null), the field schema's default, else null. */
  get(fieldName: string): unknown {
    const f = this.#field(fieldName);
    return this.#values[f.index] ?? f.schema.defaultValue;
  }

  /** The field's value without falling back to the default. */
  getWithoutDefault(fieldName: string): unknown {
    return this.#values[this.#field(fieldName).index];
  }

  /** The value at a field index (no default), for converters that walk `schema.fields`. */
  valueAt(index: number): unknown {
    return this.#values[index];
  }

  /** Throws DataError naming the first field whose value is missing or invalid. `path` prefixes field names for nested structs. */
  validate(path = ''): void {
    for (const f of this.schema.fields) validateValue(f.schema, this.#values[f.index], joinPath(path, f.name));
  }

  equals(other: unknown): boolean {
    if (other === this) return true;
    if (!(other instanceof Struct) || !this.schema.equals(other.schema)) return false;
    return this.#values.every((v, i) => valuesEqual(v, other.#values[i]));
  }

  /** Plain form for logs and tests: field name → value (nested structs as objects). */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of this.schema.fields) out[f.name] = this.#values[f.index];
    return out;
  }

  toString(): string {
    return `Struct{${this.schema.fields.map((f) => `${f.name}=${String(this.#values[f.index])}`).join(',')}}`;
  }
}
